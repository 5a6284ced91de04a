"""Identifier leakage: planted identifiers, names and PII-shaped strings fail; real keys in flag columns do not."""

from __future__ import annotations

import numpy as np
import pandas as pd

from accrete.validation.identifier_leakage import identifier_leakage_gate
from accrete.validation.pii_patterns import iban_valid, luhn_valid, pii_label
from tests.unit.validation_data import fresh, gaussian_copula_sample, train


def keyed_table(rows: int, seed: int) -> pd.DataFrame:
    """Rows of a credit-card-like table whose raw form had an integer ``id``: codes stored as text."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "sex": rng.choice(["1", "2"], rows),
            "default": rng.choice(["0", "1"], rows),
            "education": rng.choice(["1", "2", "3", "4"], rows),
            "limit": rng.integers(10_000, 500_000, rows),
        }
    )


def test_clean_synthetic_rows_pass():
    outcome = identifier_leakage_gate(
        gaussian_copula_sample(), train(), {"name": ["Ada Lovelace", "Alan Turing"]}
    )
    assert outcome.passed, outcome.summary


def test_an_integer_key_raises_no_false_alarm_in_code_columns():
    real, synthetic = keyed_table(3_000, 0), keyed_table(3_000, 1)
    outcome = identifier_leakage_gate(synthetic, real, {"id": range(30_000)})
    assert outcome.passed, outcome.summary


def test_planted_record_numbers_and_names_are_caught():
    real, synthetic = keyed_table(3_000, 0), keyed_table(3_000, 1)
    synthetic["note"] = "none"
    real["note"] = "none"
    synthetic.loc[:4, "education"] = ["20417", "20418", "20419", "20420", "20421"]
    synthetic.loc[5:7, "note"] = ["Grace Hopper", "call Alan Turing back", "Ada"]
    identifiers = {
        "id": range(30_000),
        "first_name": ["Grace", "Alan", "Ada"],
        "last_name": ["Hopper", "Turing", "Lovelace"],
    }
    outcome = identifier_leakage_gate(synthetic, real, identifiers)
    assert not outcome.passed
    assert outcome.metrics["leaking_cells"] == 8  # a lone first name is not a full name
    assert "a real 'id' value" in outcome.details_md and "a real full name" in outcome.details_md


def test_a_real_identifier_in_a_same_named_numeric_column_is_caught():
    synthetic = fresh()
    synthetic["customer_id"] = 1000
    synthetic.loc[1, "customer_id"] = 77
    outcome = identifier_leakage_gate(synthetic, train(), {"customer_id": [77]})
    assert not outcome.passed and outcome.metrics["leaking_cells"] == 1


def test_numeric_identifier_values_do_not_match_other_numeric_columns():
    synthetic = gaussian_copula_sample()
    assert identifier_leakage_gate(synthetic, train(), {"customer_id": synthetic["age"].unique()}).passed


def test_planted_contact_details_national_ids_and_cards_fail_and_are_named():
    synthetic = fresh()
    planted = [
        "person0@example.org",
        "+44 20 7946 0958",
        "(202) 555-0143",
        "07700900123",
        "123-45-6789",
        "123456789",
        "AB 12 34 56 C",
        "GB82 WEST 1234 5698 7654 32",
        "4111 1111 1111 1111",
    ]
    synthetic.loc[: len(planted) - 1, "occupation"] = planted
    outcome = identifier_leakage_gate(synthetic, train())
    assert not outcome.passed
    assert outcome.metrics["leaking_cells"] == len(planted)
    for kind in ["email", "phone", "social security", "national insurance", "IBAN", "payment-card"]:
        assert kind in outcome.details_md


def test_detectors_name_each_kind_and_leave_codes_dates_and_categories_alone():
    assert pii_label("write to ada@example.com") == "an email address"
    assert pii_label("+12025550143") == "a phone number"
    assert pii_label("020 7946 0958") == "a phone number"
    assert pii_label("078-05-1120") == "a US social security number"
    assert pii_label("AB 12 34 56 C") == "a UK national insurance number"
    assert pii_label("GB82WEST12345698765432") == "an IBAN"
    assert pii_label("5555555555554444") == "a payment-card number"
    for harmless in [
        "2024-01-15",
        "2024-01-15 10:30:00",
        "Married-civ-spouse",
        "Outlying-US(Guam-USVI-etc)",
        "40",
        "N14228",
        "1545",
        "4111111111111112",  # fails the Luhn check
        "666-12-3456",  # not a valid social security area
        "GB00WEST12345698765432",  # fails the IBAN checksum
    ]:
        assert pii_label(harmless) is None, harmless


def test_checksums():
    assert luhn_valid("79927398713") and not luhn_valid("79927398710")
    assert iban_valid("DE89 3704 0044 0532 0130 00") and not iban_valid("DE89 3704 0044 0532 0130 01")
