"""Synthetic sampling from the latest trained generator."""
