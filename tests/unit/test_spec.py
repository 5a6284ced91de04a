"""Dataset specs: the bundled spec loads; every kind of invalid spec is a clear SpecError."""

from pathlib import Path

import pytest
import yaml

from accrete.spec import SpecError, load_spec, load_specs
from tests.conftest import ADULT_SPEC


def write_spec(tmp_path: Path, mutate) -> Path:
    content = yaml.safe_load(ADULT_SPEC.read_text())
    mutate(content)
    path = tmp_path / "adult" / "spec.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(content))
    return path


def test_bundled_spec_describes_adult(adult_spec):
    assert len(adult_spec.columns) == 15
    assert adult_spec.target == "income"
    assert adult_spec.training_schema.names[-3:] == [
        "workclass_was_missing",
        "occupation_was_missing",
        "native_country_was_missing",
    ]
    assert adult_spec.training_schema.column("age").integer


def test_fingerprint_changes_with_content(tmp_path, adult_spec):
    changed = load_spec(write_spec(tmp_path, lambda spec: spec["synthetic"].update(rows=123)))
    assert changed.fingerprint() != adult_spec.fingerprint()
    assert load_spec(ADULT_SPEC).fingerprint() == adult_spec.fingerprint()


@pytest.mark.parametrize(
    ("mutate", "named"),
    [
        (lambda spec: spec.update(colour="blue"), "colour"),
        (lambda spec: spec["columns"]["age"].update(type="number"), "columns.age.type"),
        (lambda spec: spec["columns"]["age"].update(minimum=3), "columns.age.minimum"),
        (lambda spec: spec.update(sensitive=["race", "height"]), "height"),
        (lambda spec: spec.update(target="salary"), "salary"),
        (lambda spec: spec.update(holdout_fraction=1.5), "holdout_fraction"),
        (lambda spec: spec["generator"].update(backend="magic"), "magic"),
        (lambda spec: spec["synthetic"].update(rows=0), "synthetic.rows"),
        (lambda spec: spec["mix"].update(max_synthetic_share=1.0), "mix.max_synthetic_share"),
        (lambda spec: spec["columns"]["age"].update(min=50, max=10), "min (50.0) is greater than max"),
        (lambda spec: spec["imputation"].update(group_by=["workclass"]), "cannot themselves be imputed"),
        (lambda spec: spec["columns"]["income"].update(aliases={">50K.": "rich"}), "rich"),
        (lambda spec: spec["columns"].update({"Bad Name": {"type": "numerical"}}), "Bad Name"),
        (lambda spec: spec["generator"].update(training_data="synthetic"), "never learns from synthetic"),
        (lambda spec: spec["mix"].update(policy="replace"), "makes models collapse"),
        (lambda spec: spec["generator"].update(retrain={"every_partitions": 0}), "every_partitions"),
        (
            lambda spec: spec.update(partitions={"start": "2013-02-01", "end": "2013-01-01"}),
            "end (2013-01-01) is before start",
        ),
        (
            lambda spec: spec.update(
                partitions={"start": "2013-01-01", "end": "2013-01-31", "file_name": "x.csv"}
            ),
            "{date}",
        ),
        (
            lambda spec: spec.update(partitions={"start": "2013-01-01", "end": "2013-01-31"}),
            "landing.pattern does not apply",
        ),
    ],
)
def test_invalid_spec_names_file_and_key(tmp_path, mutate, named):
    path = write_spec(tmp_path, mutate)
    with pytest.raises(SpecError) as raised:
        load_spec(path)
    assert str(path) in str(raised.value)
    assert named in str(raised.value)


def test_bundled_daily_spec_describes_flights():
    flights = load_spec(ADULT_SPEC.parent.parent / "flights" / "spec.yaml")
    assert flights.partitions.file_for("2013-01-05") == "2013-01-05.csv"
    assert flights.landing_pattern == "????-??-??.csv"
    assert flights.training_schema.column("time_hour").kind == "datetime"
    assert flights.mix.policy == "accumulate" and flights.generator.training_data == "real"


def test_missing_and_malformed_spec_files(tmp_path):
    with pytest.raises(SpecError, match="not found"):
        load_spec(tmp_path / "nope.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed")
    with pytest.raises(SpecError, match="not valid YAML"):
        load_spec(broken)
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("just a string")
    with pytest.raises(SpecError, match="mapping"):
        load_spec(scalar)


def test_spec_name_must_match_its_folder(tmp_path):
    write_spec(tmp_path, lambda spec: spec.update(name="census"))
    with pytest.raises(SpecError, match="folder is 'adult'"):
        load_specs(tmp_path)


def test_identifier_columns_are_never_modelled(tmp_path):
    def add_identifier(spec):
        spec["columns"]["person_id"] = {"type": "identifier"}

    spec = load_spec(write_spec(tmp_path, add_identifier))
    assert spec.identifier_columns == ["person_id"]
    assert "person_id" not in spec.training_schema.names
    with pytest.raises(SpecError, match="identifier"):
        load_spec(write_spec(tmp_path, lambda s: (add_identifier(s), s.update(sensitive=["person_id"]))))


def test_sampling_controls_are_validated(tmp_path):
    def rebalance(shares, column="race"):
        return lambda spec: spec["synthetic"].update(rebalance={"column": column, "shares": shares})

    spec = load_spec(write_spec(tmp_path, rebalance({"Amer-Indian-Eskimo": 0.1})))
    assert spec.synthetic.rebalance.shares == {"Amer-Indian-Eskimo": 0.1}
    for mutate, named in [
        (rebalance({"Martian": 0.1}), "unknown categories: ['Martian']"),
        (rebalance({"Black": 0.7, "White": 0.6}), "add up to at most 1"),
        (rebalance({"17": 0.5}, column="age"), "must be a categorical column"),
        (lambda s: s["synthetic"].update(conditions={"salary": 1}), "synthetic.conditions names unknown"),
    ]:
        with pytest.raises(SpecError, match=named.replace("[", r"\[").replace("]", r"\]")):
            load_spec(write_spec(tmp_path, mutate))


def test_column_keys_are_safe_names_and_a_delivered_header_goes_in_source(tmp_path):
    def add(columns):
        return lambda spec: spec["columns"].update(columns)

    for mutate, named in [
        (
            add({"LIMIT_BAL": {"type": "numerical"}}),
            "column key 'LIMIT_BAL' is not a safe name (lower_snake_case: a-z, 0-9 and '_', not starting "
            "with a digit): name the column 'limit_bal' and give the header as delivered as its source: "
            "'LIMIT_BAL'",
        ),
        (add({"2nd-visit": {"type": "datetime"}}), "name the column 'c_2nd_visit'"),
        (add({"_batch": {"type": "numerical"}}), "'_batch' is the name of a column the pipeline adds itself"),
        (
            add({"limit": {"type": "numerical", "source": "age"}}),
            "columns share a delivered header (their source, else their key): {'age': ['age', 'limit']}",
        ),
        (add({"workclass_was_missing": {"type": "boolean"}}), "names of the missing-value flags"),
        (add({"limit": {"type": "numerical", "source": ""}}), "columns.limit.source"),
    ]:
        with pytest.raises(SpecError) as raised:
            load_spec(write_spec(tmp_path, mutate))
        assert named in str(raised.value)
    spec = load_spec(
        write_spec(
            tmp_path,
            add(
                {
                    "order": {"type": "numerical", "source": "ORDER"},
                    "end": {"type": "datetime", "source": "End date"},
                    "_private": {"type": "numerical"},
                }
            ),
        )
    )
    headers = spec.delivered_headers
    assert (headers["order"], headers["end"], headers["_private"], headers["age"]) == (
        "ORDER",
        "End date",
        "_private",
        "age",
    )


def test_on_invalid_and_all_null_are_validated_and_empty_columns_are_never_modelled(tmp_path):
    def declare_empty(spec):
        spec["on_invalid"] = "quarantine"
        spec["columns"]["capital_loss"]["all_null"] = "keep"
        spec["columns"]["fnlwgt"]["all_null"] = "drop"

    spec = load_spec(write_spec(tmp_path, declare_empty))
    assert spec.on_invalid == "quarantine"
    assert "capital_loss" in spec.staged_columns and "capital_loss" not in spec.modelled_columns
    assert "fnlwgt" not in spec.staged_columns and "fnlwgt" not in spec.training_schema.names
    assert load_spec(ADULT_SPEC).on_invalid == "refuse"
    refused = {
        "key 'on_invalid'": lambda spec: spec.update(on_invalid="drop"),
        "key 'columns.age.all_null'": lambda spec: spec["columns"]["age"].update(all_null="impute"),
        "all_null does not apply to identifier columns": lambda spec: spec["columns"].update(
            pid={"type": "identifier", "all_null": "drop"}
        ),
        r"imputation.columns names unknown, identifier or empty \(all_null\) columns: \['workclass'\]": (
            lambda spec: spec["columns"]["workclass"].update(all_null="keep")
        ),
    }
    for named, mutate in refused.items():
        with pytest.raises(SpecError, match=named):
            load_spec(write_spec(tmp_path, mutate))
