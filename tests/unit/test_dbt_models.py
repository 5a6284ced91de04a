"""The dbt models written from the specs are data only: one macro call per model, and properties
that carry what the macros read. The macros themselves are tested by dbt unit tests, run here."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from accrete.ingest.raw import RAW_LINEAGE_COLUMNS, ingest_landing_files
from accrete.rules.reference_tables import reference_table_sql
from accrete.rules.rule_spec import ReferenceRule
from accrete.rules.violations import clean_table_test_sql
from accrete.spec import MISSING_FLAG_SUFFIX, TRUE_TOKENS, DatasetSpec, load_specs
from accrete.transform.dbt_models import (
    PARTITION_END,
    PARTITION_START,
    render_dataset_models,
    render_properties,
    write_models,
)
from accrete.warehouse import connect
from tests.dbt_copy import dbt_project_copy, run_dbt
from tests.unit.landing_values import HEADER, SPEC, deliver, row, write_spec

REPO = Path(__file__).resolve().parents[2]
DATASETS = REPO / "datasets"
DBT_PROJECT = REPO / "dbt_project"
MACROS = DBT_PROJECT / "macros"
BUNDLED = load_specs(DATASETS)
MACRO_CALL = re.compile(r"\{\{ accrete_\w+\((ref|source)\('\w+'(, '\w+')?\)(, '\w+')?\) \}\}\n")


def models_of(spec: DatasetSpec) -> dict[str, dict]:
    return {model["name"]: model for model in yaml.safe_load(render_properties(spec, DATASETS))["models"]}


def columns_of(model: dict) -> dict[str, dict]:
    return {column["name"]: column for column in model.get("columns", [])}


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_every_model_file_is_one_macro_call(name):
    sql_files = {
        file: text
        for file, text in render_dataset_models(BUNDLED[name], DATASETS).items()
        if file.endswith(".sql")
    }
    assert len(sql_files) == 5
    for file, text in sql_files.items():
        assert MACRO_CALL.fullmatch(text), f"{file} is not a single macro call: {text!r}"
        assert not re.search(r"\b(select|from|where|join|case|cast)\b", text, re.IGNORECASE), file


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_properties_have_no_yaml_aliases_and_no_dagster_names(name):
    text = render_properties(BUNDLED[name], DATASETS)
    events = list(yaml.parse(text))
    assert not any(isinstance(event, yaml.AliasEvent) for event in events)
    assert not any(getattr(event, "anchor", None) for event in events)
    assert "dagster" not in text


def test_properties_carry_what_the_staging_macro_reads():
    adult, flights = models_of(BUNDLED["adult"]), models_of(BUNDLED["flights"])
    staged = adult["stg_adult"]
    assert staged["config"]["meta"] == {
        "missing_tokens": ["?", ""],
        "record_key": [],
        "hashed_record_key": [],
        "holdout_fraction": 0.2,
    }
    assert staged["config"]["materialized"] == "view" and staged["config"]["schema"] == "staging"
    adult_columns = columns_of(staged)
    assert adult_columns["age"]["config"]["meta"] == {
        "type": "numerical",
        "integer": True,
        "min": 17,
        "max": 90,
    }
    assert adult_columns["income"]["config"]["meta"]["aliases"] == {"<=50K.": "<=50K", ">50K.": ">50K"}
    flights_columns = columns_of(flights["stg_flights"])
    assert flights_columns["air_time"]["config"]["meta"] == {"type": "numerical", "min": 1}
    assert flights_columns["time_hour"]["config"]["meta"]["datetime_format"] == "%Y-%m-%dT%H:%M:%SZ"
    assert flights["stg_flights"]["config"]["meta"]["record_key"] == BUNDLED["flights"].record_key


def test_properties_carry_what_the_clean_and_accumulated_macros_read():
    adult, flights = models_of(BUNDLED["adult"]), models_of(BUNDLED["flights"])
    assert adult["adult_clean"]["config"]["materialized"] == "table"
    assert adult["adult_clean"]["config"]["meta"] == {
        "imputation": {
            "columns": ["workclass", "occupation", "native_country"],
            "group_by": ["sex", "education"],
        },
        "daily": False,
    }
    clean = flights["flights_clean"]["config"]
    assert clean["meta"]["daily"] is True
    assert clean["tags"] == ["dataset_flights", "daily"]
    assert (clean["materialized"], clean["unique_key"], clean["incremental_strategy"]) == (
        "incremental",
        "_batch",
        "delete+insert",
    )
    assert flights["flights_real_accumulated"]["config"]["meta"] == {"daily": True}
    assert adult["adult_real_accumulated"]["config"]["meta"] == {"daily": False}
    assert flights["flights_real_train"]["config"]["tags"] == ["dataset_flights"]
    flags = [name for name in columns_of(flights["flights_clean"]) if name.endswith(MISSING_FLAG_SUFFIX)]
    assert flags == BUNDLED["flights"].missing_flags


def test_identifier_columns_are_never_described_and_booleans_carry_their_tokens():
    content = yaml.safe_load((REPO / "datasets" / "adult" / "spec.yaml").read_text())
    content["columns"]["person_id"] = {"type": "identifier"}
    content["columns"]["married"] = {"type": "boolean"}
    spec = DatasetSpec.model_validate(content)
    rendered = "".join(render_dataset_models(spec, DATASETS).values())
    assert "person_id" not in rendered
    married = columns_of(models_of(spec)["stg_adult"])["married"]["config"]["meta"]
    assert married["type"] == "boolean" and married["true_values"] == list(TRUE_TOKENS)


def test_empty_columns_are_kept_untested_or_left_out_and_clean_keeps_every_staged_row():
    content = yaml.safe_load((REPO / "datasets" / "adult" / "spec.yaml").read_text())
    content["columns"]["notes"] = {"type": "categorical", "all_null": "keep"}
    content["columns"]["fax"] = {"type": "categorical", "all_null": "drop"}
    spec = DatasetSpec.model_validate(content)
    models = models_of(spec)
    clean = columns_of(models["adult_clean"])
    assert "fax" not in "".join(render_dataset_models(spec, DATASETS).values())
    assert "notes" in columns_of(models["stg_adult"]) and "data_tests" not in clean["notes"]
    assert clean["age"]["data_tests"][0] == "not_null"
    # and one test per rule of the spec (adult's are dependencies: none reads a reference table)
    assert spec.rules and not any(isinstance(rule, ReferenceRule) for rule in spec.rules)
    assert models["adult_clean"]["data_tests"] == [
        {"accrete_keeps_every_row": {"arguments": {"staged": "ref('stg_adult')", "daily": False}}},
        *(
            {"accrete_rule": {"arguments": {"rule": rule.name, "violations": clean_table_test_sql(rule)}}}
            for rule in spec.rules
        ),
    ]


def test_macros_use_the_names_python_uses():
    """What the macros hard-code must agree with the library: a rename on one side fails here."""
    properties = (MACROS / "accrete_properties.sql").read_text()
    provenance = re.search(
        r"macro accrete_provenance_columns\(\).*?return\((\[.*?\])\)", properties, re.DOTALL
    )
    assert ast.literal_eval(provenance.group(1)) == list(RAW_LINEAGE_COLUMNS)
    assert f'env_var("{PARTITION_START}"' in properties and f'env_var("{PARTITION_END}"' in properties
    assert f"accrete_identifier(name ~ '{MISSING_FLAG_SUFFIX}')" in (MACROS / "accrete_clean.sql").read_text()


def test_write_models_rewrites_only_what_changed(tmp_path):
    (tmp_path / "retired_dataset").mkdir()
    first = write_models(BUNDLED, DATASETS, tmp_path)
    assert len(first) == 6 * len(BUNDLED) and not (tmp_path / "retired_dataset").exists()
    assert write_models(BUNDLED, DATASETS, tmp_path) == []


def test_reference_tables_are_a_source_of_their_dataset_read_from_the_files_as_text():
    flights = BUNDLED["flights"]
    sources = {
        source["name"]: source for source in yaml.safe_load(render_properties(flights, DATASETS))["sources"]
    }
    assert sorted(sources) == ["flights_reference", "raw"]
    tables = {table["name"]: table for table in sources["flights_reference"]["tables"]}
    assert sorted(tables) == ["airlines", "airports", "planes"]
    for name, table in tables.items():  # the file itself, by its absolute path
        path = DATASETS.resolve() / "flights" / "reference" / f"{name}.csv"
        assert table["config"]["meta"] == {
            "external_location": reference_table_sql(path),
            "formatter": "template",
        }
        assert len(table["description"]) > 30
    # what dbt-duckdb reads in place of source('flights_reference', 'airports'): text, as written
    airports = reference_table_sql(DATASETS / "flights" / "reference" / "airports.csv")
    with duckdb.connect() as connection:
        assert set(map(str, connection.sql(f"select * from {airports}").types)) == {"VARCHAR"}
        assert connection.sql(
            f"select faa, alt, tz, tzone from {airports} where faa in ('04G', 'EEN') order by faa"
        ).fetchall() == [("04G", "1044", "-5", "America/New_York"), ("EEN", "149", "-5", "NA")]
    reads = {
        test["accrete_rule"]["arguments"]["reference"]
        for test in models_of(flights)["flights_clean"]["data_tests"]
        if "reference" in test.get("accrete_rule", {}).get("arguments", {})
    }
    tables_read = {rule.table for rule in flights.rules if isinstance(rule, ReferenceRule)}
    assert tables_read and reads == {f"source('flights_reference', '{table}')" for table in tables_read}
    adult = yaml.safe_load(render_properties(BUNDLED["adult"], DATASETS))
    assert [source["name"] for source in adult["sources"]] == ["raw"]  # no reference folder, no source


def test_a_reference_rule_reads_its_table_from_the_file_and_fails_on_a_value_missing_there(tmp_path):
    """A real dbt build of a small dataset whose reference table sits in a datasets folder of its own
    (a quote, braces and a dollar in its path): codes stay text as written ('04' and '007' are there,
    '4' is not, as it would be were they read as numbers), the rule's test fails on the one row whose
    value is missing from the table, and the warehouse holds no copy of the table."""
    folder = tmp_path / "it's {here} $x"
    reference = folder / "datasets" / "shop" / "reference"
    reference.mkdir(parents=True)
    (reference / "stores.csv").write_text("store,city\n04,Lyon\n007,\n")
    rule = {"name": "store_exists", "kind": "reference", "column": "store", "table": "stores", "key": "store"}
    spec = write_spec(folder, columns={**SPEC["columns"], "store": {"type": "categorical"}}, rules=[rule])
    project = dbt_project_copy(tmp_path / "dbt_project", {"shop": spec}, folder / "datasets")
    warehouse, landing = tmp_path / "accrete.duckdb", tmp_path / "landing"
    deliver(landing, "sales-0", [f"{HEADER},store", *(f"{row()},{store}" for store in ("04", "007", "4"))])
    with connect(warehouse) as connection:
        ingest_landing_files(connection, spec, landing, run_id="sales-0")

    built = run_dbt(project, warehouse, "build", "--select", "tag:dataset_shop")
    assert built.returncode != 0
    # the failing tests, each with the number of rows it found: only the rule's, on the row of '4'
    failures = re.findall(r"Failure in test (\w+).*\n.*Got (\d+) results?,", built.stdout)
    assert len(failures) == 1 and "_store_exists_" in failures[0][0], built.stdout[-3000:]
    assert failures[0][1] == "1"
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = connection.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
    assert not [table for table in tables if "store" in table[1] or "reference" in table[0]], tables


def test_macro_unit_tests_pass(tmp_path):
    """The dbt unit tests of the macros (dbt_project/models/macro_tests/), offline, on an empty warehouse."""
    dbt = Path(sys.executable).parent / "dbt"
    environment = {
        **os.environ,
        "ACCRETE_WAREHOUSE": str(tmp_path / "accrete.duckdb"),
        "DBT_TARGET": "ci",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    command = [str(dbt), "test", "--select", "test_type:unit", "--profiles-dir", "."]
    command += ["--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")]
    result = subprocess.run(
        command, cwd=DBT_PROJECT, env=environment, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert re.search(r"PASS=3 WARN=0 ERROR=0", result.stdout), result.stdout[-3000:]
