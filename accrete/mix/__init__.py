"""Mixing: synthetic generations added beside the accumulated real rows, never instead of them."""
