"""The door refuses what the warehouse would: real landing files, real DuckDB, real dbt.

A file of awkward values the landing check accepts is built by dbt without an error and typed as
expected; each value the landing check refuses for its type also stops staging when it reaches raw
another way; rows set aside by ``on_invalid: quarantine`` are counted and never reach raw, and the
clean model keeps every staged row (its test fails when one is missing).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from accrete.ingest.raw import ingest_landing_files
from accrete.report.data_card import render_data_card
from accrete.spec import DatasetSpec
from accrete.warehouse import connect
from assets.ingest.raw import build_raw_asset
from resources import DuckDBWarehouse, LandingZone
from tests.dbt_copy import dbt_project_copy, run_dbt
from tests.unit import landing_values

REPO = Path(__file__).resolve().parents[2]


def dbt(tmp_path: Path, spec: DatasetSpec, warehouse: Path, *arguments: str) -> subprocess.CompletedProcess:
    """dbt on the dataset's models, generated from ``spec`` into a copy of the project."""
    return run_dbt(dbt_project_copy(tmp_path / "dbt_project", {spec.name: spec}), warehouse, *arguments)


def dbt_build(tmp_path: Path, spec: DatasetSpec, warehouse: Path) -> None:
    result = dbt(tmp_path, spec, warehouse, "build", "--select", f"tag:dataset_{spec.name}")
    assert result.returncode == 0, result.stdout[-4000:]


@pytest.fixture
def shop(tmp_path):
    """Landing folder and warehouse path of the shop dataset."""
    return tmp_path / "landing", tmp_path / "warehouse" / "accrete.duckdb"


def test_what_passes_the_door_builds_in_dbt_and_what_it_refuses_stops_staging(tmp_path, shop):
    landing, warehouse = shop
    spec = landing_values.write_spec(tmp_path)
    rows = [landing_values.row(**{column: value}) for column, value, _ in landing_values.ACCEPTED]
    landing_values.deliver(landing, "sales-1", [landing_values.HEADER, *rows])
    with connect(warehouse) as connection:
        assert ingest_landing_files(connection, spec, landing, run_id="run-1").ingested == {
            "sales-1": len(rows)
        }
    dbt_build(tmp_path, spec, warehouse)
    with connect(warehouse) as connection:
        staged = connection.execute("select * from staging.stg_shop order by _line").df()
        clean_rows = connection.execute("select count(*) from clean.shop_clean").fetchall()[0][0]
        typed = [staged.loc[index, column] for index, (column, _, _) in enumerate(landing_values.ACCEPTED)]
        expected = [value for _, _, value in landing_values.ACCEPTED]
        assert [None if value is None or value != value else value for value in typed] == expected
        assert clean_rows == len(staged) == len(rows)
        # the same rule in staging: a value the door refuses for its type, put in raw, stops the build
        for column, value, _ in landing_values.CAST_REFUSALS:
            connection.execute("begin transaction")
            connection.execute(
                f"insert into raw.shop select * replace (? as {column}) from raw.shop limit 1", [value]
            )
            with pytest.raises(duckdb.Error, match=f"column {column}: cannot read as its type"):
                connection.execute("select * from staging.stg_shop").fetchall()
            connection.execute("rollback")


def test_quarantined_rows_are_counted_kept_aside_and_never_reach_raw_or_clean(tmp_path, shop):
    landing, warehouse = shop
    spec = landing_values.write_spec(tmp_path, on_invalid="quarantine")
    lines = [
        landing_values.HEADER,
        landing_values.row(),
        landing_values.row(units="1e20"),
        landing_values.row(units="5"),
        landing_values.row(price="-0.5", member="maybe"),
    ]
    landing_values.deliver(landing, "sales-1", lines)
    resources = {"warehouse": DuckDBWarehouse(path=str(warehouse)), "landing": LandingZone(root=str(landing))}
    result = dg.materialize([build_raw_asset(spec)], resources=resources)
    metadata = result.asset_materializations_for_node("raw_shop")[0].metadata
    assert metadata["rows_quarantined"].value == 2
    assert metadata["rows_quarantined_this_run"].value == {"sales-1": 2}
    with connect(warehouse) as connection:
        assert connection.execute("select _line from raw.shop order by _line").fetchall() == [(2,), (4,)]
        assert connection.execute(
            "select _row_id, _reason, _values ->> '$.member' from quarantine.shop order by _line"
        ).fetchall() == [
            (
                "sales-1:3",
                "units: '1e20' cannot be read as an integer (a whole number within the 64-bit range)",
                "yes",
            ),
            (
                "sales-1:5",
                "price: '-0.5' is outside [0, 1000]; member: 'maybe' cannot be read as true/false "
                "(one of true, t, yes, y, 1, false, f, no, n, 0, in any case)",
                "maybe",
            ),
        ]
    dbt_build(tmp_path, spec, warehouse)  # includes accrete_keeps_every_row on the clean model
    with connect(warehouse) as connection:
        assert connection.execute("select count(*) from clean.shop_clean").fetchall() == [(2,)]
        connection.execute("delete from clean.shop_clean where _line = 4")
    kept = dbt(tmp_path, spec, warehouse, "test", "--select", "test_name:accrete_keeps_every_row")
    assert kept.returncode == 1 and "FAIL 1 accrete_keeps_every_row_shop_clean" in kept.stdout, kept.stdout[
        -3000:
    ]
    card = render_data_card(spec, {"raw": 2}, {}, [], "report.html", quarantined=2)
    assert "Invalid landing rows" in card and ": 2, kept in `quarantine.shop` with the reason of each" in card
