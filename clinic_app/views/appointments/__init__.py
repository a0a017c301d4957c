"""The diary: a clinician's day or week of appointments, booking and what became of each."""
