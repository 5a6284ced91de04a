"""The code location loads, and every asset says what it is and where it belongs."""

import dagster as dg

from accrete.rules.rule_spec import ReferenceRule
from accrete.spec import load_specs
from accrete.validation.expectations import SUITE_CHECK
from accrete.validation.gates import GATES, applicable_gates
from assets.asset_keys import DatasetAssetKeys, Group
from orchestration.definitions import defs
from tests.conftest import REPO

PYTHON_ASSETS = ["raw_adult", "adult_generator", "adult_synthetic", "adult_mixed", "adult_data_card"]
DBT_MODELS = ["stg_adult", "adult_clean", "adult_real_accumulated", "adult_real_train", "adult_real_holdout"]


def test_definitions_hold_the_whole_chain():
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert set(PYTHON_ASSETS + DBT_MODELS) <= keys
    keys = DatasetAssetKeys("adult")
    assert graph.get(keys.generator).parent_keys == {keys.train, keys.generations}
    assert dg.AssetKey("raw_adult") in graph.get(dg.AssetKey("stg_adult")).parent_keys


def test_every_asset_has_a_description_group_and_kind():
    graph = defs.resolve_asset_graph()
    for name in PYTHON_ASSETS + DBT_MODELS:
        node = graph.get(dg.AssetKey(name))
        assert node.description and len(node.description) > 30, name
        assert node.group_name in vars(Group).values(), name
        assert node.kinds, name


def test_gates_are_blocking_checks():
    checks = {
        (spec.asset_key.to_user_string(), spec.name): spec
        for assets_def in defs.resolve_asset_graph().assets_defs
        for spec in assets_def.check_specs
    }
    for key in [
        ("adult_synthetic", "fidelity"),
        ("adult_synthetic", "spec_expectations"),
        ("adult_clean", "spec_expectations"),
    ]:
        assert checks[key].blocking, key


def test_the_kept_generations_are_an_external_asset_feeding_the_next_generator():
    graph = defs.resolve_asset_graph()
    keys = DatasetAssetKeys("adult")
    generations = graph.get(keys.generations)
    assert not generations.is_materializable
    assert "adult_mixed" in generations.description
    assert keys.generations in graph.get(keys.generator).parent_keys


def test_declared_gate_checks_are_the_registry_gates_that_apply(adult_spec):
    declared = {
        spec.name
        for assets_def in defs.resolve_asset_graph().assets_defs
        for spec in assets_def.check_specs
        if spec.asset_key == DatasetAssetKeys("adult").synthetic
    }
    assert declared == {gate.name for gate in applicable_gates(adult_spec)} | {SUITE_CHECK}
    # adult declares a target, sensitive columns and quasi-identifiers: every gate applies
    assert declared == {gate.name for gate in GATES} | {SUITE_CHECK}


def test_warehouse_steps_share_one_pool_and_training_has_the_gpu():
    graph = defs.resolve_asset_graph()
    assert graph.get(dg.AssetKey("adult_generator")).pools == {"gpu"}
    for name in ["raw_adult", "adult_synthetic", "adult_mixed", "stg_adult"]:
        assert graph.get(dg.AssetKey(name)).pools == {"duckdb"}, name
    tags = graph.get(dg.AssetKey("adult_generator")).assets_def.op.tags
    assert "nvidia.com/gpu" in str(tags["dagster-k8s/config"])
    # the collapse monitor shares the pool, after the generator whenever both wait for it
    assert graph.get(dg.AssetKey("adult_collapse_monitor")).pools == {"gpu"}
    monitor = graph.get(dg.AssetKey("adult_collapse_monitor")).assets_def.op.tags
    assert int(monitor["dagster/priority"]) < int(tags.get("dagster/priority", 0))


def test_each_dataset_has_its_own_dbt_step_and_pipeline_job():
    graph = defs.resolve_asset_graph()
    adult, flights = DatasetAssetKeys("adult"), DatasetAssetKeys("flights")
    adult_step = graph.get(adult.clean).assets_def
    assert adult_step.node_def.name == "adult_dbt_models"
    assert flights.train not in adult_step.keys  # flights' split views are built in flights' own step
    assert graph.get(flights.train).assets_def.node_def.name == "flights_dbt_models"
    job = defs.resolve_job_def("adult_pipeline")
    assert adult.data_card in job.asset_layer.selected_asset_keys
    assert not any(key.to_user_string().startswith("flights") for key in job.asset_layer.selected_asset_keys)


def test_daily_tables_say_how_fresh_they_should_be():
    graph = defs.resolve_asset_graph()
    flights = DatasetAssetKeys("flights")
    for key in (flights.accumulated, flights.mixed):
        policy = graph.get(key).freshness_policy
        assert isinstance(policy, dg.FreshnessPolicy) and policy.deadline_cron == "0 6 * * *", key
    assert graph.get(DatasetAssetKeys("adult").mixed).freshness_policy is None


def test_reference_tables_are_external_assets_the_clean_table_depends_on():
    """A reference rule's dbt test reads its table from the file: the table is upstream of the clean
    table in the graph, and nothing builds it."""
    graph = defs.resolve_asset_graph()
    flights = DatasetAssetKeys("flights")
    rules = load_specs(REPO / "datasets")["flights"].rules
    read = {flights.reference(rule.table) for rule in rules if isinstance(rule, ReferenceRule)}
    assert flights.reference("airports") == dg.AssetKey(["flights_reference", "airports"])
    assert flights.reference("airports") in read and read <= graph.get(flights.clean).parent_keys
    for key in read:
        assert not graph.get(key).is_materializable and not graph.get(key).is_executable, key
    steps = {assets_def.op.name for assets_def in graph.assets_defs if assets_def.is_executable}
    assert "flights_daily_dbt_models" in steps
    assert not [step for step in steps if step.endswith("_reference_tables")]


def test_the_days_dbt_step_waits_for_the_days_raw_table_alone():
    """No step loads the reference tables first: a day's dbt step follows its ingestion only."""
    steps = defs.resolve_job_def("flights_daily").graph.dependencies
    day = next(upstream for node, upstream in steps.items() if node.name == "flights_daily_dbt_models")
    assert {dependency.node for dependency in day.values()} == {"raw_flights"}
