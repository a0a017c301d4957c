"""The subject access part of a client's record: requests, their review and release."""
