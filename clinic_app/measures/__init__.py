"""Instrument definitions and pure scoring functions (no database, no Qt)."""
