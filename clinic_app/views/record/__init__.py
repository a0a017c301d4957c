"""A client's record window, its overview tab and the client details form."""
