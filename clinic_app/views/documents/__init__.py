"""The Documents part of a client's record: files other services sent, attached and opened."""
