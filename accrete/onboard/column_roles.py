"""What a column is for, judged from its name or the shape of its values: a direct identifier of
a person or record (dropped before any training), or a candidate sensitive attribute.

Identifiers by name: ``id`` or a name ending in ``_id`` (or starting ``id_``), emails, phone
numbers, national ids and account numbers, and person names (the first- and last-name patterns
the identifier-leakage gate uses, ``name``, ``full_name``...). Identifiers by value: text values of
which at least ``PATTERN_SHARE`` are personal data by ``pii_patterns`` (emails, phones, card
numbers...) or person names (two to four capitalised words, most of them distinct). Sensitive
attributes by name: a word of the column key that names a protected characteristic.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from accrete.validation.identifier_leakage import FIRST_NAME_COLUMN, LAST_NAME_COLUMN
from accrete.validation.pii_patterns import pii_label

RECORD_ID_NAME = re.compile(r"id|uuid|guid|.+_(?:id|uuid|guid)|id_.+")
PERSONAL_DATA_NAME = re.compile(
    r"(?:^|_)(?:e_?mail|phone|telephone|mobile|ssn|social_security|passport|iban|national_id|tax_id)(?:_|$)"
)
PERSON_NAME_COLUMN = re.compile(r"(?:full_|person_|customer_|patient_|client_|employee_|user_)?name")
PERSON_NAME_VALUE = re.compile(r"[A-Z][a-z'’-]+(?: [A-Z][a-z'’.-]+){1,3}")
PATTERN_SHARE = 0.8
"""The share of a column's checked values that must be personal data for the column to be an identifier."""
SENSITIVE_WORDS = frozenset(
    {
        *("sex", "gender", "race", "ethnicity", "ethnic", "age", "religion", "religious", "nationality"),
        *("citizenship", "disability", "disabled", "marital", "marriage", "pregnancy", "pregnant"),
        *("orientation", "caste"),
    }
)


def identifier_by_name(key: str) -> str | None:
    """Why the column's name says it identifies a person or record, or None."""
    if RECORD_ID_NAME.fullmatch(key):
        return f"the name {key!r} says it is a record id"
    if PERSONAL_DATA_NAME.search(key):
        return f"the name {key!r} says it holds personal data"
    if FIRST_NAME_COLUMN.search(key) or LAST_NAME_COLUMN.search(key) or PERSON_NAME_COLUMN.fullmatch(key):
        return f"the name {key!r} says it holds person names"
    return None


def identifier_by_values(values: Sequence[str], distinct_share: float) -> str | None:
    """Why text ``values`` (a column's most frequent ones; ``distinct_share`` of its values differ)
    look like personal data, or None."""
    if not values:
        return None
    labels = [pii_label(value) for value in values]
    for label in dict.fromkeys(label for label in labels if label):
        found = labels.count(label)
        if found >= PATTERN_SHARE * len(values):
            return f"{found} of the {len(values)} values checked look like {label}"
    names = sum(bool(PERSON_NAME_VALUE.fullmatch(value)) for value in values)
    if distinct_share >= 0.5 and names >= PATTERN_SHARE * len(values):
        return f"{names} of the {len(values)} values checked look like person names, most of them distinct"
    return None


def sensitive_by_name(key: str) -> str | None:
    """The word of the column key that names a protected characteristic, or None."""
    return next((word for word in key.split("_") if word in SENSITIVE_WORDS), None)
