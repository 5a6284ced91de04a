"""A column's drafted spec entry, guessed from its profile, with the reason for every guess.

In order: an identifier hint (from the name or the values, ``column_roles``) makes it an
identifier; a column without any value is declared empty (``all_null: drop``); a column whose values are all one true and one false token is boolean; all numbers
(none written with a leading zero, as codes are) is numerical, integer when every value is a whole
number, bounded by the observed minimum and maximum; all parsed by one ``DATETIME_FORMATS``
format is datetime; anything else is categorical, with its categories listed when there are at
most ``CATEGORY_LIMIT`` and each occurs at least twice on average. A text column whose value
differs in every row (of at least ``MIN_UNIQUE_ROWS``) is an identifier, and so is an integer
column that does so within a range of less than twice the rows (a running number); a sparse
unique integer (a weight, an amount) stays a number, with a comment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from accrete.onboard.column_profile import ColumnProfile

CATEGORY_LIMIT = 50
CODE_LIMIT = 12
"""An integer column with at most this many distinct values may hold codes: the comment says so."""
MIN_UNIQUE_ROWS = 20
NEARLY_ALL = 0.9
DATETIME_FORMATS = (
    *("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M"),
    *("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S.%fZ"),
    *("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S%z", "%Y/%m/%d", "%Y/%m/%d %H:%M:%S"),
    *("%d/%m/%Y", "%m/%d/%Y", "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%m/%d/%Y %H:%M:%S"),
    *("%d.%m.%Y", "%d.%m.%Y %H:%M", "%d-%m-%Y", "%m-%d-%Y", "%d %b %Y", "%d-%b-%Y", "%b %d %Y"),
)
"""strptime formats tried on text columns, most common first; the first that parses every value wins."""


@dataclass(frozen=True)
class ColumnGuess:
    """A drafted column: its spec entry (``ColumnSpec`` fields) and one reason per guess."""

    entry: dict[str, Any]
    reasons: tuple[str, ...]

    @property
    def type(self) -> str:
        return self.entry["type"]


def plain_number(value: float) -> int | float:
    """A measured bound as the spec writes it: ``10000`` rather than ``10000.0``."""
    return int(value) if float(value).is_integer() else value


def shown(value: float) -> str:
    """A number as a reader reads it: ``1,000,000``, ``2013``, ``0.25``."""
    grouping = "," if abs(value) >= 10_000 else ""
    return f"{plain_number(value):{grouping}}" if float(value).is_integer() else f"{value:{grouping}.10g}"


def rows_text(count: int) -> str:
    """``1 row``, ``2,500 rows``."""
    return f"{count:,} row{'' if count == 1 else 's'}"


def _numerical(profile: ColumnProfile) -> ColumnGuess:
    present = profile.present
    entry: dict[str, Any] = {"type": "numerical"}
    if profile.whole_numbers == present:
        entry["integer"] = True
        reasons = [f"numerical, integer: all {present:,} values are whole numbers"]
    else:
        example = profile.examples.get("not_whole")
        reasons = [f"numerical: all {present:,} values are numbers, not all whole (e.g. {example!r})"]
    entry["min"], entry["max"] = plain_number(profile.minimum), plain_number(profile.maximum)
    reasons.append(
        f"min/max: the observed range, {shown(profile.minimum)} to {shown(profile.maximum)} (later files must "
        "stay within it: widen it if they may not)"
    )
    if profile.distinct == 1:
        reasons.append("every row holds the same value: it tells rows apart only if later files vary")
    elif entry.get("integer") and profile.distinct <= CODE_LIMIT:
        reasons.append(
            f"only {profile.distinct} distinct values: if they are codes, not quantities, make it categorical"
        )
    return ColumnGuess(entry, tuple(reasons))


def _categorical(profile: ColumnProfile) -> ColumnGuess:
    present, distinct = profile.present, profile.distinct
    entry: dict[str, Any] = {"type": "categorical"}
    if distinct <= CATEGORY_LIMIT and present >= 2 * distinct:
        entry["categories"] = sorted(value for value, _ in profile.top_values)
        reasons = [f"categorical: {distinct} distinct values, listed as the only ones later files may hold"]
    else:
        reasons = [f"categorical: {distinct:,} distinct values, too many to list (any value is accepted)"]
    if profile.numbers == present:
        example = profile.examples["leading_zero"]
        reasons.append(f"text, not numbers: values such as {example!r} start with 0, as codes do")
    elif profile.numbers >= NEARLY_ALL * present:
        example = profile.examples["not_a_number"]
        reasons.append(
            f"{present - profile.numbers:,} of {present:,} values are not numbers (e.g. {example!r}): if they "
            "mean missing, add them to format.missing_tokens and make the column numerical"
        )
    return ColumnGuess(entry, tuple(reasons))


def _value_guess(profile: ColumnProfile, datetime_formats: Sequence[str]) -> ColumnGuess:
    present = profile.present
    if profile.booleans == present and len(profile.true_tokens) == len(profile.false_tokens) == 1:
        true, false = profile.true_tokens[0], profile.false_tokens[0]
        case = " (in any case)" if true.isalpha() else ""
        return ColumnGuess({"type": "boolean"}, (f"boolean: every value is {true!r} or {false!r}{case}",))
    if profile.numbers == present and "leading_zero" not in profile.examples:
        return _numerical(profile)
    parsing = [fmt for fmt in datetime_formats if profile.datetime_parses.get(fmt) == present]
    if parsing:
        reason = f"datetime: all {present:,} values parse as {parsing[0]!r}"
        if len(parsing) > 1:
            reason += f" (so do {', '.join(map(repr, parsing[1:]))}: check which is meant)"
        return ColumnGuess({"type": "datetime", "datetime_format": parsing[0]}, (reason,))
    return _categorical(profile)


def guess_column(
    profile: ColumnProfile, identifier_hint: str | None, datetime_formats: Sequence[str] = DATETIME_FORMATS
) -> ColumnGuess:
    """The column's entry and reasons; ``identifier_hint`` says why its name or values identify people."""
    if identifier_hint:
        return ColumnGuess(
            {"type": "identifier"}, (f"identifier: {identifier_hint}; dropped in staging, never trained on",)
        )
    if profile.present == 0:
        return ColumnGuess(
            {"type": "categorical", "all_null": "drop"},
            (
                "no row has a value: all_null: drop leaves it out after raw (keep: carried without values); "
                "once files fill it, remove the option and set its type",
            ),
        )
    guess = _value_guess(profile, datetime_formats)
    if not (profile.unique_per_row and profile.rows >= MIN_UNIQUE_ROWS):
        return guess
    differs = f"its value differs in every one of the {profile.rows:,} rows"
    running = guess.entry.get("integer") and profile.maximum - profile.minimum < 2 * profile.rows
    if guess.type == "categorical" or running:
        kind = ", a running number" if running else ""
        return ColumnGuess(
            {"type": "identifier"}, (f"identifier: {differs}{kind}; dropped in staging, never trained on",)
        )
    if guess.entry.get("integer"):
        return ColumnGuess(
            guess.entry, (*guess.reasons, f"{differs}: if it is a record number, make it an identifier")
        )
    return guess
