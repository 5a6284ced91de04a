"""Reports for people: the data card."""
