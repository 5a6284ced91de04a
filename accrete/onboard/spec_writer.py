"""A drafted spec as the YAML file a user edits: every guess with a comment saying why.

The file opens with what to edit (the target, the sensitive attributes, what the data is), then
the spec in the order of ``datasets/adult/spec.yaml``: one line per column where it fits, each
preceded by its reasons and by what the whole-file check changed, and the business rules found
in the file's rows (``accrete.rules.discovery``), each preceded by its evidence (``rules_lines``,
which ``accrete rules`` prints too). Values are written by PyYAML's flow style, so anything YAML
would misread (``'*.csv.gz'``, ``'yes'``, ``'<=50K'``) is quoted.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import Any

import yaml

from accrete.generator.autoregressive.settings import SETTINGS
from accrete.onboard.column_guess import rows_text
from accrete.onboard.draft_spec import DraftColumn, SpecDraft
from accrete.rules.discovery import RuleProposal

WIDTH = 110
BACKEND = "autoregressive"
SYNTHETIC_ROWS = 10_000
"""The synthetic rows a draft asks for: as many as the file has rows, at most this."""


def _flow(value: Any) -> str:
    """``value`` as one line of YAML flow style."""
    text = yaml.safe_dump(
        [value], default_flow_style=True, width=float("inf"), allow_unicode=True, sort_keys=False
    )
    return text[1:-2]


def _comment(text: str, indent: str = "") -> list[str]:
    return textwrap.wrap(
        text, WIDTH, initial_indent=f"{indent}# ", subsequent_indent=f"{indent}#   ", break_on_hyphens=False
    )


def _column_lines(column: DraftColumn) -> list[str]:
    entry = column.guess.entry | ({"source": column.source} if column.source else {})
    reasons = list(column.guess.reasons)
    if column.missing and column.guess.type != "identifier":
        reasons.append(f"{rows_text(column.missing)} without a value: listed in imputation.columns")
    reasons += [f"whole file: {change}" for change in column.changes]
    lines = _comment("; ".join(reasons), "  ")
    line = f"  {_flow(column.key)}: {_flow(entry)}"
    if len(line) <= WIDTH:
        return [*lines, line]
    return [
        *lines,
        f"  {_flow(column.key)}:",
        *(f"    {field}: {_flow(value)}" for field, value in entry.items()),
    ]


def _exceptions_text(proposal: RuleProposal) -> str:
    """How many rows break a rule and a few of them; the share rounded down, never to 100%."""
    shown = "; ".join(_flow(example) for example in proposal.examples)
    return (
        f"{proposal.exceptions:,} row{'s break' if proposal.exceptions > 1 else ' breaks'} it "
        f"(it holds in {math.floor(proposal.share * 10_000) / 100:.2f}% of the rows it judges), e.g. {shown}"
    )


def _rule_lines(proposal: RuleProposal) -> list[str]:
    """One proposed rule under its evidence (and its exceptions, if any): one line where it fits."""
    dumped = proposal.rule.model_dump(exclude_defaults=True)
    entry = {"name": dumped.pop("name"), "kind": dumped.pop("kind"), **dumped}
    lines = _comment(proposal.evidence, "  ")
    if proposal.exceptions:
        lines += _comment(_exceptions_text(proposal), "  ")
    line = f"  - {_flow(entry)}"
    if len(line) <= WIDTH:
        return [*lines, line]
    fields = [f"{field}: {_flow(value)}" for field, value in entry.items()]
    return [*lines, f"  - {fields[0]}", *(f"    {field}" for field in fields[1:])]


def rules_lines(proposals: Sequence[RuleProposal]) -> list[str]:
    """The ``rules:`` section of a spec: each proposed rule under its evidence."""
    if not proposals:
        return ["rules: []"]
    return ["rules:", *(line for proposal in proposals for line in _rule_lines(proposal))]


def _header(draft: SpecDraft, rules: Sequence[RuleProposal]) -> list[str]:
    file = draft.layout.path.name
    checked = (
        f"guessed on its first {draft.sampled_rows:,} rows and checked on all {draft.rows:,}"
        if draft.rows > draft.sampled_rows
        else f"guessed on all {draft.rows:,} rows"
    )
    lines = _comment(
        f"Drafted by `accrete init` from {file} ({draft.rows:,} rows x {len(draft.columns)} columns), "
        f"{checked}; the comment above each guess says why."
    )
    return [
        *lines,
        "# EDIT before the first run:",
        "#   target:    the column a model trained on synthetic rows must predict (the utility gate)",
        "#   sensitive: the columns whose groups must keep their share of synthetic rows (the representation gate)",
        "#   description, source, licence: what one row is, where the file came from, under which licence",
        "# then check the other guesses, above all the identifiers (dropped before training) and the bounds.",
        *(
            [
                "# rules: proposals found in every row of the file, each under its evidence: keep the business",
                "#   rules, delete the coincidences (a rule kept is enforced on every real and synthetic row).",
            ]
            if rules
            else []
        ),
    ]


def _dataset_lines(draft: SpecDraft) -> list[str]:
    file = draft.layout.path.name
    lines = [
        f"name: {draft.name}",
        f"description: {_flow(f'Drafted by accrete init from {file} ({draft.rows:,} rows x {len(draft.columns)} columns)')}",
        f"source: {_flow(file)}",
        "licence: unknown",
        "",
        *_comment(f"every file in landing/{draft.name}/ named like {draft.landing_pattern} is one batch"),
        "landing:",
        f"  pattern: {_flow(draft.landing_pattern)}",
    ]
    if draft.delivered_by_day:
        day = file.split(".")[0]
        lines += _comment(
            f"the file is named after a day: if one file arrives per day, replace landing with partitions: "
            f"{{start: {day}, end: <the last day>, file_name: {_flow(file.replace(day, '{date}'))}}}"
        )
    return lines


def _format_lines(draft: SpecDraft) -> list[str]:
    layout = draft.layout
    tokens = "; ".join(f"{token!r}: {why}" for token, why in draft.missing_tokens.items())
    if layout.kind == "parquet":
        return [
            "format:",
            *_comment("Parquet: the file starts with PAR1", "  "),
            "  kind: parquet",
            *_comment(f"missing values: {tokens}", "  "),
            f"  missing_tokens: {_flow(list(draft.missing_tokens))}",
        ]
    return [
        "format:",
        "  kind: csv",
        *_comment(layout.reasons["separator"], "  "),
        f"  separator: {_flow(layout.separator)}",
        *_comment(layout.reasons["header"], "  "),
        f"  header: {_flow(layout.header)}",
        *_comment(f"missing values: {tokens}", "  "),
        f"  missing_tokens: {_flow(list(draft.missing_tokens))}",
    ]


def _roles_lines(draft: SpecDraft) -> list[str]:
    candidates = ", ".join(
        key if key == word else f"{key} ({word})" for key, word in draft.sensitive_candidates.items()
    )
    return [
        *_comment(draft.record_key.reason),
        "record_key: []",
        *_comment(
            "EDIT: the columns whose groups must keep their share of synthetic rows; "
            + (f"candidates by name: {candidates}" if candidates else "no column is named like one")
        ),
        "sensitive: []",
        *_comment(
            "EDIT: the column a model trained on synthetic rows must predict, scored on real rows it never "
            "saw (the utility gate); null: no utility gate"
        ),
        "target: null",
    ]


def _generation_lines(draft: SpecDraft) -> list[str]:
    rows = min(draft.rows, SYNTHETIC_ROWS)
    return [
        "",
        *_comment(
            "columns with missing values: each filled with its median or mode (within groups of "
            "group_by, e.g. [sex, education]) and flagged in <column>_was_missing"
        ),
        "imputation:",
        f"  columns: {_flow(draft.imputation)}",
        "  group_by: []",
        "",
        *_comment(f"{BACKEND}: Accrete's own generator; gaussian_copula, tvae and ctgan are SDV's baselines"),
        "generator:",
        f"  backend: {BACKEND}",
        *_comment(
            "no time budget: early stopping alone ends training, so the same rows train the same model on "
            f"any machine (the default budget, {SETTINGS['max_seconds'][0]:g} s, stops it by the clock, "
            "sooner on a busy one)",
            "  ",
        ),
        "  settings: {max_seconds: null}",
        "  seed: 0",
        "",
        *_comment(f"rows per synthetic generation: as many as the file has, at most {SYNTHETIC_ROWS:,}"),
        "synthetic:",
        f"  rows: {rows}",
    ]


def spec_text(draft: SpecDraft, rules: Sequence[RuleProposal] = ()) -> str:
    """The draft as a commented spec file, with the proposed ``rules`` when there are any."""
    lines = [
        *_header(draft, rules),
        *_dataset_lines(draft),
        *_format_lines(draft),
        "",
        "columns:",
        *(line for column in draft.columns for line in _column_lines(column)),
        "",
        *_roles_lines(draft),
        *(["", *rules_lines(rules)] if rules else []),
        *_generation_lines(draft),
    ]
    return "\n".join(lines) + "\n"
