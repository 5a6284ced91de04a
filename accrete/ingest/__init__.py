"""Ingestion: landing files checked whole, then written to the warehouse's raw schema."""
