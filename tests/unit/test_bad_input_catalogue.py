"""The catalogue of bad inputs: each kind of bad file, value and spec, with the error the user sees
and proof that nothing was written (README.md, "Bad input is refused whole", lists the same cases).

Files and values are ingested with the real ingestion into a real DuckDB file that already holds
one good batch of the small shop dataset of ``landing_values``; after the refusal, the raw table's
rows and the warehouse's list of tables are as they were. Specs are loaded with ``load_spec``: a
SpecError naming the spec file, and no file created beside it.

The single-file details of these refusals are tested in ``test_landing.py`` (headers, quarantine,
Adult's values), ``landing_values.REFUSED`` (the values staging cannot type, reused here as they are)
and ``test_spec.py`` (every spec key); the catalogue checks each kind end to end, once.
"""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from accrete.ingest.landing import LandingFileError
from accrete.ingest.raw import ingest_landing_files
from accrete.spec import DatasetSpec, SpecError
from accrete.tables import DatasetTables
from accrete.warehouse import connect
from tests.unit import landing_values
from tests.unit.landing_values import HEADER, deliver, row, write_spec

PARQUET = {"format": {"kind": "parquet"}, "landing": {"pattern": "sales-*.parquet"}}
GOOD_PARQUET = "select '3' as units, '9.5' as price, '2024-01-05 10:00:00' as sold_at, '05/01/2024' as \"day\", 'yes' as member, 'gold' as plan"
"""The good row of ``landing_values.GOOD`` as a Parquet query."""


def write_parquet(folder: Path, name: str, query: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as connection:
        connection.execute(f"copy ({query}) to ? (format parquet)", [str(folder / f"{name}.parquet")])


@contextmanager
def stocked_warehouse(
    tmp_path: Path, kind: str
) -> Iterator[tuple[duckdb.DuckDBPyConnection, DatasetSpec, Path]]:
    """A warehouse file holding one good batch (``sales-0``) of the shop dataset delivered as ``kind``."""
    spec = write_spec(tmp_path, **(PARQUET if kind == "parquet" else {}))
    landing = tmp_path / "landing"
    if kind == "parquet":
        write_parquet(landing / "shop", "sales-0", GOOD_PARQUET)
    else:
        deliver(landing, "sales-0", [HEADER, row()])
    with connect(tmp_path / "warehouse.duckdb") as connection:
        assert ingest_landing_files(connection, spec, landing, run_id="run-0").ingested == {"sales-0": 1}
        yield connection, spec, landing


def contents(connection: duckdb.DuckDBPyConnection) -> tuple[list, list]:
    """What a refused input must leave as it was: every table, and every raw row."""
    tables = connection.execute(
        "select table_schema, table_name from information_schema.tables order by all"
    ).fetchall()
    rows = connection.execute(f"select * from {DatasetTables('shop').raw} order by _row_id").fetchall()
    return tables, rows


def csv_file(*lines: str) -> Callable[[Path], None]:
    return lambda folder: deliver(folder.parent, "sales-1", list(lines))


def raw_bytes(content: bytes) -> Callable[[Path], None]:
    return lambda folder: (folder / "sales-1.csv").write_bytes(content)


def parquet_file(query: str) -> Callable[[Path], None]:
    return lambda folder: write_parquet(folder, "sales-1", query)


def truncated_gzip(folder: Path) -> None:
    whole = gzip.compress("".join(line + "\n" for line in [HEADER, *[row()] * 200]).encode())
    (folder / "sales-1.csv").write_bytes(whole[: len(whole) // 2])


def only_other_files(folder: Path) -> None:
    (folder / "sales-0.csv").unlink()
    (folder / "notes.txt").write_text("the export is late")


def refused_value(column: str, value: str) -> tuple[Callable[[Path], None], tuple[str, ...]]:
    """A file whose second row holds ``value`` in ``column``, refused as ``landing_values.REFUSED`` says."""
    [says] = [
        says for known, delivered, says in landing_values.REFUSED if (known, delivered) == (column, value)
    ]
    parts = (f"sales-1.csv: column '{column}': 1 values", says, f"{value!r} (line 3)")
    return csv_file(HEADER, row(), row(**{column: value})), parts


FILE_CASES = [
    pytest.param("csv", shutil.rmtree, "landing/shop does not exist", id="file-landing-folder-missing"),
    pytest.param("csv", only_other_files, "matches 'sales-*.csv'", id="file-no-file-matches-the-pattern"),
    pytest.param("csv", raw_bytes(b""), "sales-1.csv: the file is empty", id="file-empty"),
    pytest.param("csv", raw_bytes(b"\n\n\n"), "sales-1.csv: the file is empty", id="file-blank-lines-only"),
    pytest.param("csv", csv_file(HEADER), "sales-1.csv: the file has no rows", id="file-header-only"),
    pytest.param(
        "csv",
        truncated_gzip,
        "sales-1.csv: the file cannot be read (corrupt or wrong format): Compressed file ended",
        id="file-truncated-gzip",
    ),
    pytest.param(
        "csv",
        raw_bytes("\n".join([HEADER, row(plan="caf\xe9"), ""]).encode("latin-1")),
        "sales-1.csv: the file cannot be read (corrupt or wrong format): 'utf-8' codec can't decode byte 0xe9",
        id="file-not-utf8",
    ),
    pytest.param(
        "csv",
        csv_file(HEADER.replace(",", ";"), row().replace(",", ";")),
        "sales-1.csv: header does not match the spec: missing columns ['units', 'price', 'sold_at', 'day', "
        "'member', 'plan'], unexpected columns ['units;price;sold_at;day;member;plan']",
        id="file-wrong-separator",
    ),
    pytest.param(
        "csv",
        csv_file(HEADER.replace("price", "units"), row()),
        "sales-1.csv: the header names a column more than once: 'units' at positions 1, 2",
        id="file-duplicate-header-names",
    ),
    pytest.param(
        "csv",
        csv_file(HEADER + ",note", row() + ",x"),
        "sales-1.csv: header does not match the spec: missing columns [], unexpected columns ['note']",
        id="file-extra-column",
    ),
    pytest.param(
        "csv",
        csv_file(HEADER.removesuffix(",plan"), row().removesuffix(",gold")),
        "sales-1.csv: header does not match the spec: missing columns ['plan'], unexpected columns []",
        id="file-missing-column",
    ),
    pytest.param(
        "csv",
        csv_file(HEADER, row(), "3,9.5"),
        "sales-1.csv: expected 6 columns per row (as its header has), 1 rows differ, e.g. lines 3",
        id="file-row-with-too-few-fields",
    ),
    pytest.param(
        "parquet",
        lambda folder: (folder / "sales-1.parquet").write_text(f"{HEADER}\n{row()}\n"),
        "sales-1.parquet: the file cannot be read as Parquet: Invalid Input Error: No magic bytes",
        id="file-parquet-that-is-not-parquet",
    ),
    pytest.param(
        "parquet",
        parquet_file(GOOD_PARQUET.replace("'3' as units", "3.5 as units")),
        "sales-1.parquet: column 'units': 1 values cannot be read as an integer (a whole number within the "
        "64-bit range): '3.5' (line 2)",
        id="file-parquet-double-for-an-integer",
    ),
    pytest.param(
        "parquet",
        parquet_file(GOOD_PARQUET.replace("'05/01/2024' as", "date '2024-01-05' as")),
        "sales-1.parquet: column 'day': 1 values cannot be read as a datetime in the format '%d/%m/%Y': "
        "'2024-01-05' (line 2)",
        id="file-parquet-date-for-a-formatted-datetime",
    ),
    pytest.param(
        "parquet",
        parquet_file(GOOD_PARQUET.replace("'3' as units", "[3] as units")),
        "sales-1.parquet: column 'units': 1 values cannot be read as an integer (a whole number within the "
        "64-bit range): '[3]' (line 2)",
        id="file-parquet-list-for-an-integer",
    ),
    pytest.param(
        "parquet",
        parquet_file(GOOD_PARQUET + ', 4 as "units "'),
        "sales-1.parquet: the header names a column more than once: 'units' at positions 1, 7",
        id="file-parquet-duplicate-column-names",
    ),
]

VALUE_CASES = [
    pytest.param(*refused_value("units", "9223372036854775808"), id="value-integer-overflowing-64-bit"),
    pytest.param(*refused_value("units", "1e20"), id="value-integer-in-exponent-beyond-64-bit"),
    pytest.param(*refused_value("price", "nan"), id="value-nan"),
    pytest.param(*refused_value("price", "-inf"), id="value-infinity"),
    pytest.param(*refused_value("sold_at", "Jan 5 2024"), id="value-unparseable-datetime"),
    pytest.param(*refused_value("day", "2024-01-05"), id="value-datetime-not-in-its-format"),
    pytest.param(*refused_value("member", "maybe"), id="value-unparseable-boolean"),
    pytest.param(*refused_value("plan", "platinum"), id="value-unknown-category"),
    pytest.param(*refused_value("plan", "gold\u200b"), id="value-category-with-zero-width-space"),
    pytest.param(*refused_value("price", "1000.5"), id="value-out-of-range"),
    pytest.param(
        csv_file(HEADER, row(), row(units="NA")),
        (
            "sales-1.csv: column 'units' is required (not in imputation.columns) but 1 rows have no value, "
            "e.g. lines 3",
        ),
        id="value-required-value-missing",
    ),
    pytest.param(
        csv_file(HEADER, row(units="NA"), row(units="")),
        (
            "sales-1.csv: column 'units' has no value in any of the file's 2 rows; if it is expected to be "
            "empty, say so with all_null: keep",
        ),
        id="value-all-null-required-column",
    ),
    pytest.param(
        csv_file(HEADER, row(price="NA"), row(price="")),
        (
            "sales-1.csv: column 'price' has no value in any of the file's 2 rows; if it is expected to be "
            "empty, say so with all_null: keep (kept as a column without values, never imputed or learned) or "
            "all_null: drop (left out after the raw table)",
        ),
        id="value-all-null-imputable-column",
    ),
]


@pytest.mark.parametrize(("kind", "deliver_bad", "user_sees"), FILE_CASES)
def test_a_bad_file_is_refused_naming_it_and_the_warehouse_is_unchanged(
    tmp_path, kind, deliver_bad, user_sees
):
    with stocked_warehouse(tmp_path, kind) as (connection, spec, landing):
        before = contents(connection)
        deliver_bad(landing / "shop")
        with pytest.raises(LandingFileError) as raised:
            ingest_landing_files(connection, spec, landing, run_id="run-1")
        assert user_sees in str(raised.value)
        assert contents(connection) == before


@pytest.mark.parametrize(("deliver_bad", "user_sees"), VALUE_CASES)
def test_a_bad_value_is_refused_naming_column_value_and_line_and_the_warehouse_is_unchanged(
    tmp_path, deliver_bad, user_sees
):
    with stocked_warehouse(tmp_path, "csv") as (connection, spec, landing):
        before = contents(connection)
        deliver_bad(landing / "shop")
        with pytest.raises(LandingFileError) as raised:
            ingest_landing_files(connection, spec, landing, run_id="run-1")
        assert all(part in str(raised.value) for part in user_sees)
        assert contents(connection) == before


@pytest.mark.parametrize(
    ("kind", "deliver_awkward", "column", "stored"),
    [
        pytest.param(
            "csv",
            csv_file(HEADER, row(units="\t4\u00a0", plan="\u00a0silver")),
            "units",
            "\t4\u00a0",
            id="accepted-tabs-and-non-breaking-spaces-are-trimmed-by-staging",
        ),
        pytest.param(
            "parquet",
            parquet_file(
                "select 4 as units, 9.5 as price, timestamp '2024-01-05 10:00:00' as sold_at, "
                "'05/01/2024' as \"day\", true as member, 'gold' as plan"
            ),
            "member",
            "True",
            id="accepted-parquet-native-types-are-read-as-their-text",
        ),
    ],
)
def test_awkward_input_accepted_on_purpose_is_ingested_as_delivered(
    tmp_path, kind, deliver_awkward, column, stored
):
    """Staging trims every blank (``test_landing_matches_staging.py`` checks what it makes of them)."""
    with stocked_warehouse(tmp_path, kind) as (connection, spec, landing):
        deliver_awkward(landing / "shop")
        assert ingest_landing_files(connection, spec, landing, run_id="run-1").ingested == {"sales-1": 1}
        [[value]] = connection.execute(
            f"select {column} from {DatasetTables('shop').raw} where _batch = 'sales-1'"
        ).fetchall()
        assert value == stored


COLUMNS = landing_values.SPEC["columns"]
SPEC_CASES = [
    pytest.param({"colour": "blue"}, "key 'colour': Extra inputs are not permitted", id="spec-unknown-key"),
    pytest.param(
        {"columns": {**COLUMNS, "units": {"type": "numerical", "minimum": 0}}},
        "key 'columns.units.minimum': Extra inputs are not permitted",
        id="spec-unknown-column-option",
    ),
    pytest.param(
        {"columns": {**COLUMNS, "units": {"type": "number"}}},
        "key 'columns.units.type': Input should be 'numerical', 'categorical', 'datetime', 'boolean' or "
        "'identifier'",
        id="spec-unknown-column-type",
    ),
    pytest.param(
        {"columns": {**COLUMNS, "price": {"type": "numerical", "min": 10, "max": 1}}},
        "key 'columns.price': Value error, min (10.0) is greater than max (1.0)",
        id="spec-min-above-max",
    ),
    pytest.param(
        {"on_invalid": "drop"},
        "key 'on_invalid': Input should be 'refuse' or 'quarantine'",
        id="spec-bad-value",
    ),
    pytest.param(
        {"record_key": ["order_id"]},
        "record_key names unknown, identifier or empty (all_null) columns: ['order_id']",
        id="spec-record-key-naming-an-unknown-column",
    ),
    pytest.param(
        {"target": "pid", "columns": {**COLUMNS, "pid": {"type": "identifier"}}},
        "target names unknown, identifier or empty (all_null) columns: ['pid']",
        id="spec-target-that-is-an-identifier",
    ),
    pytest.param(
        {"columns": {**COLUMNS, "plan": {"type": "categorical", "categories": []}}},
        "key 'columns.plan': Value error, categories is an empty list, which no value could match",
        id="spec-empty-category-list",
    ),
    pytest.param(
        {"format": {"kind": "csv", "separator": ";;"}},
        "key 'format.separator': Value error, the separator must be one character, not ';;'",
        id="spec-multi-character-separator",
    ),
    pytest.param(
        {"columns": {}},
        "key 'columns': Value error, a dataset needs at least one column",
        id="spec-no-columns",
    ),
    pytest.param(
        {"rules": [{"name": "units_plan", "kind": "combination", "columns": ["units", "colour"]}]},
        "rule 'units_plan' names unknown, identifier or empty (all_null) columns: ['colour']",
        id="spec-rule-naming-an-unknown-column",
    ),
    pytest.param(
        {"rules": [{"name": "x", "kind": "sum", "columns": ["units"]}]},
        "key 'rules.0': Input tag 'sum' found using 'kind' does not match any of the expected tags",
        id="spec-unknown-rule-kind",
    ),
    pytest.param(
        {"rules": [{"name": "total", "kind": "formula", "column": "price", "equals": "units *"}]},
        "'units *' is not a SQL expression: syntax error",
        id="spec-formula-that-is-not-sql",
    ),
    pytest.param(
        {
            "rules": [
                {
                    "name": "sold_late",
                    "kind": "inequality",
                    "left": "sold_at",
                    "operator": ">",
                    "right": "price",
                }
            ]
        },
        "rule 'sold_late' compares ['datetime', 'numerical'] columns: both must be numerical or both datetime",
        id="spec-inequality-across-types",
    ),
    pytest.param(
        {"rules": [{"name": "total", "kind": "formula", "column": "price", "equals": "units * plan"}]},
        "rule 'total': a formula computes a number from numbers, not from ['categorical', 'numerical'] columns",
        id="spec-formula-reading-a-category",
    ),
    pytest.param(
        {
            "rules": [
                {"name": "known_units", "kind": "reference", "column": "units", "table": "units", "key": "n"}
            ]
        },
        "rule 'known_units': a reference rule checks the values of a categorical column, not a numerical one",
        id="spec-reference-rule-on-a-number",
    ),
    pytest.param(
        {"rules": [{"name": "one", "kind": "one_hot", "columns": ["member", "units"]}]},
        "rule 'one': a one_hot group is made of boolean columns, not ['boolean', 'numerical']",
        id="spec-one-hot-with-a-number",
    ),
    pytest.param(
        {
            "rules": [{"name": "total", "kind": "formula", "column": "price", "equals": "units * 2"}],
            "synthetic": {"rows": 10, "conditions": {"price": 4}},
        },
        "synthetic.conditions, rebalance or fairness name ['price'], which rules compute",
        id="spec-condition-on-a-computed-column",
    ),
    pytest.param(
        {"generator": {"backend": "gaussian_copula", "privacy": {"epsilon": 1}}},
        "generator.privacy needs the autoregressive backend; 'gaussian_copula' trains without DP",
        id="spec-privacy-on-an-sdv-backend",
    ),
    pytest.param(
        {"generator": {"backend": "autoregressive", "privacy": {"epsilon": 1, "noise": 2}}},
        "privacy: unknown key(s) noise; known: epsilon, delta",
        id="spec-privacy-unknown-key",
    ),
    pytest.param(
        {"generator": {"backend": "autoregressive", "privacy": {"epsilon": -1}}},
        "privacy.epsilon must be a positive number, got -1",
        id="spec-privacy-negative-epsilon",
    ),
    pytest.param(
        {"generator": {"backend": "autoregressive", "privacy": {"epsilon": 1}}},
        "generator.privacy: numerical column 'units' needs both min and max; datetime column 'sold_at' "
        "cannot be laid out privately yet; datetime column 'day' cannot be laid out privately yet",
        id="spec-privacy-with-bounds-read-from-the-data",
    ),
    pytest.param(
        {
            "columns": {name: COLUMNS[name] for name in ("price", "member", "plan")},
            "rules": [{"name": "plan_member", "kind": "combination", "columns": ["plan", "member"]}],
            "generator": {"backend": "autoregressive", "privacy": {"epsilon": 1}},
        },
        "generator.privacy: rules ['plan_member'] keep combinations read from the real rows",
        id="spec-privacy-with-a-rule-read-from-the-data",
    ),
    pytest.param(
        {"generator": {"backend": "autoregressive", "settings": {"privacy": {"epsilon": 1}}}},
        "generator.settings.privacy: write the budget as generator.privacy",
        id="spec-privacy-among-the-settings",
    ),
]


@pytest.mark.parametrize(("overrides", "user_sees"), SPEC_CASES)
def test_a_bad_spec_is_refused_naming_file_and_key_and_nothing_is_created(tmp_path, overrides, user_sees):
    with pytest.raises(SpecError) as raised:
        write_spec(tmp_path, **overrides)
    spec_file = tmp_path / "datasets" / "shop" / "spec.yaml"
    assert str(raised.value).startswith(f"{spec_file}: ")
    assert user_sees in str(raised.value)
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == [spec_file]
