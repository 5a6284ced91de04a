"""Identifier leakage: planted identifiers and PII-shaped strings must fail, clean Adult rows pass."""

from __future__ import annotations

import re

import pandas as pd

from accrete.validation.identifier_leakage import PII_PATTERNS, identifier_leakage_gate
from tests.unit.validation_data import gaussian_copula_sample


def test_clean_synthetic_rows_pass():
    outcome = identifier_leakage_gate(gaussian_copula_sample(), {"name": ["Ada Lovelace", "Alan Turing"]})
    assert outcome.passed, outcome.summary


def test_planted_emails_fail_and_are_named():
    synthetic = gaussian_copula_sample()
    synthetic.loc[:9, "occupation"] = [f"person{number}@example.org" for number in range(10)]
    outcome = identifier_leakage_gate(synthetic)
    assert not outcome.passed
    assert outcome.metrics["leaking_cells"] == 10
    assert "occupation" in outcome.summary and "email" in outcome.summary
    assert "person0@example.org" in outcome.details_md


def test_real_identifier_values_fail_in_text_and_same_named_columns():
    synthetic = gaussian_copula_sample()
    synthetic.loc[0, "native_country"] = "Ada Lovelace"
    synthetic["customer_id"] = 1000
    synthetic.loc[1, "customer_id"] = 77
    outcome = identifier_leakage_gate(synthetic, {"name": ["Ada Lovelace"], "customer_id": [77]})
    assert not outcome.passed
    assert outcome.metrics["leaking_cells"] == 2


def test_numeric_identifier_values_do_not_match_other_numeric_columns():
    synthetic = gaussian_copula_sample()
    outcome = identifier_leakage_gate(synthetic, {"customer_id": synthetic["age"].unique().tolist()})
    assert outcome.passed


def test_patterns_find_phones_and_national_ids_but_not_dates_or_categories():
    def kinds(text: str) -> list[str]:
        return [label for label, pattern in PII_PATTERNS.items() if pattern.search(text)]

    assert kinds("call 555-123-4567") == ["a phone number"]
    assert kinds("+44 20 7946 0958") == ["a phone number"]
    assert kinds("123-45-6789") == ["a US social security number"]
    assert kinds("AB 12 34 56 C") == ["a UK national insurance number"]
    for harmless in [
        "2024-01-15",
        "2024-01-15 10:30:00",
        "Married-civ-spouse",
        "Outlying-US(Guam-USVI-etc)",
        "40",
    ]:
        assert kinds(harmless) == [], harmless


def test_custom_patterns_are_honoured():
    synthetic = pd.DataFrame({"note": ["ticket ABC-1", "none"]})
    assert identifier_leakage_gate(synthetic).passed
    assert not identifier_leakage_gate(synthetic, patterns={"ticket id": re.compile(r"ABC-\d+")}).passed
