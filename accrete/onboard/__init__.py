"""Onboarding a new table: a first spec drafted from a delivered file (``accrete init``).

``file_layout`` reads how the file is laid out (CSV or Parquet, separator, header),
``column_profile`` measures every column in DuckDB, ``column_guess`` and ``column_roles`` turn
the measurements and names into guesses with reasons, ``record_key`` looks for a key,
``draft_spec`` guesses from a bounded sample and checks the guesses against the whole file, and
``spec_writer`` writes the draft as a commented spec file.
"""
