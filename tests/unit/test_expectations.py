"""The great-expectations suite generated from the spec."""

import pandas as pd

from accrete.validation.expectations import run_suite


def clean_rows(spec, rows: int = 50) -> pd.DataFrame:
    """Spec-conforming rows: the first allowed category, the minimum of each range."""
    data = {}
    for name, column in spec.modelled_columns.items():
        if column.type == "numerical":
            data[name] = pd.Series([int(column.min or 0)] * rows, dtype="int64")
        else:
            data[name] = [column.categories[0]] * rows
    for flag in spec.missing_flags:
        data[flag] = [False] * rows
    return pd.DataFrame(data)


def test_conforming_table_passes(adult_spec):
    outcome = run_suite(clean_rows(adult_spec), adult_spec, min_rows=50, max_rows=50, label="clean")
    assert outcome.passed, outcome.details_md
    assert outcome.metrics["failed"] == 0


def test_failures_name_column_and_how_far_off(adult_spec):
    frame = clean_rows(adult_spec)
    frame.loc[3, "age"] = 200
    frame.loc[[4, 5], "race"] = "Martian"
    frame.loc[6, "sex"] = None
    outcome = run_suite(frame, adult_spec, min_rows=1, max_rows=None, label="synthetic")
    assert not outcome.passed
    assert outcome.metrics["failed"] == 3
    assert "| `age` | expect_column_values_to_be_between | 1 rows" in outcome.details_md
    assert "'Martian'" in outcome.details_md
    assert "`sex` | expect_column_values_to_not_be_null" in outcome.details_md


def test_row_count_and_types_are_checked(adult_spec):
    frame = clean_rows(adult_spec)
    frame["age"] = frame["age"].astype(str)
    outcome = run_suite(frame, adult_spec, min_rows=100, max_rows=100, label="synthetic")
    failed = outcome.details_md
    assert "expect_table_row_count_to_be_between" in failed
    assert "`age` | expect_column_values_to_be_in_type_list" in failed
