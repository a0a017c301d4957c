"""The Victims and others tab: the people the work protects and the orders protecting them."""
