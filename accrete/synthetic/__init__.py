"""Synthetic sampling under control: conditions, rebalancing and provenance."""
