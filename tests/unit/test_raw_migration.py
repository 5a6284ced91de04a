"""A changed spec migrates the raw table (real DuckDB files), and the dbt models build on it (real dbt).

Earlier batches keep their values through an added, dropped, renamed or widened column; a narrowing
the stored values break is refused with the warehouse unchanged; a second run migrates nothing.
"""

from __future__ import annotations

import copy
from pathlib import Path

import dagster as dg
import pytest
import yaml

from accrete.ingest.raw import ingest_landing_files
from accrete.ingest.raw_migration import RawMigrationError
from accrete.spec import DatasetSpec, SpecError, load_spec
from accrete.tables import RAW_MIGRATIONS
from accrete.warehouse import column_types, connect
from assets.ingest.raw import build_raw_asset
from resources import DuckDBWarehouse, LandingZone
from tests.dbt_copy import dbt_project_copy, run_dbt

REPO = Path(__file__).resolve().parents[2]

SPEC = {
    "name": "clinic",
    "description": "Visits to a clinic (test data).",
    "source": "written by the test",
    "licence": "CC0",
    "landing": {"pattern": "visits-*.csv"},
    "columns": {
        "pid": {"type": "identifier"},
        "fax": {"type": "identifier"},
        "age": {"type": "numerical", "integer": True, "min": 0, "max": 120},
        "wt": {"type": "numerical"},
        "ward": {"type": "categorical", "categories": ["A", "B"]},
    },
    "synthetic": {"rows": 10},
}
EARLIER = {
    "visits-1": [
        "pid,fax,age,wt,ward",
        "p1,555-0101,34,70.5,A",
        "p2,555-0102,51,82,B",
        "p3,,47,64.25,A",
    ],
    "visits-2": ["pid,fax,age,wt,ward", "p4,555-0104,29,90,B", "p5,555-0105,63,71.5,B"],
}


def changed_spec() -> dict:
    """Fax dropped, wt renamed to weight_kg, age widened to any number, ward's categories grown,
    and an imputable column added."""
    spec = copy.deepcopy(SPEC)
    columns = spec["columns"]
    del columns["fax"]
    columns["age"] = {"type": "numerical", "min": 0, "max": 120}
    columns["weight_kg"] = {**columns.pop("wt"), "renamed_from": "wt"}
    columns["ward"]["categories"] = ["A", "B", "C"]
    columns["bed"] = {"type": "categorical"}
    spec["imputation"] = {"columns": ["bed"]}
    return spec


LATER = ["pid,age,weight_kg,ward,bed", "p6,40.5,77,C,north", "p7,38,68,A,south", "p8,45,80,C,north"]


def write_spec(folder: Path, content: dict) -> DatasetSpec:
    path = folder / "datasets" / content["name"] / "spec.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(content, sort_keys=False))
    return load_spec(path)


def deliver(landing: Path, dataset: str, name: str, lines: list[str]) -> None:
    folder = landing / dataset
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.csv").write_text("".join(line + "\n" for line in lines))


def query(warehouse: Path, sql: str) -> list[tuple]:
    with connect(warehouse, read_only=True) as connection:
        return connection.execute(sql).fetchall()


def dbt_build(
    tmp_path: Path, spec: DatasetSpec, warehouse: Path, days: tuple[str, str] | None = None
) -> None:
    """``dbt build`` of the dataset's models, generated from ``spec`` into a copy of the project."""
    project = dbt_project_copy(tmp_path / "dbt_project", {spec.name: spec})
    result = run_dbt(project, warehouse, "build", "--select", f"tag:dataset_{spec.name}", days=days)
    assert result.returncode == 0, result.stdout[-4000:]


@pytest.fixture
def clinic(tmp_path):
    """A landing folder and a warehouse holding two batches ingested under the first spec."""
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse" / "accrete.duckdb"
    for name, lines in EARLIER.items():
        deliver(landing, "clinic", name, lines)
    ingest(warehouse, write_spec(tmp_path, SPEC), landing, "run-1")
    return landing, warehouse


def ingest(warehouse: Path, spec: DatasetSpec, landing: Path, run_id: str, days: list[str] | None = None):
    with connect(warehouse) as connection:
        return ingest_landing_files(connection, spec, landing, run_id=run_id, days=days)


def column_types_of(warehouse: Path, table: str) -> dict[str, str]:
    with connect(warehouse, read_only=True) as connection:
        return column_types(connection, table)


def snapshot(warehouse: Path) -> dict[str, tuple]:
    """Every table of the warehouse with its columns and all its rows: what "unchanged" compares."""
    with connect(warehouse, read_only=True) as connection:
        tables = connection.execute(
            "select table_schema || '.' || table_name from information_schema.tables order by all"
        ).fetchall()
        return {
            name: (
                column_types(connection, name),
                connection.execute(f"select * from {name} order by all").fetchall(),
            )
            for (name,) in tables
        }


def test_add_drop_rename_widen_keep_earlier_batches_and_dbt_builds(clinic, tmp_path):
    landing, warehouse = clinic
    dbt_build(tmp_path, load_spec(tmp_path / "datasets" / "clinic" / "spec.yaml"), warehouse)
    spec = write_spec(tmp_path, changed_spec())
    deliver(landing, "clinic", "visits-3", LATER)
    report = ingest(warehouse, spec, landing, "run-2")
    assert report.ingested == {"visits-3": 3}
    assert report.migration.summary == (
        "added bed (null for 2 earlier batches); dropped fax; renamed wt -> weight_kg; "
        "changed age (integer true -> false), every stored value fits; "
        'changed ward (categories ["A", "B"] -> ["A", "B", "C"]), every stored value fits'
    )
    raw = query(warehouse, "select _row_id, pid, age, weight_kg, ward, bed from raw.clinic order by _row_id")
    assert raw == [
        ("visits-1:2", "p1", "34", "70.5", "A", None),
        ("visits-1:3", "p2", "51", "82", "B", None),
        ("visits-1:4", "p3", "47", "64.25", "A", None),
        ("visits-2:2", "p4", "29", "90", "B", None),
        ("visits-2:3", "p5", "63", "71.5", "B", None),
        ("visits-3:2", "p6", "40.5", "77", "C", "north"),
        ("visits-3:3", "p7", "38", "68", "A", "south"),
        ("visits-3:4", "p8", "45", "80", "C", "north"),
    ]
    assert "fax" not in column_types_of(warehouse, "raw.clinic")
    log = query(warehouse, f"select version, run_id, changes from {RAW_MIGRATIONS} order by version")
    assert [row[:2] for row in log] == [(1, "run-1"), (2, "run-2")]
    assert log[0][2] == "created raw.clinic with 5 columns" and log[1][2] == report.migration.summary

    dbt_build(tmp_path, spec, warehouse)
    accumulated = query(
        warehouse,
        "select _row_id, age, weight_kg, ward, bed, bed_was_missing from real.clinic_real_accumulated order by _row_id",
    )
    assert accumulated == [
        ("visits-1:2", 34.0, 70.5, "A", "north", True),
        ("visits-1:3", 51.0, 82.0, "B", "north", True),
        ("visits-1:4", 47.0, 64.25, "A", "north", True),
        ("visits-2:2", 29.0, 90.0, "B", "north", True),
        ("visits-2:3", 63.0, 71.5, "B", "north", True),
        ("visits-3:2", 40.5, 77.0, "C", "north", False),
        ("visits-3:3", 38.0, 68.0, "A", "south", False),
        ("visits-3:4", 45.0, 80.0, "C", "north", False),
    ]
    columns = column_types_of(warehouse, "real.clinic_real_accumulated")
    assert columns["age"] == "DOUBLE" and "wt" not in columns
    assert "every batch again, under the new columns" in compiled_accumulated(tmp_path)

    dbt_build(tmp_path, spec, warehouse)  # columns unchanged since: only new batches, of which there are none
    assert "only batches not yet accumulated" in compiled_accumulated(tmp_path)
    assert query(warehouse, "select count(*) from real.clinic_real_accumulated") == [(8,)]


def compiled_accumulated(tmp_path: Path) -> str:
    """The SQL the last dbt build ran for the accumulated model (which branch its macro took)."""
    return next(
        (tmp_path / "dbt_project" / "target" / "compiled").rglob("clinic_real_accumulated.sql")
    ).read_text()


def test_a_second_run_migrates_nothing(clinic, tmp_path):
    landing, warehouse = clinic
    spec = write_spec(tmp_path, changed_spec())
    deliver(landing, "clinic", "visits-3", LATER)
    assert ingest(warehouse, spec, landing, "run-2").migration is not None
    before = snapshot(warehouse)
    again = ingest(warehouse, spec, landing, "run-3")
    assert again.migration is None and again.ingested == {}
    assert snapshot(warehouse) == before
    assert query(warehouse, f"select count(*) from {RAW_MIGRATIONS}") == [(2,)]


@pytest.mark.parametrize(
    ("column", "narrowed", "named"),
    [
        ("wt", {"type": "numerical", "integer": True}, "column 'wt': 3 values cannot be read as an integer"),
        (
            "ward",
            {"type": "categorical", "categories": ["A"]},
            "column 'ward': 3 values are unknown categories",
        ),
    ],
)
def test_a_narrowing_that_stored_values_break_is_refused_and_nothing_is_written(
    clinic, tmp_path, column, narrowed, named
):
    landing, warehouse = clinic
    content = copy.deepcopy(SPEC)
    content["columns"][column] = narrowed
    spec = write_spec(tmp_path, content)
    deliver(landing, "clinic", "visits-3", ["pid,fax,age,wt,ward", "p6,,40,77,A"])  # fits the new spec
    before = snapshot(warehouse)
    with pytest.raises(RawMigrationError) as refused:
        ingest(warehouse, spec, landing, "run-2")
    message = str(refused.value)
    assert message.startswith("raw.clinic: the changed spec does not fit values stored from earlier batches")
    assert named in message
    examples = {"wt": "'70.5' (line visits-1:2), '64.25' (line visits-1:4)", "ward": "'B' (line visits-1:3)"}
    assert examples[column] in message
    assert snapshot(warehouse) == before


@pytest.mark.parametrize(
    ("column", "widened", "change"),
    [
        ("wt", {"type": "categorical"}, 'type "numerical" -> "categorical"'),
        (
            "age",
            {"type": "categorical", "categories": ["29", "34", "47", "51", "63", "70"]},
            "integer true -> false",
        ),
        (
            "ward",
            {"type": "categorical", "categories": ["A", "B"], "aliases": {"a": "A"}},
            'aliases {} -> {"a": "A"}',
        ),
    ],
)
def test_a_widening_the_stored_values_fit_is_recorded_and_keeps_them(
    clinic, tmp_path, column, widened, change
):
    landing, warehouse = clinic
    content = copy.deepcopy(SPEC)
    content["columns"][column] = widened
    before = query(warehouse, "select * from raw.clinic order by all")
    report = ingest(warehouse, write_spec(tmp_path, content), landing, "run-2")
    assert report.migration.summary.startswith(f"changed {column} (")
    assert change in report.migration.summary and report.migration.summary.endswith("every stored value fits")
    assert query(warehouse, "select * from raw.clinic order by all") == before


def test_an_added_required_column_needs_a_default_which_earlier_rows_then_take(clinic, tmp_path):
    landing, warehouse = clinic
    content = copy.deepcopy(SPEC)
    content["columns"]["bed"] = {"type": "categorical", "categories": ["north", "south"]}
    deliver(landing, "clinic", "visits-3", ["pid,fax,age,wt,ward,bed", "p6,,40,77,A,south"])
    before = snapshot(warehouse)
    with pytest.raises(
        RawMigrationError,
        match=r"^raw.clinic: columns added to the spec have no value in the 5 rows of the 2 earlier batches, "
        r"nothing was written: column 'bed' is required \(not in imputation.columns\)\. "
        r"Give each a default: \(the value the earlier rows take\)$",
    ):
        ingest(warehouse, write_spec(tmp_path, content), landing, "run-2")
    content["columns"]["bed"]["default"] = "east"
    with pytest.raises(
        RawMigrationError,
        match=r"column 'bed': its default does not fit \(column 'bed': 1 values are unknown "
        r"categories \(not in the spec\): 'east' \(line default\)\)",
    ):
        ingest(warehouse, write_spec(tmp_path, content), landing, "run-2")
    assert snapshot(warehouse) == before
    content["columns"]["bed"]["default"] = "north"
    report = ingest(warehouse, write_spec(tmp_path, content), landing, "run-2")
    assert report.migration.summary == "added bed (default 'north' for 2 earlier batches)"
    assert query(warehouse, "select _batch, bed, count(*) from raw.clinic group by all order by all") == [
        ("visits-1", "north", 3),
        ("visits-2", "north", 2),
        ("visits-3", "south", 1),
    ]


def test_renamed_from_must_name_a_stored_column_and_cannot_name_a_current_one(clinic, tmp_path):
    landing, warehouse = clinic
    content = copy.deepcopy(SPEC)
    content["columns"]["weight_kg"] = {"type": "numerical", "renamed_from": "weight"}
    del content["columns"]["wt"]
    with pytest.raises(
        RawMigrationError,
        match=r"column 'weight_kg' says renamed_from: 'weight', but raw.clinic "
        r"has no column 'weight' \(its columns: pid, fax, age, wt, ward\)",
    ):
        ingest(warehouse, write_spec(tmp_path, content), landing, "run-2")
    content["columns"]["weight_kg"]["renamed_from"] = "age"
    with pytest.raises(SpecError, match=r"renamed_from names columns that are still in the spec: \['age'\]"):
        write_spec(tmp_path, content)


def test_a_raw_table_without_a_recorded_contract_is_checked_once_then_recorded(clinic, tmp_path):
    """A warehouse from before migrations were recorded: its stored values are checked against the spec."""
    landing, warehouse = clinic
    with connect(warehouse) as connection:
        connection.execute(f"drop table {RAW_MIGRATIONS}")
    report = ingest(warehouse, write_spec(tmp_path, SPEC), landing, "run-2")
    assert report.migration.summary == "first record of raw.clinic's columns, stored values checked"
    assert ingest(warehouse, write_spec(tmp_path, SPEC), landing, "run-3").migration is None


def test_an_added_imputable_column_needs_values_to_impute_from(clinic, tmp_path):
    """The earlier rows of an added imputable column are imputed from the new batches: a run without
    one (or a daily dataset, imputed within each day) needs a default."""
    landing, warehouse = clinic
    before = snapshot(warehouse)
    with pytest.raises(
        RawMigrationError,
        match=r"column 'bed' is imputable, but no batch of this run has a value of it to impute from\. "
        r"Give each a default: \(the value the earlier rows take\); if a column of the earlier spec "
        r"\(fax\) only has a new key, say so with renamed_from: <old key>$",
    ):
        ingest(warehouse, write_spec(tmp_path, changed_spec()), landing, "run-2")
    assert snapshot(warehouse) == before


def daily_spec(content: dict) -> dict:
    """``content`` as a daily dataset: one file per day instead of a landing pattern."""
    daily = {key: value for key, value in content.items() if key != "landing"}
    return {**daily, "name": "ward_days", "partitions": {"start": "2024-01-01", "end": "2024-01-31"}}


def test_daily_dataset_migrates_and_its_incremental_models_load_every_day_again(tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse" / "accrete.duckdb"
    spec = write_spec(tmp_path, daily_spec(SPEC))
    for day, lines in zip(("2024-01-01", "2024-01-02"), EARLIER.values(), strict=True):
        deliver(landing, "ward_days", day, lines)
    ingest(warehouse, spec, landing, "run-1", days=["2024-01-01", "2024-01-02"])
    dbt_build(tmp_path, spec, warehouse, days=("2024-01-01", "2024-01-02"))
    deliver(landing, "ward_days", "2024-01-03", LATER)
    changed = daily_spec(changed_spec())
    with pytest.raises(
        RawMigrationError, match="column 'bed' is imputed within each day, and no earlier day"
    ):
        ingest(warehouse, write_spec(tmp_path, changed), landing, "run-2", days=["2024-01-03"])
    changed["columns"]["bed"]["default"] = "south"
    spec = write_spec(tmp_path, changed)
    report = ingest(warehouse, spec, landing, "run-2", days=["2024-01-03"])
    assert report.migration.summary.startswith(
        "added bed (default 'south' for 2 earlier batches); dropped fax"
    )
    dbt_build(tmp_path, spec, warehouse, days=("2024-01-03", "2024-01-03"))  # the run's day only
    for table in ("clean.ward_days_clean", "real.ward_days_real_accumulated"):
        rows = query(
            warehouse,
            f"select _batch, count(*), sum(weight_kg), sum(age), string_agg(bed, ',' order by _line) "
            f"from {table} group by 1 order by 1",
        )
        assert rows == [
            ("2024-01-01", 3, 216.75, 132.0, "south,south,south"),
            ("2024-01-02", 2, 161.5, 92.0, "south,south"),
            ("2024-01-03", 3, 225.0, 123.5, "north,south,north"),
        ], table


def test_the_raw_asset_reports_the_migration_and_fails_a_refused_change_without_retrying(clinic, tmp_path):
    landing, warehouse = clinic
    resources = {"warehouse": DuckDBWarehouse(path=str(warehouse)), "landing": LandingZone(root=str(landing))}
    deliver(landing, "clinic", "visits-3", LATER)
    changed = changed_spec()
    result = dg.materialize([build_raw_asset(write_spec(tmp_path, changed))], resources=resources)
    metadata = result.asset_materializations_for_node("raw_clinic")[0].metadata
    assert metadata["schema_migration"].value.startswith(
        "added bed (null for 2 earlier batches); dropped fax"
    )
    changed["columns"]["ward"]["categories"] = ["A", "C"]
    result = dg.materialize(
        [build_raw_asset(write_spec(tmp_path, changed))], resources=resources, raise_on_error=False
    )
    failure = next(event for event in result.all_events if event.is_step_failure)
    assert "Spec change refused, nothing was written: raw.clinic: the changed spec" in str(
        failure.step_failure_data.user_failure_data.description
    )
    assert not any(event.event_type_value == "STEP_UP_FOR_RETRY" for event in result.all_events)


def test_a_default_is_text_as_raw_stores_it():
    content = copy.deepcopy(SPEC)
    content["columns"]["visits"] = {"type": "numerical", "integer": True, "default": 0}
    content["columns"]["insured"] = {"type": "boolean", "default": True}
    columns = DatasetSpec.model_validate(content).columns
    assert (columns["visits"].default, columns["insured"].default) == ("0", "true")
