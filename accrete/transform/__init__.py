"""Cleaning and imputation: the dbt project's models and tests, drafted from each dataset's spec."""
