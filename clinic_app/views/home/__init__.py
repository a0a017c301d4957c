"""The home screen: the dashboard of what needs attention today."""
