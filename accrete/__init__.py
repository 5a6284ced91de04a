"""Accrete's domain library: dataset specs, ingestion, generators, metrics and mixing.

Nothing in this package imports Dagster, so every piece is unit-testable on its own;
the Dagster assets in ``assets/`` are thin wrappers that read, call, write and report.
"""
