"""Mixing synthetic rows into the accumulated real data."""
