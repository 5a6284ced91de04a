"""A small dataset with one column of each type, and the delivered values that test the door.

``ACCEPTED``: awkward values staging can type (each with the value staging makes of it);
``REFUSED``: values staging cannot type or the spec does not allow, each with the landing
check's message. The landing tests and the raw-to-dbt test share them, so both judge one list.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import yaml

from accrete.spec import DatasetSpec, load_spec

SPEC = {
    "name": "shop",
    "description": "Sales of a shop (test data).",
    "source": "written by the tests",
    "licence": "CC0",
    "landing": {"pattern": "sales-*.csv"},
    "format": {"kind": "csv", "header": True, "missing_tokens": ["", "NA"]},
    "columns": {
        "units": {"type": "numerical", "integer": True},
        "price": {"type": "numerical", "min": 0, "max": 1000},
        "sold_at": {"type": "datetime"},
        "day": {"type": "datetime", "datetime_format": "%d/%m/%Y"},
        "member": {"type": "boolean"},
        "plan": {"type": "categorical", "categories": ["gold", "silver"], "aliases": {"GOLD": "gold"}},
    },
    "imputation": {"columns": ["price"]},
    "synthetic": {"rows": 10},
}
HEADER = ",".join(SPEC["columns"])
GOOD = {
    "units": "3",
    "price": "9.5",
    "sold_at": "2024-01-05 10:00:00",
    "day": "05/01/2024",
    "member": "yes",
    "plan": "gold",
}

ACCEPTED = [
    ("units", "9223372036854775807", 9223372036854775807),
    ("units", "-9223372036854775808", -9223372036854775808),
    ("units", "1e3", 1000),
    ("units", "7.0", 7),
    ("units", "\t42\u00a0", 42),
    ("price", "1e2", 100.0),
    ("price", "NA", None),
    ("sold_at", "2024-01-05T10:00:00Z", datetime(2024, 1, 5, 10)),
    ("sold_at", "2024-01-05", datetime(2024, 1, 5)),
    ("day", " 31/12/2023", datetime(2023, 12, 31)),
    ("member", "YES", True),
    ("member", "F", False),
    ("plan", "\tgold", "gold"),
    ("plan", "\u00a0silver\u3000", "silver"),
    ("plan", "\ufeffGOLD", "gold"),
]
"""(column, delivered value, the value staging makes of it)"""

REFUSED = [
    ("units", "1e20", "cannot be read as an integer"),
    ("units", "9223372036854775808", "cannot be read as an integer"),
    ("units", "41.5", "cannot be read as an integer"),
    ("units", "0x10", "cannot be read as an integer"),
    ("price", "nan", "cannot be read as a number (finite"),
    ("price", "-inf", "cannot be read as a number (finite"),
    ("price", "1e400", "cannot be read as a number (finite"),
    ("sold_at", "01/02/2024", "cannot be read as a datetime (ISO 8601"),
    ("sold_at", "Jan 5 2024", "cannot be read as a datetime (ISO 8601"),
    ("day", "2024-01-05", "cannot be read as a datetime in the format '%d/%m/%Y'"),
    ("member", "maybe", "cannot be read as true/false"),
    ("member", "2", "cannot be read as true/false"),
    ("plan", "platinum", "values are unknown categories"),
    ("plan", "gold\u200b", "values are unknown categories"),  # a zero-width space is not blank
    ("price", "1000.5", r"outside its range [0, 1000]"),
    ("price", "-0.5", r"outside its range [0, 1000]"),
]
"""(column, delivered value, what the landing check says of it)"""

CAST_REFUSALS = [case for case in REFUSED if "cannot be read" in case[2]]
"""The refused values staging itself cannot type (the others it types, and the spec refuses)."""


def row(**values: str) -> str:
    return ",".join({**GOOD, **values}.values())


def write_spec(folder: Path, **overrides) -> DatasetSpec:
    path = folder / "datasets" / "shop" / "spec.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({**SPEC, **overrides}, sort_keys=False, allow_unicode=True))
    return load_spec(path)


def deliver(landing: Path, name: str, lines: list[str]) -> Path:
    folder = landing / "shop"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.csv"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path
