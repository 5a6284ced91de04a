"""A dataset's reference tables, read from the real files: values as text, and clear errors for a
table or a key column that does not exist."""

from __future__ import annotations

from pathlib import Path

import pytest

from accrete.rules.reference_tables import (
    ReferenceTableError,
    reference_columns,
    reference_table_names,
    reference_table_path,
    reference_values,
)

DATASETS = Path(__file__).resolve().parents[2] / "datasets"


def write_reference(datasets: Path, dataset: str, table: str, text: str) -> Path:
    path = datasets / dataset / "reference" / f"{table}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_bundled_flights_reference_tables():
    assert reference_table_names(DATASETS, "flights") == ["airlines", "airports", "planes"]
    assert reference_table_names(DATASETS, "adult") == []  # no reference folder
    airports = reference_values(DATASETS, "flights", "airports", "faa")
    assert len(airports) == 1458 and {"EWR", "JFK", "LGA", "04G"} <= airports
    assert len(reference_values(DATASETS, "flights", "airlines", "carrier")) == 16
    assert len(reference_values(DATASETS, "flights", "planes", "tailnum")) == 3322
    assert reference_columns(reference_table_path(DATASETS, "flights", "airlines")) == ["carrier", "name"]


def test_values_are_text_as_written_and_missing_values_are_left_out(tmp_path):
    write_reference(tmp_path, "shop", "codes", 'code,label\n04,"a, quoted"\n007,\n,blank\n04,again\n')
    assert reference_values(tmp_path, "shop", "codes", "code") == {"04", "007"}
    assert reference_values(tmp_path, "shop", "codes", "label") == {"a, quoted", "blank", "again"}


def test_a_missing_table_names_the_file_and_the_tables_there_are(tmp_path):
    with pytest.raises(
        ReferenceTableError, match=r"airport\.csv.*no reference table 'airport'.*airlines, airports"
    ):
        reference_values(DATASETS, "flights", "airport", "faa")
    with pytest.raises(ValueError, match=r"reference tables: none"):
        reference_values(tmp_path, "shop", "codes", "code")


def test_a_missing_key_column_names_the_file_and_the_columns_there_are():
    with pytest.raises(ReferenceTableError, match=r"airports\.csv.*no column 'iata'.*faa, name, lat"):
        reference_values(DATASETS, "flights", "airports", "iata")


def test_a_table_file_whose_name_cannot_be_a_table_is_refused(tmp_path):
    path = write_reference(tmp_path, "shop", "Store Codes", "code\n1\n")
    with pytest.raises(ReferenceTableError, match=str(path)):
        reference_table_names(tmp_path, "shop")
