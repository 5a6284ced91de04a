"""Reports for people: the data card and the report folder's layout."""
