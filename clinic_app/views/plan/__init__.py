"""The Plan tab: intervention plans, goals, progress and plan history."""
