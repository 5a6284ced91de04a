"""The whole asset graph materialized in-process on small real data, with real dbt and DuckDB."""

import json

import dagster as dg
import duckdb
import pytest
import yaml

from orchestration.definitions import build_definitions
from tests.conftest import REPO, isolated_home, write_small_landing

EXPECTED_ASSETS = {
    "raw_adult",
    "stg_adult",
    "adult_clean",
    "adult_real_accumulated",
    "adult_real_train",
    "adult_real_holdout",
    "adult_generator",
    "adult_synthetic",
    "adult_validation_report",
    "adult_mixed",
    "adult_data_card",
    "adult_collapse_monitor",
}
SYNTHETIC_GATES = {
    "spec_expectations",
    "fidelity",
    "value_ranges",
    "rules",
    "detection",
    "utility",
    "distance_to_closest_record",
    "exact_copies",
    "rare_combinations",
    "identifier_leakage",
    "representation",
}


def accrete_pipeline_job() -> dg.JobDefinition:
    """The pipeline job, rebuilt from the environment in each step process."""
    return build_definitions().resolve_job_def("accrete_pipeline")


def materialize(instance: dg.DagsterInstance, selection: list[dg.AssetKey] | None = None):
    """Run the job as production does: one process per step (the multiprocess executor)."""
    return dg.execute_job(
        dg.reconstructable(accrete_pipeline_job),
        instance=instance,
        asset_selection=selection,
        raise_on_error=False,
    )


def query(home, sql: str):
    with duckdb.connect(str(home / "warehouse" / "accrete.duckdb"), read_only=True) as connection:
        return connection.execute(sql).fetchall()


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    """One full run on a small real delivery, shared by the tests of this module."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        tmp_path = tmp_path_factory.mktemp("pipeline")
        landing = tmp_path / "landing"
        write_small_landing(landing)
        home = isolated_home(tmp_path, landing, monkeypatch)
        dagster_home = tmp_path / "dagster"
        dagster_home.mkdir()
        local_instance = yaml.safe_load((REPO / "deploy" / "local" / "dagster.yaml").read_text())
        with dg.instance_for_test(temp_dir=str(dagster_home), overrides=local_instance) as instance:
            result = materialize(instance)
            assert result.success, [event.message for event in result.all_events if event.is_failure]
            yield home, landing, instance, result


def test_every_stage_materializes_with_metadata(pipeline):
    accrete_home, _, _, result = pipeline
    materialized = {event.asset_key.to_user_string() for event in result.get_asset_materialization_events()}
    assert materialized == EXPECTED_ASSETS
    metadata = {
        event.asset_key.to_user_string(): event.step_materialization_data.materialization.metadata
        for event in result.get_asset_materialization_events()
    }
    assert metadata["raw_adult"]["dagster/row_count"].value == 3000
    assert metadata["adult_synthetic"]["dagster/row_count"].value == 1000
    # dbt models report what the warehouse holds: tables their rows, views their columns only
    assert metadata["adult_clean"]["dagster/row_count"].value == 3000
    assert metadata["adult_real_accumulated"]["dagster/row_count"].value == 3000
    assert "dagster/row_count" not in metadata["adult_real_train"]
    train_columns = [
        column.name for column in metadata["adult_real_train"]["dagster/column_schema"].value.columns
    ]
    assert {"age", "income", "_row_id", "_batch"} <= set(train_columns)
    lineage = metadata["adult_synthetic"]["dagster/column_lineage"].value
    assert lineage.deps_by_column["age"][0].asset_key == dg.AssetKey("adult_real_train")
    schema_columns = [
        column.name for column in metadata["adult_mixed"]["dagster/column_schema"].value.columns
    ]
    assert schema_columns[:5] == [
        "_source",
        "_real_partition",
        "_real_row_id",
        "_generator_version",
        "_run_id",
    ]
    assert "# Data card: synthetic adult" in metadata["adult_data_card"]["data_card"].value
    collapse = metadata["adult_collapse_monitor"]
    assert collapse["curves"].value.startswith("![plot](data:image/png;base64,")
    assert {"last_vs_first/replace/quality", "last_vs_first/accumulate/quality"} <= set(collapse)
    checks = {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}
    assert {name for key, name in checks if key == "adult_synthetic"} == SYNTHETIC_GATES
    assert all(evaluation.passed for evaluation in checks.values())
    assert checks[("adult_clean", "spec_expectations")].passed
    assert "ROC AUC" in checks[("adult_synthetic", "detection")].metadata["summary"].value
    report = metadata["adult_validation_report"]
    assert report["gates_failed"].value == 0
    assert (
        (accrete_home / "reports" / "adult" / "validation_report.html")
        .read_text()
        .startswith("<!DOCTYPE html>")
    )


def test_the_generator_takes_the_gpu_pool_before_the_collapse_monitor(pipeline):
    """Both wait for the one gpu slot once the dbt step is done: the release path goes first."""
    result = pipeline[3]
    started = {
        event.step_key: index
        for index, event in enumerate(result.all_events)
        if event.event_type_value == "STEP_START"
    }
    assert started["adult_generator"] < started["adult_collapse_monitor"]


def test_cleaning_imputation_and_holdout(pipeline):
    accrete_home = pipeline[0]
    # the test batch's "<=50K." labels are mapped to the spec's categories
    assert {row[0] for row in query(accrete_home, "select distinct income from clean.adult_clean")} == {
        "<=50K",
        ">50K",
    }
    # every missing workclass was filled and flagged; nothing is null after imputation
    raw_missing = query(accrete_home, "select count(*) from raw.adult where trim(workclass) = '?'")[0][0]
    flagged = query(accrete_home, "select count(*) from clean.adult_clean where workclass_was_missing")[0][0]
    assert raw_missing == flagged > 0
    assert query(accrete_home, "select count(*) from clean.adult_clean where workclass is null")[0][0] == 0
    # the holdout is disjoint from training and never reaches the mixed table
    train, holdout = query(
        accrete_home,
        "select count(*) filter (not _is_holdout), count(*) filter (_is_holdout) from real.adult_real_accumulated",
    )[0]
    assert train + holdout == 3000 and 0.1 < holdout / 3000 < 0.3
    leaked = query(
        accrete_home,
        "select count(*) from mixed.adult_mixed m join real.adult_real_holdout h on m._real_row_id = h._row_id",
    )
    assert leaked[0][0] == 0


def test_mixed_table_tags_provenance_and_caps_synthetic_share(pipeline):
    accrete_home = pipeline[0]
    rows = dict(query(accrete_home, "select _source, count(*) from mixed.adult_mixed group by 1"))
    train = query(accrete_home, "select count(*) from real.adult_real_train")[0][0]
    assert rows["real"] == train
    assert rows["synthetic"] / (rows["real"] + rows["synthetic"]) <= 0.3
    versions = query(
        accrete_home,
        "select distinct _generator_version, _run_id from mixed.adult_mixed where _source = 'synthetic'",
    )
    assert len(versions) == 1 and versions[0][0].startswith("autoregressive-")
    unlabelled = query(
        accrete_home,
        "select count(*) from mixed.adult_mixed where _source = 'real' and (_real_partition is null or _real_row_id is null)",
    )
    assert unlabelled[0][0] == 0


def test_the_mixed_step_records_the_kept_generations_for_the_next_generator(pipeline):
    accrete_home, _, instance, _ = pipeline
    observation = (
        instance.fetch_observations(dg.AssetKey("adult_generations"), limit=1).records[0].asset_observation
    )
    kept = query(
        accrete_home, "select count(*), count(distinct _generator_version) from synthetic.adult_generations"
    )
    assert observation.metadata["dagster/row_count"].value == kept[0][0] > 0
    assert observation.metadata["generations"].value == kept[0][1] == 1


def test_mixing_by_hand_after_a_failed_gate_keeps_nothing(pipeline):
    """The data guard: whoever launches the mixed step, a generation without passing verdicts stays out."""
    accrete_home, _, instance, _ = pipeline
    version = query(accrete_home, "select any_value(_generator_version) from synthetic.adult_synthetic")[0][0]
    verdict = accrete_home / "reports" / "adult" / "gates" / version / "detection.json"
    recorded = verdict.read_text()
    verdict.write_text(json.dumps({**json.loads(recorded), "passed": False, "summary": "planted failure"}))
    tables = "(select count(*) from mixed.adult_mixed), (select count(*) from synthetic.adult_generations)"
    before = query(accrete_home, f"select {tables}")
    try:
        result = materialize(instance, [dg.AssetKey("adult_mixed")])
    finally:
        verdict.write_text(recorded)
    assert not result.success
    failure = next(event for event in result.all_events if event.is_step_failure)
    assert f"synthetic generation {version} is not released, nothing was mixed or kept" in str(
        failure.step_failure_data.error
    )
    assert "detection: failed (planted failure)" in str(failure.step_failure_data.error)
    assert not any(event.event_type_value == "STEP_UP_FOR_RETRY" for event in result.all_events)
    assert query(accrete_home, f"select {tables}") == before


def test_running_again_adds_nothing_and_reproduces_the_generator(pipeline):
    accrete_home, _, instance, _ = pipeline
    before = query(accrete_home, "select count(*), count(distinct _row_id) from real.adult_real_accumulated")
    synthetic_before = query(
        accrete_home, "select * exclude (_run_id) from synthetic.adult_synthetic order by _synthetic_row"
    )
    result = materialize(instance)
    assert result.success
    assert (
        query(accrete_home, "select count(*), count(distinct _row_id) from real.adult_real_accumulated")
        == before
    )
    synthetic_after = query(
        accrete_home, "select * exclude (_run_id) from synthetic.adult_synthetic order by _synthetic_row"
    )
    assert synthetic_after == synthetic_before
    assert len(list((accrete_home / "models" / "adult").glob("autoregressive-*"))) == 1


def test_rejected_landing_file_fails_ingestion_and_writes_nothing(pipeline):
    accrete_home, landing, instance, _ = pipeline
    corrupt = landing / "adult" / "adult-zz.csv.gz"
    corrupt.write_bytes(b"\x1f\x8b\x08\x00not gzip at all")
    before = query(accrete_home, "select count(*) from raw.adult")
    try:
        result = materialize(instance, [dg.AssetKey("raw_adult")])
    finally:
        corrupt.unlink()
    assert not result.success
    assert not any(event.event_type_value == "STEP_UP_FOR_RETRY" for event in result.all_events)
    failure = next(event for event in result.all_events if event.is_step_failure)
    assert "Landing file rejected, nothing was written: adult-zz.csv.gz" in str(
        failure.step_failure_data.error
    )
    assert query(accrete_home, "select count(*) from raw.adult") == before
