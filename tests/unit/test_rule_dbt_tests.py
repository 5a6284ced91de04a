"""The spec's rules as dbt tests on the real clean table: a real dbt build passes on rows that keep
them and fails, naming each rule, on a batch that breaks them."""

from __future__ import annotations

import re

from accrete.ingest.raw import ingest_landing_files
from accrete.warehouse import connect
from tests.dbt_copy import dbt_project_copy, run_dbt
from tests.unit.landing_values import HEADER, deliver, row, write_spec

RULES = [
    {"name": "price_of_units", "kind": "formula", "column": "price", "equals": "units * 2.5"},
    {"name": "plan_by_member", "kind": "dependency", "columns": ["plan"], "determined_by": ["member"]},
    {
        "name": "sold_on_or_after_day",
        "kind": "inequality",
        "left": "sold_at",
        "operator": ">=",
        "right": "day",
    },
    {"name": "plan_on_offer", "kind": "reference", "column": "plan", "table": "plans", "key": "plan"},
]


def failing_tests(output: str) -> set[str]:
    """The rules whose dbt test failed, as dbt's summary names them."""
    return {
        rule["name"]
        for rule in RULES
        if re.search(rf"Failure in test accrete_rule_\w*{rule['name']}", output)
    }


def test_rules_pass_on_rows_that_keep_them_and_fail_by_name_on_rows_that_break_them(tmp_path):
    datasets = tmp_path / "datasets"
    (datasets / "shop" / "reference").mkdir(parents=True)  # before the spec, whose rule names it
    (datasets / "shop" / "reference" / "plans.csv").write_text("plan,monthly_fee\ngold,10\n")
    spec = write_spec(tmp_path, rules=RULES)
    project = dbt_project_copy(tmp_path / "dbt_project", {"shop": spec}, datasets)
    warehouse, landing = tmp_path / "accrete.duckdb", tmp_path / "landing"

    def build_after(batch: str, lines: list[str]):
        deliver(landing, batch, [HEADER, *lines])
        with connect(warehouse) as connection:
            ingest_landing_files(connection, spec, landing, run_id=batch)
        return run_dbt(project, warehouse, "build", "--select", "tag:dataset_shop")

    kept = build_after("sales-0", [row(units="3", price="7.5"), row(units="2", price="5", member="no")])
    assert kept.returncode == 0, kept.stdout[-3000:]
    assert failing_tests(kept.stdout) == set()

    broken = build_after(
        "sales-1",
        [
            row(units="4", price="11"),  # 4 * 2.5 is 10
            row(units="4", price="10", member="no", plan="silver"),  # members without: gold and silver
            row(units="1", price="2.5", sold_at="2024-01-04 09:00:00"),  # sold the day before its day
        ],
    )
    assert broken.returncode != 0
    assert failing_tests(broken.stdout) == {
        "price_of_units",
        "plan_by_member",
        "sold_on_or_after_day",
        "plan_on_offer",
    }
