"""Searching session notes across the caseload."""
