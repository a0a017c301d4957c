"""The sharing domain: what leaves the health team, for whom, and the record of it."""
