"""Cleaning, imputation and accumulation: the dbt models of every dataset."""
