"""The production Dagster instance: its dagster.yaml is valid, its Postgres storage really stores
runs, events and pool slots, and ACCRETE_EXECUTOR picks how steps run."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._config import process_config, validate_config
from dagster._core.errors import DagsterInvalidConfigError
from dagster._core.instance.config import dagster_instance_config
from dagster._serdes.config_class import class_from_code_pointer
from dagster_k8s import K8sRunLauncher, k8s_job_executor
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage

from orchestration import executor
from tests import postgres_server as postgres_server_module
from tests.postgres_server import (
    PROD_DAGSTER_YAML,
    REPO,
    PostgresServer,
    postgres_server,  # noqa: F401  (the fixture)
    require_postgres_bin,
    write_postgres_dagster_yaml,
)

PG_VARIABLES = {
    "DAGSTER_PG_HOST",
    "DAGSTER_PG_PORT",
    "DAGSTER_PG_USER",
    "DAGSTER_PG_PASSWORD",
    "DAGSTER_PG_DB",
}


def prod_config() -> dict:
    return yaml.safe_load(PROD_DAGSTER_YAML.read_text())


def env_references(value) -> set[str]:
    """Every environment variable named by an ``{env: NAME}`` value in a config tree."""
    if isinstance(value, dict):
        if set(value) == {"env"}:
            return {value["env"]}
        return set().union(*(env_references(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(env_references(item) for item in value))
    return set()


# --- (a) the file is a valid instance config ---------------------------------------------------


def test_prod_yaml_is_a_valid_instance_config():
    config, instance_class = dagster_instance_config(str(PROD_DAGSTER_YAML.parent))
    assert instance_class is None
    assert set(config["storage"]) == {"postgres"}
    assert env_references(config["storage"]) == PG_VARIABLES
    assert config["telemetry"] == {"enabled": False}
    assert config["run_retries"]["enabled"] is True


@pytest.mark.parametrize("instance_folder", ["local", "prod"])
def test_a_failed_step_or_gate_does_not_rerun_the_run(instance_folder: str):
    """A dead run is retried; a run failed by a verdict (a gate, a rejected file) is not re-run."""
    config, _ = dagster_instance_config(str(PROD_DAGSTER_YAML.parent.parent / instance_folder))
    assert config["run_retries"]["enabled"] is True
    assert config["run_retries"]["retry_on_asset_or_op_failure"] is False


def test_instance_validation_rejects_a_broken_copy(tmp_path: Path):
    """The validator used above does catch mistakes (a misspelt storage field)."""
    broken = prod_config()
    db = broken["storage"]["postgres"]["postgres_db"]
    db["host_name"] = db.pop("hostname")
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(broken))
    with pytest.raises(DagsterInvalidConfigError):
        dagster_instance_config(str(tmp_path))


def test_run_launcher_and_coordinator_load_and_validate(monkeypatch: pytest.MonkeyPatch):
    config = prod_config()
    launcher = config["run_launcher"]
    assert class_from_code_pointer(launcher["module"], launcher["class"]) is K8sRunLauncher
    coordinator = config["run_coordinator"]
    assert class_from_code_pointer(coordinator["module"], coordinator["class"]) is dg.QueuedRunCoordinator
    assert validate_config(dg.QueuedRunCoordinator.config_type(), coordinator.get("config", {})).success

    monkeypatch.setenv("ACCRETE_IMAGE", "registry.example/accrete:1.2.3")
    processed = process_config(K8sRunLauncher.config_type(), launcher["config"])
    assert processed.success, processed.errors
    assert processed.value["job_image"] == "registry.example/accrete:1.2.3"
    assert processed.value["job_namespace"] and processed.value["service_account_name"]
    assert processed.value["instance_config_map"]


def test_run_pods_get_every_variable_the_instance_reads():
    """Run and step pods load this same file: each variable it reads must reach them."""
    config = prod_config()
    launcher = config["run_launcher"]["config"]
    forwarded = {item.split("=", 1)[0] for item in launcher["env_vars"]}
    if launcher.get("postgres_password_secret"):  # mounted by the launcher as DAGSTER_PG_PASSWORD
        forwarded.add("DAGSTER_PG_PASSWORD")
    assert env_references(config) <= forwarded
    assert "ACCRETE_ENV=prod" in launcher["env_vars"]
    assert "ACCRETE_EXECUTOR=k8s" in launcher["env_vars"]


def test_pools_match_the_local_instance():
    """One DuckDB writer and one GPU job at a time, in production as on a laptop."""
    local = yaml.safe_load((REPO / "deploy" / "local" / "dagster.yaml").read_text())
    assert prod_config()["concurrency"] == local["concurrency"] == {"pools": {"default_limit": 1}}


# --- (b) the Postgres storage really works --------------------------------------------------------


@dg.asset(pool="duckdb")
def tiny_table() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"dagster/row_count": 3})


def tiny_job() -> dg.JobDefinition:
    """Rebuilt in each step process, which runs in its own process as in production."""
    defs = dg.Definitions(
        assets=[tiny_table],
        jobs=[dg.define_asset_job("tiny_job", selection=[tiny_table])],
        executor=dg.multiprocess_executor,
    )
    return defs.resolve_job_def("tiny_job")


def test_prod_storage_stores_runs_events_and_pool_slots(
    postgres_server: PostgresServer,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    server = postgres_server.new_database("prod_instance_test")
    server.set_environment(monkeypatch)
    home = tmp_path / "dagster_home"
    write_postgres_dagster_yaml(home)

    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        result = dg.execute_job(dg.reconstructable(tiny_job), instance=instance)
        assert result.success

        event = instance.get_latest_materialization_event(dg.AssetKey("tiny_table"))
        assert event is not None and event.run_id == result.run_id
        assert event.asset_materialization.metadata["dagster/row_count"].value == 3
        assert instance.get_run_by_id(result.run_id).status == dg.DagsterRunStatus.SUCCESS
        # the step's pool got the instance-wide default limit, stored in Postgres
        assert instance.event_log_storage.get_concurrency_info("duckdb").slot_count == 1

    # read back straight from Postgres, without Dagster
    assert server.query("SELECT status FROM runs WHERE run_id = %s", (result.run_id,)) == [("SUCCESS",)]
    materializations = server.query(
        "SELECT count(*) FROM event_logs WHERE run_id = %s AND dagster_event_type = 'ASSET_MATERIALIZATION'",
        (result.run_id,),
    )
    assert materializations == [(1,)]


@pytest.mark.parametrize(
    ("ci", "outcome"),
    [(None, pytest.skip.Exception), ("false", pytest.skip.Exception), ("true", pytest.fail.Exception)],
)
def test_without_postgres_binaries_skip_locally_but_fail_in_ci(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ci: str | None, outcome: type[BaseException]
):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(postgres_server_module, "DEBIAN_BIN_GLOB", str(tmp_path / "*" / "bin"))
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="apt-get install postgresql"):
        require_postgres_bin()


# --- (c) the executor is chosen by ACCRETE_EXECUTOR -----------------------------------------------


def test_executor_defaults_to_multiprocess_with_forkserver(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("ACCRETE_EXECUTOR", raising=False)
    chosen = executor.select_executor()
    assert chosen is executor.multiprocess_step_executor
    assert chosen.name == "multiprocess"
    start_method = chosen.apply_config_mapping({}).value["config"]["start_method"]
    assert start_method == {"forkserver": {"preload_modules": ["orchestration.definitions"]}}


def test_executor_k8s(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ACCRETE_EXECUTOR", "k8s")
    assert executor.select_executor() is k8s_job_executor


def test_executor_rejects_an_unknown_name(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ACCRETE_EXECUTOR", "celery")
    with pytest.raises(ValueError, match=r"ACCRETE_EXECUTOR.*'multiprocess', 'k8s'.*'celery'"):
        executor.select_executor()
