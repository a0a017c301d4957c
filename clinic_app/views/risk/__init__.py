"""The Risk tab: risk events and decisions to share."""
