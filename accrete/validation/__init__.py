"""Validation of synthetic data: fidelity, detection, utility, privacy, representation."""
