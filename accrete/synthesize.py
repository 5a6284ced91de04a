"""A spec's generator on a user's file, without Dagster: fit on the file, sample, type the rows.

The same steps as the pipeline's generator and synthetic assets, on rows read from a CSV or Parquet
file instead of the warehouse: the file is read as ``accrete validate`` reads it
(``read_training_table``: the spec's column types, missing-value flags derived), the spec's backend
is fitted under the spec's business rules (``rule_bound_generator``), and rows are drawn as the
pipeline draws them (``draw_rows_keeping_rules``: the spec's conditions, rebalancing and fairness,
rule breakers drawn again), then typed like the training table (``conform_to_schema``). No landing
folder, dbt or holdout is involved: the generator learns from every row of the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from accrete.generator.base import FitReport, GeneratorBackend, GeneratorError
from accrete.rules.rule_bound import rule_bound_generator
from accrete.spec import DatasetSpec
from accrete.synthetic.sample import conform_to_schema, draw_rows_keeping_rules
from accrete.table_files import read_training_table


@dataclass(frozen=True)
class Synthesis:
    """What one fit-and-sample made."""

    rows: pd.DataFrame
    """The sampled rows: the spec's training columns (``spec.training_schema``), typed like them."""
    fit: FitReport
    redrawn: dict[str, int]
    """Per business rule, how many sampled rows broke it and were drawn again (empty without rules)."""
    generator: GeneratorBackend
    """The fitted generator (under the spec's rules), to draw more rows from."""


def fit_and_sample(spec: DatasetSpec, data: Path | str, rows: int, seed: int | None = None) -> Synthesis:
    """Fit ``spec``'s generator on the file ``data`` and sample ``rows`` rows as the spec asks.

    ``seed`` seeds both the fit and the sampling (None: the spec's ``generator.seed``); the same
    seed gives the same rows unless the fit is cut short by its time budget (``max_seconds``) or
    trains under ``generator.privacy`` (whose noise is secret, never drawn from the seed).
    TableFileError: the file cannot be read as the spec describes it. GeneratorError: fewer than
    one row asked for, or a generator that cannot fit or honour the spec (a bad setting, an
    impossible condition).
    """
    if rows < 1:
        raise GeneratorError(f"rows must be at least 1, got {rows}")
    seed = spec.generator.seed if seed is None else seed
    training, _ = read_training_table(Path(data), spec)
    schema = spec.training_schema
    generator = rule_bound_generator(
        spec.generator.backend, schema, spec.sampling_rules, spec.generator.backend_settings, seed
    )
    report = generator.fit(training[schema.names])
    asked = spec.synthetic.model_copy(update={"rows": rows})  # its conditions, rebalancing, fairness
    drawn, redrawn = draw_rows_keeping_rules(generator, asked, seed)
    return Synthesis(conform_to_schema(drawn, schema).reset_index(drop=True), report, redrawn, generator)


def synthesize(spec: DatasetSpec, data: Path | str, rows: int, seed: int | None = None) -> pd.DataFrame:
    """``rows`` synthetic rows of ``spec``'s training columns, from a generator fitted on the file
    ``data`` (CSV or Parquet); see ``fit_and_sample`` for the seed and the errors."""
    return fit_and_sample(spec, data, rows, seed).rows
