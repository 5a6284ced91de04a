"""Blocking validation checks: nothing is mixed or shared until these pass."""
