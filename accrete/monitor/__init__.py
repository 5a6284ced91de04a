"""Monitoring: evidence that accumulating real data keeps generators from collapsing."""
