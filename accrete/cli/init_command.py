"""``accrete init FILE``: a first spec for a new dataset, drafted from one of its files.

The draft is guessed from a bounded sample of the file and checked on all of it
(``accrete.onboard.draft_spec``), given the business rules holding in every row of the file as
proposals (``accrete rules``' search, ``accrete.cli.rules_command``), written as a commented spec
(``accrete.onboard.spec_writer``) to ``<out>/<name>/spec.yaml``, and loaded back with ``load_spec``
before it replaces anything, so what is written is a spec the pipeline accepts. An existing spec is
kept unless ``--force``.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import click

from accrete.cli.rules_command import init_rules
from accrete.column_names import safe_column_name
from accrete.ingest.landing import LandingFileError
from accrete.onboard.draft_spec import SpecDraft, draft_spec
from accrete.onboard.file_layout import DraftError
from accrete.onboard.spec_writer import spec_text
from accrete.rules.discovery import RuleProposal
from accrete.spec import SpecError, load_spec

DATASET_NAME = re.compile(r"[a-z][a-z0-9_]*")
"""What ``DatasetSpec.name`` accepts."""


def default_name(path: Path) -> str:
    """The dataset name a file suggests: ``UCI_Credit_Card.csv.gz`` -> ``uci_credit_card``."""
    return safe_column_name(path.name.split(".")[0])


def write_checked_spec(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` only if it loads as a spec; otherwise leave ``path`` as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".yaml")
    try:
        with os.fdopen(handle, "w") as file:
            file.write(text)
        load_spec(Path(temporary))
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def summary_lines(draft: SpecDraft, path: Path, rules: list[RuleProposal]) -> list[str]:
    """What the command prints: the draft in numbers, what the whole file changed, what to edit."""
    types: dict[str, int] = {}
    for column in draft.columns:
        types[column.guess.type] = types.get(column.guess.type, 0) + 1
    checked = (
        f"guessed on the first {draft.sampled_rows:,} rows, checked on all {draft.rows:,}"
        if draft.rows > draft.sampled_rows
        else f"guessed on all {draft.rows:,} rows"
    )
    lines = [
        f"Drafted {path} from {draft.layout.path.name}: {draft.rows:,} rows x {len(draft.columns)} columns "
        f"({checked})",
        "  columns: " + ", ".join(f"{count} {kind}" for kind, count in sorted(types.items())),
        f"  imputed (missing values): {', '.join(draft.imputation) or 'none'}",
        f"  record key: {', '.join(draft.record_key.columns) or 'none'} suggested",
        f"  sensitive candidates: {', '.join(draft.sensitive_candidates) or 'none'}",
        f"  rules holding in every row: {', '.join(rule.rule.name for rule in rules) or 'none'} proposed",
    ]
    changes = draft.changes
    lines.append(
        f"The whole file changed {len(changes)} guess(es) made on the sample" + (":" if changes else "")
    )
    lines += [f"  - {change}" for change in changes]
    lines.append(
        f"Next: set target and sensitive in {path}, check the other guesses and rules, put the files in "
        f"landing/{draft.name}/ and run `make run DATASET={draft.name}`"
    )
    return lines


@click.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--name", help="The dataset's name (lower_snake_case); default: from the file name.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("datasets"),
    show_default=True,
    help="The folder of dataset specs: the draft goes to <out>/<name>/spec.yaml.",
)
@click.option("--force", is_flag=True, help="Replace an existing spec.")
def init(file: Path, name: str | None, out_dir: Path, force: bool) -> None:
    """Draft a dataset spec from a CSV (optionally gzipped) or Parquet file."""
    name = name or default_name(file)
    if not DATASET_NAME.fullmatch(name):
        raise click.UsageError(f"--name {name!r}: a dataset name is lower_snake_case (a-z, 0-9, '_')")
    target = out_dir / name / "spec.yaml"
    if target.exists() and not force:
        raise click.UsageError(f"{target} already exists: pass --force to replace it")
    try:
        draft = draft_spec(file, name)
        rules = init_rules(draft)
        write_checked_spec(target, spec_text(draft, rules))
    except (DraftError, SpecError, LandingFileError) as error:
        raise click.UsageError(str(error)) from error
    for line in summary_lines(draft, target, rules):
        click.echo(line)
