"""The caseload: the list of clients a clinician can open."""
