"""The adversarial gallery on the bundled Adult data: fresh real rows pass every gate, and every
table built to fail a gate fails it."""

from __future__ import annotations

import pytest

from accrete.validation.adversarial import GALLERY, build_case
from accrete.validation.gates import GATES, GateInputs
from accrete.validation.suite import validate_synthetic
from bench.validation import adult_gallery_tables

GATES_BY_NAME = {gate.name: gate for gate in GATES}


@pytest.fixture(scope="module")
def tables():
    return adult_gallery_tables()


def test_every_case_is_aimed_at_a_gate_of_the_registry():
    assert GALLERY[0].caught_by is None
    assert {case.caught_by for case in GALLERY[1:]} <= set(GATES_BY_NAME)


def test_fresh_real_rows_pass_every_gate(tables):
    honest = build_case(GALLERY[0], tables)
    validation = validate_synthetic(
        tables.spec, tables.train, tables.holdout, honest, tables.identifier_values
    )
    failed = {outcome.name: outcome.summary for outcome in validation.outcomes if not outcome.passed}
    assert not failed


@pytest.mark.parametrize("case", GALLERY[1:], ids=lambda case: f"{case.name}-{case.caught_by}")
def test_each_case_fails_the_gate_named_for_it(tables, case):
    synthetic = build_case(case, tables)
    inputs = GateInputs(tables.spec, tables.train, tables.holdout, synthetic, tables.identifier_values)
    outcome = GATES_BY_NAME[case.caught_by].judge(inputs)
    assert not outcome.passed, f"({case.name}) {case.description}: {outcome.summary}"
