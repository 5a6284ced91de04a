"""``accrete rules FILE|DATASET``: the business rules a table's rows obey, proposed for its spec.

A FILE is read under ``--spec``, or without one under the spec ``accrete init`` would draft from it;
a DATASET (a folder of ``--datasets``) under its own spec, from its replay history when it has one
(the bundled flights year), else from its files in ``--landing``. Rows are read as the landing
check reads them (the spec's column keys, trimmed values, missing-value tokens, aliases) and typed
as staging types them. The rules found (``accrete.rules.discovery``) are printed as the ``rules:``
section of a spec, each under its evidence and, below 100%, its exceptions; the summary follows as
comments, so the whole output is YAML.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import click
import duckdb
import pandas as pd
import yaml

from accrete.ingest.landing import (
    LandingFile,
    LandingFileError,
    batch_of,
    file_sha256,
    find_landing_files,
    read_landing_file,
)
from accrete.onboard.draft_spec import SpecDraft, draft_spec
from accrete.onboard.file_layout import DraftError
from accrete.onboard.spec_writer import rules_lines, spec_text
from accrete.rules.discovery import SEARCH_ROWS, RuleProposal, propose_rules
from accrete.spec import DatasetSpec, SpecError, load_spec
from accrete.value_casts import read_values
from accrete.warehouse import quote_identifier

MIN_ROWS = 2


class RulesInputError(ValueError):
    """Rows no rule can be proposed from; the message names the source and the problem."""


def drafted_spec(draft: SpecDraft) -> DatasetSpec:
    """The spec ``accrete init`` writes for ``draft``, as the pipeline loads it."""
    return DatasetSpec.model_validate(yaml.safe_load(spec_text(draft)))


def _typed(text: pd.DataFrame, spec: DatasetSpec) -> pd.DataFrame:
    return read_values(text[list(spec.columns)].reset_index(drop=True), spec)[1]


def file_rows(paths: list[Path], spec: DatasetSpec) -> pd.DataFrame:
    """The rows of delivered files, checked and keyed as landing reads them, typed as staging types them."""
    batches = [
        read_landing_file(LandingFile(path=path, sha256=file_sha256(path), batch=batch_of(spec, path)), spec)
        for path in paths
    ]
    return _typed(pd.concat([batch.rows for batch in batches], ignore_index=True), spec)


def replay_rows(source: Path, spec: DatasetSpec) -> pd.DataFrame:
    """Every row of a daily dataset's replay history (Parquet, under the delivered headers), typed."""
    columns = ", ".join(
        f"cast({quote_identifier(header)} as varchar) as {quote_identifier(key)}"
        for key, header in spec.delivered_headers.items()
    )
    try:
        with duckdb.connect() as connection:
            text = connection.execute(f"select {columns} from read_parquet(?)", [str(source)]).df()
    except duckdb.Error as error:
        raise RulesInputError(f"{source}: the replay history cannot be read: {error}") from error
    return _typed(text, spec)


def dataset_rows(name: str, datasets: Path, landing: Path) -> tuple[pd.DataFrame, DatasetSpec, str]:
    """A bundled dataset's rows under its spec, and where they came from."""
    spec = load_spec(datasets / name / "spec.yaml")
    replay = spec.partitions.replay if spec.partitions else None
    if replay is not None and (datasets / name / replay.source).is_file():
        source = datasets / name / replay.source
        return replay_rows(source, spec), spec, str(source)
    paths = [landing_file.path for landing_file in find_landing_files(spec, landing)]
    return file_rows(paths, spec), spec, ", ".join(str(path) for path in paths)


def proposals_for(
    rows: pd.DataFrame, spec: DatasetSpec, min_share: float, sample_rows: int, source: str
) -> list[RuleProposal]:
    """The rules ``rows`` obey under ``spec``'s column types (its record key's repeats judged once)."""
    if len(rows) < MIN_ROWS:
        raise RulesInputError(f"{source}: {len(rows)} row(s): rules are found in at least {MIN_ROWS} rows")
    types = {name: column.type for name, column in spec.columns.items()}
    return propose_rules(
        rows, types, min_share=min_share, record_key=spec.record_key, search_rows=sample_rows
    )


def init_rules(draft: SpecDraft) -> list[RuleProposal]:
    """The rules holding in every row of the file ``draft`` was made from: what ``accrete init`` proposes."""
    spec = drafted_spec(draft)
    rows = file_rows([draft.layout.path], spec)
    return (
        proposals_for(rows, spec, 1.0, SEARCH_ROWS, str(draft.layout.path)) if len(rows) >= MIN_ROWS else []
    )


def _known_datasets(datasets: Path) -> str:
    names = sorted(path.parent.name for path in datasets.glob("*/spec.yaml"))
    return ", ".join(names) or "none"


def summary_lines(
    proposals: list[RuleProposal],
    rows: pd.DataFrame,
    source: str,
    min_share: float,
    sample_rows: int,
    seconds: float,
) -> list[str]:
    """What the command found, as YAML comments: counts by kind, the rules below 100%, constant columns."""
    kinds = Counter(proposal.rule.kind for proposal in proposals)
    searched = f"searched on {sample_rows:,} sampled rows, " if len(rows) > sample_rows else ""
    lines = [
        f"{len(proposals)} rule(s) found in {source} ({len(rows):,} rows x {rows.shape[1]} columns; "
        f"{searched}each checked on every row) in {seconds:.1f} s"
        + (": " + ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items())) if kinds else ""),
    ]
    partial = [proposal for proposal in proposals if proposal.exceptions]
    if partial:
        lines.append(
            f"{len(partial)} hold(s) in at least {min_share:.2%} of the rows but not all (--min-share): "
            + ", ".join(f"{p.rule.name} ({p.exceptions:,} exceptions)" for p in partial)
        )
    constant = [name for name in rows.columns if rows[name].nunique() == 1]
    if constant:
        lines.append(
            f"constant in these rows: {', '.join(constant)}; rules found may hold only while they are"
        )
    lines.append(
        "not searched: reference rules (they need a reference table); the record key is unique by itself"
    )
    return [f"# {line}" for line in lines]


@click.command()
@click.argument("source", metavar="FILE|DATASET")
@click.option(
    "--spec",
    "spec_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The spec a FILE's columns follow; default: the spec `accrete init` would draft from it.",
)
@click.option(
    "--min-share",
    type=click.FloatRange(0, 1, min_open=True),
    default=1.0,
    show_default=True,
    help="Propose rules holding in at least this share of the rows they judge.",
)
@click.option(
    "--sample-rows",
    type=click.IntRange(min=MIN_ROWS),
    default=SEARCH_ROWS,
    show_default=True,
    help="Rows of the random sample rules are searched on (each found rule is checked on every row).",
)
@click.option(
    "--datasets",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("datasets"),
    envvar="ACCRETE_DATASETS",
    show_default=True,
    help="The folder of dataset specs a DATASET is looked up in.",
)
@click.option(
    "--landing",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("landing"),
    envvar="ACCRETE_LANDING",
    show_default=True,
    help="The landing root holding a DATASET's files (<landing>/<dataset>/).",
)
def rules(
    source: str, spec_path: Path | None, min_share: float, sample_rows: int, datasets: Path, landing: Path
) -> None:
    """Propose the business rules the rows of a file (CSV, gzipped CSV, Parquet) or a dataset obey."""
    started = time.monotonic()
    path = Path(source)
    named_like_a_file = bool(path.suffix) or len(path.parts) > 1 or spec_path is not None
    try:
        if path.is_file():
            spec = load_spec(spec_path) if spec_path else drafted_spec(draft_spec(path, "drafted"))
            rows, where = file_rows([path], spec), str(path)
        elif named_like_a_file:
            raise RulesInputError(f"{source}: file not found")
        elif not (datasets / source / "spec.yaml").is_file():
            raise RulesInputError(
                f"{source!r} is neither a file nor a dataset: no {datasets / source / 'spec.yaml'} "
                f"(datasets in {datasets}: {_known_datasets(datasets)})"
            )
        else:
            rows, spec, where = dataset_rows(source, datasets, landing)
        proposals = proposals_for(rows, spec, min_share, sample_rows, where)
    except (RulesInputError, DraftError, SpecError, LandingFileError) as error:
        raise click.UsageError(str(error)) from error
    for line in rules_lines(proposals):
        click.echo(line)
    for line in summary_lines(proposals, rows, where, min_share, sample_rows, time.monotonic() - started):
        click.echo(line)
