"""Rules found in the bundled data (``accrete.rules.discovery``), ``accrete rules`` and the rules
``accrete init`` proposes: the expected rules, none implied by ranges or by another rule, a planted
violation only tolerated below 100%, and bad inputs refused by name."""

from __future__ import annotations

import gzip
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from accrete.cli.main import accrete
from accrete.cli.rules_command import file_rows
from accrete.ingest.replay import replay
from accrete.rules.discovery import RuleProposal, propose_rules
from accrete.rules.rule_spec import FormulaRule
from accrete.spec import DatasetSpec, load_spec
from tests.conftest import REPO, write_small_landing

DATASETS = REPO / "datasets"
FLIGHTS_SPEC = DATASETS / "flights" / "spec.yaml"
CREDIT_FILE = REPO / "landing" / "credit" / "UCI_Credit_Card.csv.gz"
FLIGHT_DAYS = 3


def types_of(spec: DatasetSpec) -> dict[str, str]:
    return {name: column.type for name, column in spec.columns.items()}


def by_name(proposals: list[RuleProposal]) -> dict[str, RuleProposal]:
    return {proposal.rule.name: proposal for proposal in proposals}


@pytest.fixture(scope="module")
def flights_landing(tmp_path_factory) -> Path:
    """Flights' first days, delivered to a landing folder by the replay as `make replay` does."""
    root = tmp_path_factory.mktemp("landing")
    days = [date(2013, 1, 1) + timedelta(n) for n in range(FLIGHT_DAYS)]
    replay(load_spec(FLIGHTS_SPEC), DATASETS / "flights", root, days)
    return root / "flights"


@pytest.fixture(scope="module")
def flights(flights_landing) -> pd.DataFrame:
    return file_rows(sorted(flights_landing.glob("*.csv")), load_spec(FLIGHTS_SPEC))


@pytest.fixture(scope="module")
def flights_file(flights_landing, tmp_path_factory) -> Path:
    """The first days in one CSV file, as a user would hand it to `accrete rules`."""
    days = sorted(flights_landing.glob("*.csv"))
    lines = days[0].read_text().splitlines(keepends=True)
    for day in days[1:]:
        lines += day.read_text().splitlines(keepends=True)[1:]
    path = tmp_path_factory.mktemp("files") / "flights-first-days.csv"
    path.write_text("".join(lines))
    return path


@pytest.fixture(scope="module")
def adult_landing(tmp_path_factory) -> Path:
    return write_small_landing(tmp_path_factory.mktemp("landing"), rows=6_000).parent


@pytest.fixture(scope="module")
def credit_file(tmp_path_factory) -> Path:
    """The first 5,000 clients of the bundled credit-card file."""
    with gzip.open(CREDIT_FILE, "rt") as handle:
        lines = [next(handle) for _ in range(5_001)]
    path = tmp_path_factory.mktemp("files") / "credit.csv.gz"
    with gzip.open(path, "wt") as handle:
        handle.writelines(lines)
    return path


@pytest.fixture(scope="module")
def credit_flags_file(credit_file, tmp_path_factory) -> Path:
    """The clients' id, limit and flags (sex, education, marital status): a user's own file."""
    with gzip.open(credit_file, "rt") as handle:
        frame = pd.read_csv(handle, dtype=str)
    kept = [
        "ID",
        "LIMIT_BAL",
        "SEX",
        *(name for name in frame if name.startswith(("EDUCATION_", "MARRIAGE_"))),
    ]
    path = tmp_path_factory.mktemp("files") / "flags.csv"
    frame[kept].to_csv(path, index=False)
    return path


def rules(*arguments: object):
    return CliRunner().invoke(accrete, ["rules", *map(str, arguments)])


# --- the bundled data ----------------------------------------------------------------------------


def test_flights_route_determines_the_distance_and_the_schedule_is_a_formula(flights):
    found = by_name(propose_rules(flights, types_of(load_spec(FLIGHTS_SPEC))))
    distance = found["distance_by_origin_dest"]
    assert (distance.rule.columns, distance.rule.determined_by) == (["distance"], ["origin", "dest"])
    assert (distance.rows_checked, distance.exceptions, distance.examples) == (len(flights), 0, ())
    assert distance.evidence.startswith(f"holds in {len(flights):,} of {len(flights):,} rows; ")
    formula = found["sched_dep_time_formula"]
    assert (formula.rule.column, formula.rule.equals) == ("sched_dep_time", "hour * 100 + minute")
    assert formula.rule.inputs == ["hour", "minute"]
    assert found["carrier_dest_combinations"].rule.columns == ["carrier", "dest"]
    # implied by the rules above: the route's combinations, the schedule looked up from its parts
    kinds = [(p.rule.kind, p.rule.columns_used) for p in found.values()]
    assert ("combination", ["origin", "dest"]) not in kinds
    assert not [name for name in found if name.startswith("sched_dep_time_by")]
    assert not [name for name in found if name.startswith("time_hour_by")]  # the calendar, not a lookup
    assert not [p for p in found.values() if p.rule.kind == "inequality"]


def test_adult_education_number_is_determined_by_the_education_in_one_direction_only(adult_landing):
    spec = load_spec(DATASETS / "adult" / "spec.yaml")
    frame = file_rows(sorted((adult_landing / "adult").glob("*.csv.gz")), spec)
    found = propose_rules(frame, types_of(spec))
    assert [(p.rule.kind, p.rule.name) for p in found] == [("dependency", "education_num_by_education")]
    assert found[0].evidence == f"holds in {len(frame):,} of {len(frame):,} rows; 16 values of education"


def test_credit_education_and_marital_status_are_one_hot(credit_file):
    spec = load_spec(DATASETS / "credit" / "spec.yaml")
    found = by_name(propose_rules(file_rows([credit_file], spec), types_of(spec)))
    assert found["education_one_hot"].rule.columns == [f"education_{n}" for n in range(7)]
    assert found["marriage_one_hot"].rule.columns == [f"marriage_{n}" for n in range(4)]
    assert found["marriage_one_hot"].evidence.endswith("exactly one of the 4 columns is true")
    assert not [name for name in found if name.startswith(("education_", "marriage_")) and "_by_" in name]


# --- planted violations --------------------------------------------------------------------------


def planted(flights: pd.DataFrame, column: str, value: int) -> tuple[pd.DataFrame, int]:
    """``flights`` with ``column`` set to ``value`` in one row of the busiest route, and that row."""
    route = flights.groupby(["origin", "dest"]).size().idxmax()
    row = flights.index[(flights.origin == route[0]) & (flights.dest == route[1])][0]
    broken = flights.copy()
    broken.loc[row, column] = value
    return broken, row


@pytest.mark.parametrize(
    ("column", "name", "shown"),
    [
        ("distance", "distance_by_origin_dest", ["origin", "dest", "distance"]),
        ("sched_dep_time", "sched_dep_time_formula", ["hour", "minute", "sched_dep_time"]),
    ],
)
def test_a_planted_violation_is_proposed_only_below_100_percent_with_its_row(flights, column, name, shown):
    broken, row = planted(flights, column, int(flights[column].max()) + 7)
    types = types_of(load_spec(FLIGHTS_SPEC))
    exact = by_name(propose_rules(broken, types))
    assert name not in exact
    tolerated = by_name(propose_rules(broken, types, min_share=0.99))[name]
    assert (tolerated.rows_checked, tolerated.exceptions) == (len(flights), 1)
    assert tolerated.examples == (broken.loc[row, shown].to_dict(),)
    assert tolerated.evidence.startswith(f"holds in {len(flights) - 1:,} of {len(flights):,} rows")


def test_a_column_determined_but_for_a_few_combinations_takes_only_the_values_seen_with_them(flights):
    broken, _ = planted(flights, "distance", 4_999)  # the busiest route now has two distances
    found = by_name(propose_rules(broken, types_of(load_spec(FLIGHTS_SPEC))))
    route = found["origin_dest_distance_combinations"]
    assert (route.rule.kind, route.rule.columns, route.exceptions) == (
        "combination",
        ["origin", "dest", "distance"],
        0,
    )
    assert route.evidence == (
        f"181 combinations in {len(flights):,} rows: distance has one value for each of the 180 "
        "combinations of origin, dest but 1"
    )
    assert "distance_by_origin_dest" not in found


# --- inequalities, one-hot groups and inputs, on small tables ----------------------------------------


def test_inequalities_hold_where_the_ranges_overlap_and_none_is_implied_by_two_others():
    rng = np.random.default_rng(1)
    opened = rng.integers(0, 1_000, 500)
    table = pd.DataFrame({"opened": opened, "shipped": opened + rng.integers(1, 50, 500)})
    table["closed"] = table.shipped + rng.integers(0, 50, 500)
    table["score"] = rng.integers(5_000, 6_000, 500)  # always above, but its range lies apart
    found = propose_rules(table, dict.fromkeys(table, "numerical"))
    inequalities = [
        (p.rule.left, p.rule.operator, p.rule.right) for p in found if p.rule.kind == "inequality"
    ]
    assert inequalities == [("opened", "<", "shipped"), ("shipped", "<=", "closed")]


def test_an_exception_to_a_one_hot_group_is_counted_and_shown():
    flags = pd.DataFrame({"colour_red": [True, False, False] * 40, "colour_blue": [False, True, True] * 40})
    flags["size"] = ["s", "m", "l"] * 40
    flags.loc[5, "colour_red"] = True
    types = {"colour_red": "boolean", "colour_blue": "boolean", "size": "categorical"}
    assert not [p for p in propose_rules(flags, types) if p.rule.kind == "one_hot"]
    group = by_name(propose_rules(flags, types, min_share=0.99))["colour_one_hot"]
    assert (group.exceptions, group.examples) == (1, ({"colour_red": True, "colour_blue": True},))


def test_a_missing_value_leaves_its_row_unjudged():
    table = pd.DataFrame({"hours": [1, 2, 3, 4] * 10, "minutes": [60, 120, 180, 240] * 10})
    table["minutes"] = table.minutes.astype("Int64")
    table.loc[3, "minutes"] = pd.NA
    found = by_name(propose_rules(table, dict.fromkeys(table, "numerical")))
    formula = found["minutes_formula"]
    assert isinstance(formula.rule, FormulaRule) and formula.rule.equals == "hours * 60"
    assert formula.rows_checked == 39 and "(1 with a missing value not judged)" in formula.evidence


@pytest.mark.parametrize("share", [0, -0.5, 1.5])
def test_a_share_outside_0_1_is_refused(share):
    with pytest.raises(ValueError, match="min_share must be a share of rows in"):
        propose_rules(pd.DataFrame({"a": [1, 2]}), {"a": "numerical"}, min_share=share)


# --- accrete rules -------------------------------------------------------------------------------


def test_the_command_prints_rules_to_paste_with_their_evidence(flights_file):
    result = rules(flights_file, "--spec", FLIGHTS_SPEC)
    assert result.exit_code == 0, result.output
    printed = yaml.safe_load(result.output)["rules"]
    assert {"name": "sched_dep_time_formula", "kind": "formula", "column": "sched_dep_time"} | {
        "equals": "hour * 100 + minute"
    } in printed
    assert "  # holds in 2,699 of 2,699 rows; 180 combinations of 267 possible\n" in result.output
    assert "# 3 rule(s) found in " in result.output and "constant in these rows: year, month" in result.output


def test_a_rule_below_100_percent_is_printed_with_its_exceptions(flights_file, tmp_path):
    broken = tmp_path / "broken.csv"
    lines = flights_file.read_text().splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    first = lines[1].rstrip("\n").split(",")
    route = (first[header.index("origin")], first[header.index("dest")])
    first[header.index("distance")] = "4999"
    broken.write_text("".join([lines[0], ",".join(first) + "\n", *lines[2:]]))
    assert "distance_by_origin_dest" not in rules(broken, "--spec", FLIGHTS_SPEC).output
    result = rules(broken, "--spec", FLIGHTS_SPEC, "--min-share", "0.99")
    assert result.exit_code == 0, result.output
    assert "distance_by_origin_dest" in [rule["name"] for rule in yaml.safe_load(result.output)["rules"]]
    assert (
        f"# 1 row breaks it (it holds in 99.96% of the rows it judges), e.g. {{origin: {route[0]}, dest: {route[1]}, distance: 4999}}"
        in result.output
    )
    assert "distance_by_origin_dest (1 exceptions)" in result.output


def test_a_file_without_spec_is_typed_as_accrete_init_would(credit_flags_file):
    result = rules(credit_flags_file)
    assert result.exit_code == 0, result.output
    names = [rule["name"] for rule in yaml.safe_load(result.output)["rules"]]
    assert names == ["education_one_hot", "marriage_one_hot"]


def test_a_dataset_is_read_from_its_landing_files(adult_landing):
    result = rules("adult", "--datasets", DATASETS, "--landing", adult_landing)
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.output)["rules"] == [
        {"name": "education_num_by_education", "kind": "dependency"}
        | {"columns": ["education_num"], "determined_by": ["education"]}
    ]
    assert "adult-test.csv.gz" in result.output and "adult-train.csv.gz" in result.output


def test_bad_inputs_exit_2_naming_the_problem(tmp_path):
    one_row = tmp_path / "one.csv"
    one_row.write_text("a,b\n1,x\n")
    cases = [
        (["absent.csv"], "absent.csv: file not found"),
        (["nope", "--datasets", DATASETS], "'nope' is neither a file nor a dataset"),
        ([one_row], "one.csv: 1 row(s): rules are found in at least 2 rows"),
        ([one_row, "--min-share", "1.5"], "Invalid value for '--min-share': 1.5 is not in the range 0<x<=1"),
        ([one_row, "--spec", tmp_path / "missing.yaml"], "missing.yaml: spec file not found"),
    ]
    for arguments, message in cases:
        result = rules(*arguments)
        assert result.exit_code == 2, result.output
        assert message in result.output, result.output
    assert "adult, credit, flights" in rules("nope", "--datasets", DATASETS).output


# --- accrete init --------------------------------------------------------------------------------


def test_init_proposes_the_rules_holding_in_every_row_in_a_spec_that_loads(credit_flags_file, tmp_path):
    result = CliRunner().invoke(
        accrete, ["init", str(credit_flags_file), "--name", "cards", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "rules holding in every row: education_one_hot, marriage_one_hot proposed" in result.output
    path = tmp_path / "cards" / "spec.yaml"
    assert [rule.name for rule in load_spec(path).rules] == ["education_one_hot", "marriage_one_hot"]
    text = path.read_text()
    assert "# rules: proposals found in every row of the file, each under its evidence" in text
    assert "  # holds in 5,000 of 5,000 rows; exactly one of the 4 columns is true\n" in text
