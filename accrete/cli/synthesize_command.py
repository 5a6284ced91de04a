"""``accrete synthesize``: a spec's generator fitted on a file, its sampled rows written to a file.

What the pipeline's generator and synthetic assets do, without Dagster, landing or dbt
(``accrete.synthesize``): the spec's backend, settings, business rules, conditions, rebalancing
and fairness, on the rows of a CSV or Parquet file. The output (CSV or Parquet, by its suffix) is
written whole once every row is drawn, or not at all; bad input is refused before the fit.
"""

from __future__ import annotations

from pathlib import Path

import click
import duckdb
import pandas as pd

from accrete.cli.atomic_files import write_atomically
from accrete.generator.base import GeneratorError
from accrete.generator.privacy_budget import privacy_statement
from accrete.spec import SpecError, load_spec
from accrete.synthesize import fit_and_sample
from accrete.table_files import TableFileError


def _write_parquet(rows: pd.DataFrame, path: Path) -> None:
    with duckdb.connect() as connection:  # DuckDB writes Parquet itself: no pyarrow needed
        connection.register("synthetic_rows", rows)
        connection.execute("copy synthetic_rows to ? (format parquet)", [str(path)])


WRITERS = {
    ".csv": lambda rows, path: rows.to_csv(path, index=False),
    ".parquet": _write_parquet,
}
"""Output suffix -> writer: the file types ``accrete validate`` reads back (``table_files.READERS``)."""

FILE = click.Path(path_type=Path, dir_okay=False)


@click.command()
@click.option("--spec", "spec_path", type=FILE, required=True, help="The dataset spec (spec.yaml).")
@click.option(
    "--data", "data_path", type=FILE, required=True, help="Real rows to learn from (CSV or Parquet)."
)
@click.option("--rows", type=click.IntRange(min=1), required=True, help="How many rows to sample.")
@click.option("--out", "out_path", type=FILE, required=True, help="Where to write them (.csv or .parquet).")
@click.option(
    "--seed", type=int, help="Seed of the fit and the sampling  [default: the spec's generator.seed]"
)
def synthesize(spec_path: Path, data_path: Path, rows: int, out_path: Path, seed: int | None) -> None:
    """Fit the spec's generator on --data and write --rows synthetic rows of its columns to --out."""
    write = WRITERS.get(out_path.suffix.lower())
    if write is None:
        raise click.UsageError(
            f"{out_path}: unknown output type {out_path.suffix!r}; use {' or '.join(WRITERS)}"
        )
    try:
        spec = load_spec(spec_path)
        click.echo(f"Fitting {spec.generator.backend} ({spec.name} spec) on {data_path} ...")
        made = fit_and_sample(spec, data_path, rows, seed)
    except (SpecError, TableFileError, GeneratorError) as error:
        raise click.UsageError(str(error)) from error
    write_atomically(out_path, lambda temporary: write(made.rows, temporary))
    click.echo(
        f"{len(made.rows):,} rows of {made.rows.shape[1]} columns; fit on {made.fit.rows:,} rows "
        f"in {made.fit.seconds:.1f} s on {made.fit.device}"
    )
    click.echo(f"Generator {privacy_statement(made.fit.extra.get('privacy'))}")
    for rule, count in made.redrawn.items():
        click.echo(f"  rule {rule} kept: {count:,} row(s) redrawn")
    click.echo(f"Wrote {out_path}")
