"""Encrypted storage: database engine, keys, migrations and backup. No Qt here."""
