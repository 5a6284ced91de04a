"""The dbt models written from the specs are data only: one macro call per model, and properties
that carry what the macros read. The macros themselves are tested by dbt unit tests, run here."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from accrete.ingest.raw import RAW_LINEAGE_COLUMNS
from accrete.spec import MISSING_FLAG_SUFFIX, TRUE_TOKENS, DatasetSpec, load_specs
from accrete.transform.dbt_models import (
    PARTITION_END,
    PARTITION_START,
    render_dataset_models,
    render_properties,
    write_models,
)

REPO = Path(__file__).resolve().parents[2]
DBT_PROJECT = REPO / "dbt_project"
MACROS = DBT_PROJECT / "macros"
BUNDLED = load_specs(REPO / "datasets")
MACRO_CALL = re.compile(r"\{\{ accrete_\w+\((ref|source)\('\w+'(, '\w+')?\)(, '\w+')?\) \}\}\n")


def models_of(spec: DatasetSpec) -> dict[str, dict]:
    return {model["name"]: model for model in yaml.safe_load(render_properties(spec))["models"]}


def columns_of(model: dict) -> dict[str, dict]:
    return {column["name"]: column for column in model.get("columns", [])}


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_every_model_file_is_one_macro_call(name):
    sql_files = {
        file: text for file, text in render_dataset_models(BUNDLED[name]).items() if file.endswith(".sql")
    }
    assert len(sql_files) == 5
    for file, text in sql_files.items():
        assert MACRO_CALL.fullmatch(text), f"{file} is not a single macro call: {text!r}"
        assert not re.search(r"\b(select|from|where|join|case|cast)\b", text, re.IGNORECASE), file


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_properties_have_no_yaml_aliases_and_no_dagster_names(name):
    text = render_properties(BUNDLED[name])
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
    rendered = "".join(render_dataset_models(spec).values())
    assert "person_id" not in rendered
    married = columns_of(models_of(spec)["stg_adult"])["married"]["config"]["meta"]
    assert married["type"] == "boolean" and married["true_values"] == list(TRUE_TOKENS)


def test_empty_columns_are_kept_untested_or_left_out_and_clean_keeps_every_staged_row():
    content = yaml.safe_load((REPO / "datasets" / "adult" / "spec.yaml").read_text())
    content["columns"]["notes"] = {"type": "categorical", "all_null": "keep"}
    content["columns"]["fax"] = {"type": "categorical", "all_null": "drop"}
    models = models_of(DatasetSpec.model_validate(content))
    clean = columns_of(models["adult_clean"])
    assert "fax" not in "".join(render_dataset_models(DatasetSpec.model_validate(content)).values())
    assert "notes" in columns_of(models["stg_adult"]) and "data_tests" not in clean["notes"]
    assert clean["age"]["data_tests"][0] == "not_null"
    assert models["adult_clean"]["data_tests"] == [
        {"accrete_keeps_every_row": {"arguments": {"staged": "ref('stg_adult')", "daily": False}}}
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
    first = write_models(BUNDLED, tmp_path)
    assert len(first) == 6 * len(BUNDLED) and not (tmp_path / "retired_dataset").exists()
    assert write_models(BUNDLED, tmp_path) == []


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
