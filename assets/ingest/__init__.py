"""Ingestion: real landing files into the warehouse's raw schema."""
