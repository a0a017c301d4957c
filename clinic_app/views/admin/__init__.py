"""Administration in the window: accounts, caseloads, settings, backups, the audit check."""
