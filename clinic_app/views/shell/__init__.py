"""The application shell.

Main window, sign-in, the idle lock, first-run setup and password change.
"""
