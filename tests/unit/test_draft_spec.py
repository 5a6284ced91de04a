"""`accrete init`'s library: safe column names, and a spec drafted from a file's sample and checked on all of it."""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import pytest
import yaml

from accrete.column_names import safe_column_name, safe_column_names
from accrete.generator.autoregressive.settings import SETTINGS, validate_settings
from accrete.onboard.draft_spec import SpecDraft, draft_spec
from accrete.onboard.file_layout import DraftError
from accrete.onboard.spec_writer import spec_text
from accrete.spec import load_spec
from tests.conftest import ADULT_LANDING, ADULT_SPEC


def write_csv(path: Path, rows: list[list[object]], separator: str = ",") -> Path:
    path.write_text("".join(separator.join(str(value) for value in row) + "\n" for row in rows))
    return path


def columns_of(draft: SpecDraft) -> dict[str, dict]:
    """The drafted columns as the spec file has them (parsed back from the YAML the writer wrote)."""
    return yaml.safe_load(spec_text(draft))["columns"]


# --- safe column names -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("LIMIT_BAL", "limit_bal"),
        ("default-payment-next-month", "default_payment_next_month"),
        ("Prénom", "prenom"),
        ("  Date of Birth (UTC) ", "date_of_birth_utc"),
        ("2nd visit", "c_2nd_visit"),
        ("order", "order_"),
        ("SELECT", "select_"),
        ("end", "end_"),
        ("left", "left_"),
        ("name", "name"),
        ("time", "time"),
        ("%", "unnamed"),
    ],
)
def test_a_header_becomes_a_safe_lower_snake_case_key(header, key):
    assert safe_column_name(header) == key
    assert key.isidentifier() and key == key.lower()


def test_colliding_headers_are_numbered_without_taking_another_headers_name():
    keys = safe_column_names(["Age", "AGE", "age_2", "Order", "ORDER"])
    assert keys == {"Age": "age", "AGE": "age_3", "age_2": "age_2", "Order": "order_", "ORDER": "order_2"}
    assert len(set(keys.values())) == len(keys)


def test_a_header_named_twice_is_an_error_naming_it_and_its_positions():
    with pytest.raises(ValueError, match=r"more than once: 'amount' at positions 2, 4"):
        safe_column_names(["id", "amount", "date", " amount"])


# --- layout: separator, header, missing tokens --------------------------------------------------


def test_a_headerless_file_gets_numbered_columns_and_no_source(tmp_path):
    path = write_csv(
        tmp_path / "people.csv", [[30 + i % 7, "x" if i % 2 else "y", i * 1.5] for i in range(40)]
    )
    draft = draft_spec(path, "people")
    assert not draft.layout.header
    assert "'30' is a number" in draft.layout.reasons["header"]
    columns = columns_of(draft)
    assert list(columns) == ["column_1", "column_2", "column_3"]
    assert all("source" not in entry for entry in columns.values())


def test_semicolons_tabs_and_headers_are_detected_and_source_kept_only_where_the_header_differs(tmp_path):
    rows = [["Customer Name Code", "amount", "Région"]] + [
        [f"c{i % 5}", i, ["Nord", "Sud"][i % 2]] for i in range(30)
    ]
    for separator in (";", "\t"):
        draft = draft_spec(write_csv(tmp_path / "sales.txt", rows, separator), "sales")
        assert draft.layout.separator == separator and draft.layout.header
        columns = columns_of(draft)
        assert columns["customer_name_code"]["source"] == "Customer Name Code"
        assert "source" not in columns["amount"]
        assert columns["region"] == {"type": "categorical", "categories": ["Nord", "Sud"], "source": "Région"}


def test_missing_value_tokens_seen_are_listed_and_make_columns_imputable(tmp_path):
    rows = [["age", "job"]] + [
        [["?", 25, "NA", 40][i % 4], ["Private", "", "State-gov"][i % 3]] for i in range(60)
    ]
    draft = draft_spec(write_csv(tmp_path / "jobs.csv", rows), "jobs")
    assert list(draft.missing_tokens) == ["", "?", "NA"]
    assert "15 values in age" in draft.missing_tokens["?"]
    assert draft.imputation == ["age", "job"]
    assert columns_of(draft)["age"] == {"type": "numerical", "integer": True, "min": 25, "max": 40}


def test_a_column_empty_in_every_row_is_declared_empty_and_the_draft_loads(tmp_path):
    rows = [["amount", "Notes", "sex"]] + [[i, "", "NA"] for i in range(30)]
    draft = draft_spec(write_csv(tmp_path / "export.csv", rows), "export")
    assert columns_of(draft)["notes"] == {"type": "categorical", "all_null": "drop", "source": "Notes"}
    assert draft.imputation == [] and draft.sensitive_candidates == {}
    spec_file = tmp_path / "export" / "spec.yaml"
    spec_file.parent.mkdir()
    spec_file.write_text(spec_text(draft))
    assert load_spec(spec_file).columns["sex"].all_null == "drop"


# --- types, identifiers, categories, datetimes ---------------------------------------------------


@pytest.fixture
def mixed(tmp_path) -> SpecDraft:
    """One column of each kind the draft guesses, 60 rows."""
    header = ["id", "email", "full_name", "order_code", "zip", "score", "visits", "member", "joined", "seen",
              "colour", "city", "note"]  # fmt: skip
    rows = [header]
    for i in range(60):
        rows.append(
            [
                i + 1,
                f"person{i}@example.org",
                f"{['Anna', 'Boris', 'Chen', 'Dana'][i % 4]} {['Smith', 'Novak', 'Li'][i % 3]}{'son' * (i // 12)}",
                f"ORD-{1000 + i}",
                f"0{2130 + i % 9}",
                round(0.5 + i * 0.25, 2),
                i % 9,
                ["yes", "No"][i % 2],
                f"{1 + i % 28:02d}/{1 + i % 12:02d}/2024",
                f"2024-02-{1 + i % 28:02d} 10:{i % 60:02d}:00",
                ["red", "green", "blue"][i % 3],
                f"Town {i % 40}",
                "n/a" if i == 7 else i,
            ]
        )
    return draft_spec(write_csv(tmp_path / "mixed.csv", rows), "mixed")


def test_each_column_gets_its_type_and_options(mixed):
    columns = columns_of(mixed)
    assert columns["score"] == {"type": "numerical", "min": 0.5, "max": 15.25}
    assert columns["visits"] == {"type": "numerical", "integer": True, "min": 0, "max": 8}
    assert columns["member"] == {"type": "boolean"}
    assert columns["colour"] == {"type": "categorical", "categories": ["blue", "green", "red"]}
    assert columns["city"] == {"type": "categorical"}  # 40 distinct of 60: too few repeats to list
    assert columns["zip"]["type"] == "categorical"  # a leading zero: a code, not a number
    assert columns["note"] == {"type": "numerical", "integer": True, "min": 0, "max": 59}  # n/a is missing


def test_datetime_formats_parse_every_value_and_ambiguous_ones_are_named(mixed):
    columns = columns_of(mixed)
    assert columns["seen"] == {"type": "datetime", "datetime_format": "%Y-%m-%d %H:%M:%S"}
    assert columns["joined"] == {"type": "datetime", "datetime_format": "%d/%m/%Y"}
    joined = next(column for column in mixed.columns if column.key == "joined")
    assert "so do '%m/%d/%Y': check which is meant" not in joined.guess.reasons[0]  # days above 12 decide
    with duckdb.connect() as connection:  # the format is DuckDB's, as staging parses it
        assert connection.execute("select strptime('28/12/2024', '%d/%m/%Y')").fetchall()


def test_a_format_that_cannot_tell_day_from_month_says_so(tmp_path):
    rows = [["visit"]] + [[f"{1 + i % 12:02d}/{1 + i % 9:02d}/2024"] for i in range(30)]
    visit = draft_spec(write_csv(tmp_path / "visits.csv", rows), "visits").columns[0]
    assert visit.guess.entry == {"type": "datetime", "datetime_format": "%d/%m/%Y"}
    assert "(so do '%m/%d/%Y': check which is meant)" in visit.guess.reasons[0]


def test_a_running_number_is_an_identifier_and_a_unique_measurement_is_not(tmp_path):
    rows = [["row", "weight"]] + [[1000 + i, 50_000 + 7_919 * i] for i in range(40)]
    draft = draft_spec(write_csv(tmp_path / "weights.csv", rows), "weights")
    row, weight = draft.columns
    assert row.guess.type == "identifier" and "a running number" in row.guess.reasons[0]
    assert weight.guess.entry == {"type": "numerical", "integer": True, "min": 50_000, "max": 358_841}
    assert "if it is a record number, make it an identifier" in weight.guess.reasons[-1]


def test_identifiers_by_name_by_pattern_and_by_uniqueness(mixed):
    reasons = {column.key: column.guess.reasons[0] for column in mixed.columns}
    types = {column.key: column.guess.type for column in mixed.columns}
    assert {key for key, kind in types.items() if kind == "identifier"} == {
        "id",
        "email",
        "full_name",
        "order_code",
    }
    assert "the name 'id' says it is a record id" in reasons["id"]
    assert "the name 'email' says it holds personal data" in reasons["email"]
    assert "the name 'full_name' says it holds person names" in reasons["full_name"]
    assert "differs in every one of the 60 rows" in reasons["order_code"]
    assert "id" not in mixed.imputation


def test_values_shaped_like_personal_data_make_an_identifier_whatever_the_name(tmp_path):
    first, last = (
        ["Ada", "Ben", "Cy", "Dora", "Emil", "Fay", "Gus", "Hana"],
        ["Moss", "Park", "Ng", "Ruiz", "Kahn"],
    )
    rows = [["contact", "who", "team"]] + [
        [f"user{i}@mail.example.com", f"{first[i % 8]} {last[i // 8]}", "A" if i % 2 else "B"]
        for i in range(40)
    ]
    rows[5][0] = rows[4][0]  # not unique: the pattern alone decides
    draft = draft_spec(write_csv(tmp_path / "contacts.csv", rows), "contacts")
    reasons = {column.key: column.guess.reasons[0] for column in draft.columns}
    assert reasons["contact"].startswith("identifier: 39 of the 39 values checked look like an email address")
    assert reasons["who"].startswith("identifier: 40 of the 40 values checked look like person names")
    assert reasons["team"].startswith("categorical")


def test_every_guess_has_a_comment_saying_why(mixed):
    text = spec_text(mixed)
    lines = text.splitlines()
    start = lines.index("columns:") + 1
    for position, line in enumerate(lines[start:], start):
        if not line.strip():
            break
        if not line.startswith("  #") and not line.startswith("    "):
            assert lines[position - 1].lstrip().startswith("#"), line
    assert "# EDIT before the first run:" in text and "target:    the column" in text
    assert "integer: all 60 values are whole numbers" in text
    assert "categorical: 3 distinct values, listed as the only ones later files may hold" in text


def test_the_drafted_generator_trains_until_early_stopping_not_by_the_clock(mixed, tmp_path):
    spec_file = tmp_path / "mixed" / "spec.yaml"
    spec_file.parent.mkdir()
    spec_file.write_text(spec_text(mixed))
    settings = validate_settings(load_spec(spec_file).generator.settings)
    assert SETTINGS["max_seconds"][0] is not None  # the backend's default is a budget: the draft turns it off
    assert settings["max_seconds"] is None and settings["epochs"] == SETTINGS["epochs"][0]
    assert "# no time budget: early stopping alone ends training" in spec_file.read_text()


def test_a_record_key_is_suggested_only_when_columns_that_name_a_record_are_unique(tmp_path):
    rows = [["store", "day", "sales"]] + [
        [f"s{i % 4}", f"2024-01-{1 + i // 4:02d}", i * 3.5] for i in range(40)
    ]
    draft = draft_spec(write_csv(tmp_path / "sales.csv", rows), "sales")
    assert draft.record_key.columns == ("store", "day")
    assert "set record_key: [store, day] only if" in draft.record_key.reason
    assert yaml.safe_load(spec_text(draft))["record_key"] == []  # a suggestion, never applied
    repeated = write_csv(tmp_path / "repeated.csv", rows + rows[1:3])
    assert draft_spec(repeated, "sales").record_key.columns == ()


def test_candidate_sensitive_attributes_are_found_by_name(mixed, tmp_path):
    rows = [["Gender", "age_band", "Marital-Status", "page", "wage"]] + [
        ["F", "30-39", "single", i, i] for i in range(30)
    ]
    draft = draft_spec(write_csv(tmp_path / "people.csv", rows), "people")
    assert draft.sensitive_candidates == {"gender": "gender", "age_band": "age", "marital_status": "marital"}
    assert yaml.safe_load(spec_text(draft))["sensitive"] == []


# --- the whole-file check -------------------------------------------------------------------------


def test_the_whole_file_widens_bounds_adds_categories_and_changes_broken_types(tmp_path):
    rows = [["amount", "colour", "count", "when", "level"]]
    rows += [
        [10 + i % 5, ["red", "blue"][i % 2], i % 7, f"2024-01-{1 + i % 28:02d}", i % 3] for i in range(100)
    ]
    rows += [[250, "green", "many", "soon", ""]]
    path = write_csv(tmp_path / "growing.csv", rows)
    draft = draft_spec(path, "growing", sample_rows=50)
    assert (draft.sampled_rows, draft.rows) == (50, 101)
    columns = columns_of(draft)
    assert columns["amount"] == {"type": "numerical", "integer": True, "min": 10, "max": 250}
    assert columns["colour"]["categories"] == ["blue", "green", "red"]
    assert columns["count"]["type"] == "categorical"
    assert (columns["when_"]["type"], columns["when_"]["source"]) == ("categorical", "when")  # a SQL keyword
    changes = "\n".join(draft.changes)
    assert "amount: max widened from 14 to 250 by rows beyond the sample" in changes
    assert "colour: categories not in the sample added: 'green'" in changes
    assert "count: numerical in the sample, categorical in the whole file" in changes and "'many'" in changes
    assert "when_: datetime in the sample, categorical in the whole file" in changes
    assert "level: 1 row beyond the sample without a value: added to imputation.columns" in changes
    assert draft.imputation == ["level"]
    unchecked = draft_spec(path, "growing", sample_rows=1000)
    assert unchecked.changes == [] and unchecked.rows == unchecked.sampled_rows == 101


def test_a_gzipped_file_and_a_parquet_file_draft_the_same_columns(tmp_path):
    rows = [["city", "temp"]] + [[["Oslo", "Rome"][i % 2], i / 2] for i in range(30)]
    plain = write_csv(tmp_path / "weather.csv", rows)
    zipped = tmp_path / "weather.csv.gz"
    zipped.write_bytes(gzip.compress(plain.read_bytes()))
    parquet = tmp_path / "weather.parquet"
    with duckdb.connect() as connection:
        connection.execute(f"copy (select * from read_csv('{plain}')) to '{parquet}' (format parquet)")
    drafts = [draft_spec(path, "weather") for path in (plain, zipped, parquet)]
    assert columns_of(drafts[0]) == columns_of(drafts[1]) == columns_of(drafts[2])
    assert drafts[1].landing_pattern == "*.csv.gz" and drafts[2].layout.kind == "parquet"
    assert yaml.safe_load(spec_text(drafts[2]))["format"] == {"kind": "parquet", "missing_tokens": [""]}


# --- bad files ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"a,b\n", "the file has a header but no rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV or Parquet file"),
        (b"\xff\xfe\xfa caf\xe9\n", "not UTF-8 text"),
        (b"a,b,c\n1,2,3\n4,5\n", "row 3 has 2 fields where the first row has 3"),
        (b"id,amount,id\n1,2,3\n", "the header names a column more than once: 'id' at positions 1, 3"),
        (b"PAR1 broken", "cannot be read as Parquet"),
    ],
)
def test_a_file_that_cannot_be_drafted_is_an_error_naming_it(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(DraftError, match="bad.csv") as error:
        draft_spec(path, "bad")
    assert message in str(error.value)


def test_a_missing_file_is_an_error(tmp_path):
    with pytest.raises(DraftError, match="absent.csv: file not found"):
        draft_spec(tmp_path / "absent.csv", "absent")


# --- drafts that load ------------------------------------------------------------------------------


def test_adult_with_a_header_drafts_a_spec_that_loads_and_agrees_with_the_bundled_one(tmp_path):
    bundled = load_spec(ADULT_SPEC)
    with gzip.open(ADULT_LANDING / "adult-train.csv.gz", "rt") as handle:
        lines = [next(handle) for _ in range(3000)]
    path = tmp_path / "adult.csv"
    path.write_text(", ".join(bundled.columns) + "\n" + "".join(lines))
    draft = draft_spec(path, "adult")
    spec_file = tmp_path / "adult" / "spec.yaml"
    spec_file.parent.mkdir()
    spec_file.write_text(spec_text(draft))
    spec = load_spec(spec_file)
    assert spec.format.missing_tokens == ["", "?"] and spec.format.header
    assert {name: column.type for name, column in spec.columns.items()} == {
        name: column.type for name, column in bundled.columns.items()
    }
    assert all(column.source is None for column in spec.columns.values())
    assert spec.columns["education"].categories == sorted(bundled.columns["education"].categories)
    assert spec.imputation.columns == ["workclass", "occupation", "native_country"]
    assert spec.target is None and spec.sensitive == [] and spec.record_key == []
