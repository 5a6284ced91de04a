"""Landing files: accepted whole or rejected with a message naming the file, column and lines."""

import gzip
import json
from pathlib import Path

import duckdb
import pytest

from accrete.ingest.landing import (
    LandingFile,
    LandingFileError,
    file_sha256,
    find_landing_files,
    read_landing_file,
)
from accrete.spec import DatasetSpec
from tests.unit import landing_values

GOOD_ROW = "39, State-gov, 77516, Bachelors, 13, Never-married, Adm-clerical, Not-in-family, White, Male, 2174, 0, 40, United-States, <=50K"


def landing_file(folder: Path, name: str, lines: list[str], compress: bool = True) -> LandingFile:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(line + "\n" for line in lines)
    if compress:
        with gzip.open(path, "wt") as handle:
            handle.write(text)
    else:
        path.write_text(text)
    return LandingFile(path=path, sha256=file_sha256(path), batch=path.name.split(".")[0])


def with_value(column: int, value: str) -> str:
    values = GOOD_ROW.split(", ")
    values[column] = value
    return ", ".join(values)


def test_reads_real_rows_as_delivered(adult_spec, small_landing):
    files = find_landing_files(adult_spec, small_landing)
    assert [file.batch for file in files] == ["adult-test", "adult-train"]
    frame = read_landing_file(files[1], adult_spec).rows
    assert len(frame) == 1500
    assert list(frame.columns) == ["_line", *adult_spec.columns]
    assert frame.loc[0, "_line"] == 1
    assert frame.loc[0, "workclass"] == " State-gov"  # raw stays raw: staging trims


def test_test_batch_labels_with_a_dot_are_known_aliases(adult_spec, small_landing):
    test_batch = find_landing_files(adult_spec, small_landing)[0]
    assert (
        read_landing_file(test_batch, adult_spec).rows["income"].str.strip().isin(["<=50K.", ">50K."]).all()
    )


def test_missing_landing_folder_and_no_matching_file(adult_spec, tmp_path):
    with pytest.raises(LandingFileError, match="does not exist"):
        find_landing_files(adult_spec, tmp_path)
    (tmp_path / "adult").mkdir()
    (tmp_path / "adult" / "notes.txt").write_text("hello")
    with pytest.raises(LandingFileError, match="no file in .* matches 'adult-\\*.csv.gz'"):
        find_landing_files(adult_spec, tmp_path)


def test_landing_file_deleted_before_reading(adult_spec, tmp_path):
    file = landing_file(tmp_path, "adult-x.csv.gz", [GOOD_ROW])
    file.path.unlink()
    with pytest.raises(LandingFileError, match="not found"):
        read_landing_file(file, adult_spec)


def test_empty_file(adult_spec, tmp_path):
    with pytest.raises(LandingFileError, match="adult-empty.csv.gz: the file is empty"):
        read_landing_file(landing_file(tmp_path, "adult-empty.csv.gz", []), adult_spec)


def test_corrupt_file(adult_spec, tmp_path):
    path = tmp_path / "adult-corrupt.csv.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage that is not deflate data" * 10)
    with pytest.raises(LandingFileError, match="adult-corrupt.csv.gz: the file cannot be read"):
        read_landing_file(LandingFile(path, file_sha256(path), "adult-corrupt"), adult_spec)


def test_wrong_number_of_columns(adult_spec, tmp_path):
    short = ", ".join(GOOD_ROW.split(", ")[:14])
    with pytest.raises(LandingFileError, match="expected 15 columns"):
        read_landing_file(landing_file(tmp_path, "adult-short.csv.gz", [GOOD_ROW, short]), adult_spec)
    with pytest.raises(LandingFileError, match="adult-long.csv.gz"):
        read_landing_file(
            landing_file(tmp_path, "adult-long.csv.gz", [GOOD_ROW, GOOD_ROW + ", extra"]), adult_spec
        )


def test_header_that_does_not_match_the_spec(adult_spec: DatasetSpec, tmp_path):
    spec = adult_spec.model_copy(update={"format": adult_spec.format.model_copy(update={"header": True})})
    header = ", ".join(name if name != "age" else "years" for name in spec.columns)
    with pytest.raises(LandingFileError, match=r"missing columns \['age'\], unexpected columns \['years'\]"):
        read_landing_file(landing_file(tmp_path, "adult-h.csv.gz", [header, GOOD_ROW]), spec)
    good_header = ", ".join(spec.columns)
    frame = read_landing_file(landing_file(tmp_path, "adult-ok.csv.gz", [good_header, GOOD_ROW]), spec).rows
    assert frame.loc[0, "_line"] == 2
    with pytest.raises(LandingFileError, match="adult-only-header.csv.gz: the file has no rows"):
        read_landing_file(landing_file(tmp_path, "adult-only-header.csv.gz", [good_header]), spec)


def test_value_that_cannot_be_parsed_names_column_value_and_line(adult_spec, tmp_path):
    lines = [GOOD_ROW, with_value(0, "forty"), GOOD_ROW, with_value(0, "41.5")]
    with pytest.raises(LandingFileError) as raised:
        read_landing_file(landing_file(tmp_path, "adult-bad.csv.gz", lines), adult_spec)
    message = str(raised.value)
    assert "adult-bad.csv.gz" in message
    assert "column 'age': 2 values cannot be read as an integer" in message
    assert "'forty' (line 2)" in message and "'41.5' (line 4)" in message


def test_unknown_category(adult_spec, tmp_path):
    lines = [GOOD_ROW, with_value(8, "Martian")]
    with pytest.raises(
        LandingFileError, match=r"column 'race': 1 values are unknown categories .*'Martian' \(line 2\)"
    ):
        read_landing_file(landing_file(tmp_path, "adult-cat.csv.gz", lines), adult_spec)


def test_required_column_without_value(adult_spec, tmp_path):
    lines = [GOOD_ROW, with_value(9, "?")]
    with pytest.raises(LandingFileError, match="column 'sex' is required .* lines 2"):
        read_landing_file(landing_file(tmp_path, "adult-req.csv.gz", lines), adult_spec)
    imputable = read_landing_file(
        landing_file(tmp_path, "adult-imp.csv.gz", [GOOD_ROW, with_value(1, "?")]), adult_spec
    ).rows
    assert imputable.loc[1, "workclass"].strip() == "?"


def test_every_problem_is_reported_at_once(adult_spec, tmp_path):
    lines = [with_value(0, "x"), with_value(8, "Martian"), with_value(9, "?")]
    with pytest.raises(LandingFileError) as raised:
        read_landing_file(landing_file(tmp_path, "adult-many.csv.gz", lines), adult_spec)
    assert all(column in str(raised.value) for column in ("'age'", "'race'", "'sex'"))


def delivered_as(columns: dict[str, dict], **format_options) -> DatasetSpec:
    """A small dataset whose file has a header line; ``columns`` as a spec writes them."""
    return DatasetSpec.model_validate(
        {
            "name": "credit",
            "description": "a file delivered with its own header",
            "source": "tests",
            "licence": "CC0",
            "format": {"header": True, **format_options},
            "columns": columns,
            "synthetic": {"rows": 10},
        }
    )


CREDIT_COLUMNS = {
    "limit_bal": {"type": "numerical", "source": "LIMIT_BAL"},
    "default_payment_next_month": {"type": "boolean", "source": "default-payment-next-month"},
    "prenom": {"type": "categorical", "source": "Prénom"},
    "c_2nd_visit": {"type": "datetime", "source": "2nd visit"},
    "order": {"type": "numerical", "integer": True},
}


def test_delivered_headers_are_mapped_to_column_keys_through_source(tmp_path):
    spec = delivered_as(CREDIT_COLUMNS)
    # the header in another order than the spec, and with spaces around the names
    lines = [
        "order, 2nd visit ,Prénom,default-payment-next-month,LIMIT_BAL",
        "3,2024-01-05,Zoé,1,20000.0",
    ]
    frame = read_landing_file(landing_file(tmp_path, "credit.csv", lines, compress=False), spec).rows
    assert list(frame.columns) == [
        "_line",
        "limit_bal",
        "default_payment_next_month",
        "prenom",
        "c_2nd_visit",
        "order",
    ]
    assert frame.loc[0].to_dict() == {
        "_line": 2,
        "limit_bal": "20000.0",
        "default_payment_next_month": "1",
        "prenom": "Zoé",
        "c_2nd_visit": "2024-01-05",
        "order": "3",
    }


def test_a_byte_order_mark_is_not_part_of_the_first_header(tmp_path):
    spec = delivered_as(CREDIT_COLUMNS)
    path = tmp_path / "credit-bom.csv"
    path.write_bytes(
        "\ufeffLIMIT_BAL,default-payment-next-month,Prénom,2nd visit,order\n1.5,0,Ana,2024-01-01,1\n".encode()
    )
    frame = read_landing_file(LandingFile(path, file_sha256(path), "credit-bom"), spec).rows
    assert frame.loc[0, "limit_bal"] == "1.5"


def test_a_header_that_does_not_match_names_the_columns_as_delivered(tmp_path):
    spec = delivered_as(CREDIT_COLUMNS)
    # the file's header as the user's export wrote it: a key where the spec expects the delivered name
    lines = ["limit_bal,default-payment-next-month,Prénom,2nd visit,order,notes", "1,0,Ana,2024-01-01,1,x"]
    with pytest.raises(LandingFileError) as raised:
        read_landing_file(landing_file(tmp_path, "credit-h.csv", lines, compress=False), spec)
    message = str(raised.value)
    assert "credit-h.csv: header does not match the spec: missing columns ['LIMIT_BAL'], " in message
    assert "unexpected columns ['limit_bal', 'notes']" in message
    assert "source:" in message


def test_duplicate_header_names_are_an_error_naming_them_before_anything_else(tmp_path):
    spec = delivered_as(CREDIT_COLUMNS)
    # repeated names, and rows that also have the wrong number of fields: the repetition is reported
    lines = [
        "LIMIT_BAL,order,Prénom,2nd visit,LIMIT_BAL,order,order",
        "1,2,3",
    ]
    with pytest.raises(LandingFileError) as raised:
        read_landing_file(landing_file(tmp_path, "credit-dup.csv", lines, compress=False), spec)
    assert str(raised.value) == (
        "credit-dup.csv: the header names a column more than once: "
        "'LIMIT_BAL' at positions 1, 5; 'order' at positions 2, 6, 7"
    )


def test_rows_are_counted_against_the_header_they_come_with(tmp_path):
    spec = delivered_as(CREDIT_COLUMNS)
    lines = ["LIMIT_BAL,default-payment-next-month,Prénom,2nd visit,order", "1,0,Ana,2024-01-01,1", "1,0,Ana"]
    with pytest.raises(
        LandingFileError,
        match=r"credit-r.csv: expected 5 columns per row \(as its header has\), 1 rows differ, e.g. lines 3",
    ):
        read_landing_file(landing_file(tmp_path, "credit-r.csv", lines, compress=False), spec)


def test_a_parquet_file_is_mapped_through_source_too(tmp_path):
    spec = delivered_as(CREDIT_COLUMNS, kind="parquet")
    path = tmp_path / "credit.parquet"
    with duckdb.connect() as connection:
        connection.execute(
            'copy (select 20000.0 as "LIMIT_BAL", 1 as "default-payment-next-month", \'Zoé\' as "Prénom", '
            '\'2024-01-05\' as "2nd visit", 3 as "order") to ? (format parquet)',
            [str(path)],
        )
    frame = read_landing_file(LandingFile(path, file_sha256(path), "credit"), spec).rows
    assert frame.loc[0, ["limit_bal", "prenom", "order"]].tolist() == ["20000.0", "Zoé", "3"]


# --- values: the landing check accepts exactly what staging can type (tests/unit/landing_values.py) ---


def shop_file(tmp_path: Path, rows: list[str], **spec_overrides):
    spec = landing_values.write_spec(tmp_path, **spec_overrides)
    path = landing_values.deliver(tmp_path / "landing", "sales-1", [landing_values.HEADER, *rows])
    return LandingFile(path=path, sha256=file_sha256(path), batch="sales-1"), spec


@pytest.mark.parametrize(("column", "value", "expected"), landing_values.REFUSED)
def test_a_value_the_warehouse_would_refuse_is_refused_at_the_door(tmp_path, column, value, expected):
    rows = [landing_values.row(), landing_values.row(**{column: value})]
    file, spec = shop_file(tmp_path, rows)
    with pytest.raises(LandingFileError) as raised:
        read_landing_file(file, spec)
    message = str(raised.value)
    assert message.startswith("sales-1.csv: ") and f"column '{column}': 1 values" in message
    assert expected in message and "(line 3)" in message


def test_awkward_values_staging_can_type_pass_the_door_as_delivered(tmp_path):
    rows = [landing_values.row(**{column: value}) for column, value, _ in landing_values.ACCEPTED]
    file, spec = shop_file(tmp_path, rows)
    batch = read_landing_file(file, spec)
    assert batch.quarantined.empty
    delivered = [
        batch.rows.loc[index, column] for index, (column, _, _) in enumerate(landing_values.ACCEPTED)
    ]
    assert delivered == [value for _, value, _ in landing_values.ACCEPTED]  # raw stays raw


def test_out_of_range_values_are_refused_with_their_lines(adult_spec, tmp_path):
    lines = [GOOD_ROW, with_value(0, "16"), GOOD_ROW, with_value(0, "91"), with_value(12, "0")]
    with pytest.raises(LandingFileError) as raised:
        read_landing_file(landing_file(tmp_path, "adult-range.csv.gz", lines), adult_spec)
    message = str(raised.value)
    assert "column 'age': 2 values are outside its range [17, 90]: '16' (line 2), '91' (line 4)" in message
    assert "column 'hours_per_week': 1 values are outside its range [1, 99]: '0' (line 5)" in message


def test_quarantine_keeps_the_valid_rows_and_sets_the_others_aside_with_their_reasons(tmp_path):
    rows = [
        landing_values.row(),
        landing_values.row(units="1e20", plan="platinum"),
        landing_values.row(price="1000.5"),
        landing_values.row(units="4"),
    ]
    file, spec = shop_file(tmp_path, rows, on_invalid="quarantine")
    batch = read_landing_file(file, spec)
    assert list(batch.rows["_line"]) == [2, 5] and list(batch.rows["units"]) == ["3", "4"]
    quarantined = batch.quarantined.set_index("_line")
    assert list(quarantined.index) == [3, 4]
    assert quarantined.loc[3, "_reason"] == (
        "units: '1e20' cannot be read as an integer (a whole number within the 64-bit range); "
        "plan: unknown category 'platinum'"
    )
    assert quarantined.loc[4, "_reason"] == "price: '1000.5' is outside [0, 1000]"
    assert json.loads(quarantined.loc[3, "_values"]) == {
        **landing_values.GOOD,
        "units": "1e20",
        "plan": "platinum",
    }


def test_quarantine_still_refuses_a_file_without_one_valid_row(tmp_path):
    file, spec = shop_file(tmp_path, [landing_values.row(member="maybe")], on_invalid="quarantine")
    with pytest.raises(LandingFileError, match="sales-1.csv: every row is invalid, nothing to ingest"):
        read_landing_file(file, spec)


def test_a_column_empty_in_every_row_is_refused_naming_the_two_options(adult_spec, tmp_path):
    lines = [with_value(1, "?"), with_value(1, " ")]  # workclass is imputable, yet nothing to impute from
    with pytest.raises(LandingFileError) as raised:
        read_landing_file(landing_file(tmp_path, "adult-empty-column.csv.gz", lines), adult_spec)
    assert str(raised.value) == (
        "adult-empty-column.csv.gz: column 'workclass' has no value in any of the file's 2 rows; if it is "
        "expected to be empty, say so with all_null: keep (kept as a column without values, never imputed "
        "or learned) or all_null: drop (left out after the raw table)"
    )


@pytest.mark.parametrize("all_null", ["keep", "drop"])
def test_a_column_declared_empty_is_accepted_empty_and_refused_with_values(tmp_path, all_null):
    columns = {**landing_values.SPEC["columns"], "note": {"type": "categorical", "all_null": all_null}}
    spec = landing_values.write_spec(tmp_path, columns=columns)
    header = landing_values.HEADER + ",note"
    empty = landing_values.deliver(
        tmp_path, "sales-1", [header, landing_values.row() + ",", landing_values.row() + ",NA"]
    )
    batch = read_landing_file(LandingFile(empty, file_sha256(empty), "sales-1"), spec)
    assert list(batch.rows["note"]) == ["", "NA"]
    filled = landing_values.deliver(
        tmp_path, "sales-2", [header, landing_values.row() + ",", landing_values.row() + ",x"]
    )
    with pytest.raises(LandingFileError) as raised:
        read_landing_file(LandingFile(filled, file_sha256(filled), "sales-2"), spec)
    assert str(raised.value) == (
        f"sales-2.csv: column 'note' is declared empty (all_null: {all_null}) but 1 rows have a value: "
        "'x' (line 3); remove all_null to use its values"
    )
