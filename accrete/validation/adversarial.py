"""The adversarial gallery: tables whose faults are known, built from real rows, each aimed at a gate.

A validator earns trust on tables built to fail it. From the real training rows and a set of
fresh real rows (real rows neither the generator nor the gates' holdout contain) each case
builds one "synthetic" table; fresh real rows themselves are the honest reference that must pass
every gate. Every other case names the gate that must catch it. Cases that change a fraction of
the rows replace that fraction of fresh rows, so the table keeps its size and everything else
about it stays honest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from accrete.spec import DatasetSpec

FRACTION = 0.05
"""Share of rows a mixing case (memorized rows, one repeated row) replaces."""
JITTER = 0.01
INFLATION = 3.0
OUT_OF_RANGE_FRACTION = 0.02
PLANTED_FRACTION = 0.01
PLANTED_ID = "48213"
PLANTED_PII = ("jane.doe@example.com", "+44 20 7946 0958", "4111 1111 1111 1111")


@dataclass(frozen=True)
class GalleryTables:
    """The real rows a gallery is built from, and the values of one identifier column."""

    spec: DatasetSpec
    train: pd.DataFrame
    holdout: pd.DataFrame
    fresh: pd.DataFrame
    """Real rows in neither ``train`` nor ``holdout``: what a perfect generator would emit."""
    identifier_values: dict[str, list[object]]


@dataclass(frozen=True)
class AdversarialCase:
    """One gallery table: what it is, the gate that must fail it (None: must pass every gate)."""

    name: str
    description: str
    caught_by: str | None
    build: Callable[[GalleryTables, np.random.Generator], pd.DataFrame]


def _replace_rows(fresh: pd.DataFrame, rows: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    table = fresh.copy()
    positions = rng.choice(len(table), size=len(rows), replace=False)
    table.iloc[positions] = rows.to_numpy()
    return table.astype(fresh.dtypes.to_dict())


def _numerical(tables: GalleryTables) -> list[str]:
    return [column.name for column in tables.spec.training_schema.columns if column.kind == "numerical"]


def _categorical(tables: GalleryTables) -> list[str]:
    declared = tables.spec.modelled_columns
    return [
        column.name
        for column in tables.spec.training_schema.columns
        if column.kind == "categorical" and declared[column.name].categories
    ]


def _copy(tables: GalleryTables, rng: np.random.Generator) -> pd.DataFrame:
    rows = len(tables.fresh)
    return tables.train.sample(n=rows, replace=rows > len(tables.train), random_state=rng.integers(2**31))


def _jittered_copy(tables: GalleryTables, rng: np.random.Generator) -> pd.DataFrame:
    table = _copy(tables, rng).reset_index(drop=True)
    for name in _numerical(tables):
        values = table[name].astype("float64")
        table[name] = values * (1 + rng.uniform(-JITTER, JITTER, len(table)))
    return table


def _memorized(tables: GalleryTables, rng: np.random.Generator) -> pd.DataFrame:
    count = int(len(tables.fresh) * FRACTION)
    return _replace_rows(tables.fresh, tables.train.sample(n=count, random_state=rng.integers(2**31)), rng)


def _repeated_row(tables: GalleryTables, rng: np.random.Generator) -> pd.DataFrame:
    count = int(len(tables.fresh) * FRACTION)
    row = tables.train.iloc[[int(rng.integers(len(tables.train)))]]
    return _replace_rows(tables.fresh, pd.concat([row] * count), rng)


def _marginals_only(tables: GalleryTables, rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame({name: rng.permutation(values.to_numpy()) for name, values in tables.fresh.items()})


def _group_counts(tables: GalleryTables) -> tuple[str, pd.Series]:
    attribute = tables.spec.sensitive[0]
    return attribute, tables.fresh[attribute].value_counts(normalize=True)


def _group_removed(tables: GalleryTables, rng: np.random.Generator) -> pd.DataFrame:
    """The largest minority group of the first sensitive attribute is missing."""
    attribute, shares = _group_counts(tables)
    return tables.fresh[tables.fresh[attribute] != shares.index[1]].reset_index(drop=True)


def _group_inflated(tables: GalleryTables, rng: np.random.Generator) -> pd.DataFrame:
    """The smallest group above 1% of the first sensitive attribute at ``INFLATION`` times its share."""
    attribute, shares = _group_counts(tables)
    group = shares[shares >= 0.01].index[-1]
    members = tables.fresh[tables.fresh[attribute] == group]
    extra = int(len(tables.fresh) * shares[group] * (INFLATION - 1))
    return _replace_rows(
        tables.fresh, members.sample(n=extra, replace=True, random_state=rng.integers(2**31)), rng
    )


def _planted_identifiers(tables: GalleryTables, rng: np.random.Generator) -> pd.DataFrame:
    """A real record number and PII-shaped strings planted in the first categorical column."""
    table = tables.fresh.copy()
    column = _categorical(tables)[0]
    table[column] = table[column].astype("object")
    for value in (PLANTED_ID, *PLANTED_PII):
        positions = rng.choice(len(table), size=int(len(table) * PLANTED_FRACTION), replace=False)
        table.iloc[positions, table.columns.get_loc(column)] = value
    return table


def _out_of_domain(tables: GalleryTables, rng: np.random.Generator) -> pd.DataFrame:
    """Numbers at twice their real maximum and a category the data never had."""
    table = tables.fresh.copy()
    number, category = _numerical(tables)[0], _categorical(tables)[0]
    count = int(len(table) * OUT_OF_RANGE_FRACTION)
    table.loc[rng.choice(len(table), size=count, replace=False), number] = 2 * tables.train[number].max()
    table[category] = table[category].astype("object")
    table.loc[rng.choice(len(table), size=count, replace=False), category] = "(never seen)"
    return table


def _fresh(tables: GalleryTables, rng: np.random.Generator) -> pd.DataFrame:
    return tables.fresh.copy()


GALLERY: tuple[AdversarialCase, ...] = (
    AdversarialCase("a", "fresh real rows (never trained on)", None, _fresh),
    AdversarialCase("b", "verbatim copy of training rows", "exact_copies", _copy),
    AdversarialCase("c", "copy with 1% jitter on numbers", "distance_to_closest_record", _jittered_copy),
    AdversarialCase(
        "d", "fresh rows with 5% training rows mixed in", "distance_to_closest_record", _memorized
    ),
    AdversarialCase("e", "one training row repeated as 5% of the table", "exact_copies", _repeated_row),
    AdversarialCase("f", "each column sampled independently", "detection", _marginals_only),
    AdversarialCase("g", "one sensitive group removed", "representation", _group_removed),
    AdversarialCase("h", "one group inflated to 3x its share", "representation", _group_inflated),
    AdversarialCase(
        "i", "planted record number, email, phone, card", "identifier_leakage", _planted_identifiers
    ),
    AdversarialCase("j", "out-of-range numbers, unknown categories", "value_ranges", _out_of_domain),
)
"""Every case, honest reference first."""


def build_case(case: AdversarialCase, tables: GalleryTables, seed: int = 0) -> pd.DataFrame:
    """The case's table, reproducibly for ``seed``."""
    return case.build(tables, np.random.default_rng(seed)).reset_index(drop=True)
