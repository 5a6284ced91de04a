"""Business rules a table's rows obey, found in the rows: what ``accrete rules`` and ``accrete init`` propose.

Candidates are searched on a random sample of at most ``search_rows`` rows and every proposal is
then verified on every row: its ``rows_checked`` and ``exceptions`` are the whole table's. A row
with a missing value in a rule's columns is not judged by it. A rule is proposed when it holds in
at least ``min_share`` of the rows it judges. Identifier columns are never used. The kinds found:

- ``formula``: a numerical column equal to ``a * x (+ b * y) (+ c)`` of one or two other numerical
  columns, with round coefficients (``ROUND_COEFFICIENTS``) and a constant of at most three
  decimals, on every judged row (within ``FORMULA_TOLERANCE`` of the value: exact for whole numbers);
- ``one_hot``: boolean columns named ``<prefix>_<something>`` of which exactly one is true;
- ``dependency``: a column determined by one or two low-cardinality columns (categorical, boolean,
  or whole numbers with at most ``MAX_CODE_VALUES`` values) whose combinations repeat, each
  ``MIN_GROUP_ROWS`` rows on average (so the determining columns are no key that determines
  anything); an exception is a row without its group's most frequent value. A datetime is never
  determined: it follows the calendar, which a lookup only memorizes (over the first days of
  flights, ``time_hour`` by ``[day, hour]`` holds only because month and year do not vary yet);
- ``combination``: two categorical or boolean columns seen in at most ``MAX_SEEN_SHARE`` of their
  possible combinations, where the unseen ones would hold ``MIN_UNSEEN_SHARE`` of the rows if
  the columns were independent (their absence is a rule, not a sparse sample); and a column
  nearly determined as above, with its determining columns (at least one categorical or boolean):
  when it has one value in all but a few of their combinations (``NEAR_EXTRA_COMBINATIONS``) and
  they explain nearly all of its variation (``NEAR_UNEXPLAINED``), it takes only the values seen
  with them (``[origin, dest, distance]`` over a year: two routes have two distances);
- ``inequality``: ``left op right`` between two numerical or two datetime columns whose central
  ranges (``CENTRAL_RANGE``: outliers left out) overlap on at least ``MIN_RANGE_OVERLAP`` of each
  (otherwise the ranges alone imply it: ``age >= education_num``).

No proposal is implied by another: a column is computed (formula or dependency) by at most one
rule and no computed column is read by another computing rule (what a spec accepts); a 1:1 pair
keeps one direction, the numerical column determined by the categorical one; a dependency on
one column is not repeated on two; a combination already kept by a dependency (its determining
columns, or a determined column with one of them), rules within one one-hot group, an inequality
between columns of one formula, and an inequality implied by two others (``a < b``, ``b < c``: not
``a < c``) are left out. References are not discovered (they need a reference table); uniqueness
is the record key's, whose repeated rows (a record delivered again) are judged once.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from accrete.rules.rule_spec import (
    LABEL_TYPES,
    RULE_KINDS,
    CombinationRule,
    DependencyRule,
    FormulaRule,
    InequalityRule,
    OneHotRule,
    Rule,
)
from accrete.rules.violations import FORMULA_TOLERANCE

SEARCH_ROWS = 20_000
"""Rows of the random sample candidates are searched on (all rows verify them)."""
SEARCH_SLACK = 0.005
"""Below ``min_share`` 1, a candidate may miss the share by this much on the sample."""
SCREEN_ROWS = 2_000
SCREEN_SLACK = 0.02
"""Dependencies are screened on the sample's first ``SCREEN_ROWS`` rows first, with this slack."""
MIN_GROUP_ROWS = 10
MAX_DETERMINANT_VALUES = 1_000
MAX_CODE_VALUES = 32
NEAR_EXTRA_COMBINATIONS = 0.05
"""A nearly determined column adds at most this share of combinations to its determining columns',"""
NEAR_UNEXPLAINED = 0.05
"""and at most this share of its rows without its most frequent value lack their combination's."""
MAX_SEEN_SHARE = 0.5
MIN_UNSEEN_SHARE = 0.05
MIN_RANGE_OVERLAP = 0.5
CENTRAL_RANGE = (0.05, 0.95)
"""The quantiles bounding the range of a column's values compared by ``MIN_RANGE_OVERLAP``."""
ROUND_COEFFICIENTS = np.array(
    sorted(
        sign * value
        for sign in (1, -1)
        for value in (*range(1, 13), 24, 60, 100, 1_000, 3_600, 10_000, 100_000, 1_000_000)
        + (0.5, 0.25, 0.1, 0.01, 0.001)
    )
)
FIT_ROWS = 24
FIT_TRIES = 3
"""A formula is fitted on up to this many random sets of ``FIT_ROWS`` rows (robust to exceptions)."""
EXAMPLES_SHOWN = 3
MODELLED_TYPES = ("numerical", "categorical", "boolean", "datetime")
OPERATOR_WORDS = {"<": "below", "<=": "at_most", ">": "above", ">=": "at_least"}


@dataclass(frozen=True)
class RuleProposal:
    """A rule found in a table, with what it rests on: the rows it judged (those with a value in
    each of its columns), the rows breaking it, a few of them, and one sentence of evidence."""

    rule: Rule
    rows_checked: int
    exceptions: int
    examples: tuple[dict[str, Any], ...]
    evidence: str

    @property
    def share(self) -> float:
        """The share of judged rows the rule holds in."""
        return 1.0 - self.exceptions / self.rows_checked


@dataclass(frozen=True)
class _Column:
    """One column as the search reads it."""

    name: str
    type: str
    position: int
    present: np.ndarray
    codes: np.ndarray
    """Factor codes, -1 where missing."""
    distinct: int
    values: np.ndarray | None
    """Numbers as float64 (numerical) or int64 nanoseconds (datetime), 0 where missing."""
    integral: bool
    mode_share: float
    """The share of present rows holding the most frequent value."""


def _column(name: str, kind: str, position: int, series: pd.Series) -> _Column:
    present = series.notna().to_numpy()
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    counts = np.bincount(codes[codes >= 0]) if present.any() else np.zeros(1, int)
    values = None
    integral = False
    if kind == "numerical":
        values = pd.to_numeric(series).astype("float64").fillna(0).to_numpy()
        integral = bool(np.all(values == np.round(values)))
    elif kind == "datetime":
        values = np.where(
            present, pd.to_datetime(series).to_numpy().astype("datetime64[ns]").astype("int64"), 0
        )
    return _Column(
        name=name,
        type=kind,
        position=position,
        present=present,
        codes=codes.astype("int64"),
        distinct=len(uniques),
        values=values,
        integral=integral,
        mode_share=counts.max() / max(present.sum(), 1),
    )


def _columns(frame: pd.DataFrame, types: dict[str, str]) -> dict[str, _Column]:
    return {
        name: _column(name, types[name], position, frame[name]) for position, name in enumerate(frame.columns)
    }


def _plain(value: Any) -> Any:
    """A value as YAML and a reader take it: Python scalars, datetimes as ISO text, None for missing."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value.item() if isinstance(value, np.generic) else value


@dataclass
class _Search:
    """What every finder shares: the table, its columns on all rows and on the search sample."""

    frame: pd.DataFrame
    full: dict[str, _Column]
    sample: dict[str, _Column]
    screen: dict[str, _Column]
    """A random ``SCREEN_ROWS`` of the sample's rows: most dependency candidates fail there, cheaply."""
    min_share: float
    rng: np.random.Generator
    determinants: list[str]
    """Columns that may determine others (``_can_determine``)."""
    determinant_pairs: list[tuple[str, str]] = field(default_factory=list)
    """Pairs of them where neither determines the other (else the pair adds nothing to one)."""
    groupings: dict[tuple[str, tuple[str, ...]], _Grouping] = field(default_factory=dict)

    def grouping(self, stage: str, names: tuple[str, ...]) -> _Grouping:
        """The rows of ``stage`` (``screen``, ``sample`` or ``full``) grouped by ``names``, computed once."""
        key = (stage, names)
        if key not in self.groupings:
            self.groupings[key] = _Grouping.of([getattr(self, stage)[name] for name in names])
        return self.groupings[key]

    def allowed(self, judged: int, slack: float = SEARCH_SLACK) -> int:
        """Exceptions a candidate may have on ``judged`` sampled rows to be verified."""
        return 0 if self.min_share == 1 else math.floor((1 - self.min_share + slack) * judged)

    def holds(self, judged: int, exceptions: int) -> bool:
        return judged > 0 and judged - exceptions >= self.min_share * judged - 1e-9

    def proposal(
        self, rule: Rule, judged: np.ndarray, breaks: np.ndarray, detail: str
    ) -> RuleProposal | None:
        """The proposal of ``rule`` judged on the rows of mask ``judged`` and broken on rows
        ``breaks`` (positions), or None when it holds too rarely."""
        checked = int(judged.sum())
        if not self.holds(checked, len(breaks)):
            return None
        unjudged = len(judged) - checked
        evidence = f"holds in {checked - len(breaks):,} of {checked:,} rows" + (
            f" ({unjudged:,} with a missing value not judged)" if unjudged else ""
        )
        examples = self.frame.iloc[breaks][rule.columns_used].drop_duplicates().head(EXAMPLES_SHOWN)
        return RuleProposal(
            rule=rule,
            rows_checked=checked,
            exceptions=len(breaks),
            examples=tuple(
                {name: _plain(value) for name, value in row.items()} for row in examples.to_dict("records")
            ),
            evidence=evidence + (f"; {detail}" if detail else ""),
        )


class _Computed:
    """The columns accepted rules compute, and the columns those rules read: a spec lets a column
    be computed once, and never from a computed column."""

    def __init__(self) -> None:
        self.targets: set[str] = set()
        self.inputs: set[str] = set()

    def accepts(self, targets: list[str], inputs: list[str]) -> bool:
        return not (set(targets) & (self.targets | self.inputs) or set(inputs) & self.targets)

    def add(self, targets: list[str], inputs: list[str]) -> None:
        self.targets |= set(targets)
        self.inputs |= set(inputs)


# --- formulas ------------------------------------------------------------------------------------


def _round_coefficient(value: float) -> float | None:
    nearest = float(ROUND_COEFFICIENTS[np.argmin(np.abs(ROUND_COEFFICIENTS - value))])
    return nearest if abs(nearest - value) <= 1e-6 * max(1.0, abs(value)) else None


def _round_constant(value: float, integral: bool) -> float | None:
    rounded = round(value) if integral else round(value, 3)
    return float(rounded) if abs(rounded - value) <= 1e-6 * max(1.0, abs(value)) else None


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _expression(inputs: list[str], coefficients: list[float], constant: float) -> str:
    """``hour * 100 + minute``: positive terms first, a coefficient of 1 left out."""
    terms = sorted(zip(inputs, coefficients, strict=True), key=lambda term: term[1] < 0)
    text = ""
    for name, coefficient in terms:
        term = name if abs(coefficient) == 1 else f"{name} * {_number(abs(coefficient))}"
        text += (" - " if text else "-") + term if coefficient < 0 else (" + " if text else "") + term
    if constant:
        text += f" {'-' if constant < 0 else '+'} {_number(abs(constant))}"
    return text


def _formula_breaks(
    target: _Column, inputs: list[_Column], coefficients: list[float], constant: float
) -> tuple[np.ndarray, np.ndarray]:
    """The judged-row mask and the positions of rows where the formula misses the value."""
    judged = target.present.copy()
    computed = np.full(len(judged), constant)
    for column, coefficient in zip(inputs, coefficients, strict=True):
        judged &= column.present
        computed = computed + coefficient * column.values
    missed = np.abs(target.values - computed) > FORMULA_TOLERANCE * np.maximum(1.0, np.abs(target.values))
    return judged, np.flatnonzero(judged & missed)


def _fit(search: _Search, target: _Column, inputs: list[_Column]) -> tuple[list[float], float] | None:
    """Round coefficients and constant fitted on random row sets of the sample, when one set gives them."""
    judged = target.present.copy()
    for column in inputs:
        judged &= column.present
    rows = np.flatnonzero(judged)
    if len(rows) <= len(inputs) + 1:
        return None
    integral = target.integral and all(column.integral for column in inputs)
    for _ in range(FIT_TRIES):
        chosen = search.rng.choice(rows, size=min(FIT_ROWS, len(rows)), replace=False)
        design = np.column_stack([*(column.values[chosen] for column in inputs), np.ones(len(chosen))])
        solution, _, rank, _ = np.linalg.lstsq(design, target.values[chosen], rcond=None)
        if rank < design.shape[1]:
            continue  # the rows do not tell the inputs apart: try others
        coefficients = [_round_coefficient(value) for value in solution[:-1]]
        constant = _round_constant(solution[-1], integral)
        if constant is None or None in coefficients:
            if search.min_share == 1:
                return None
            continue
        _, breaks = _formula_breaks(target, inputs, coefficients, constant)
        if len(breaks) <= search.allowed(len(rows)):
            return coefficients, constant
        if search.min_share == 1:
            return None  # an exact relation gives its coefficients on any rows: no other try
    return None


@dataclass(frozen=True)
class _Form:
    """One way of writing a relation: the column computed, from which inputs, with which coefficients."""

    proposal: RuleProposal
    column: str
    inputs: list[str]
    coefficients: list[float]

    def preference(self, search: _Search) -> tuple:
        """Whole coefficients, fewest negative ones, computing the later column
        (``sched_dep_time = hour * 100 + minute``, not ``minute = sched_dep_time - hour * 100``)."""
        return (
            any(not float(value).is_integer() for value in self.coefficients),
            sum(value < 0 for value in self.coefficients),
            -search.full[self.column].position,
        )


def _formulas(search: _Search, computed: _Computed) -> list[RuleProposal]:
    numbers = [
        c for c in search.sample.values() if c.type == "numerical" and search.full[c.name].distinct >= 2
    ]
    found: dict[frozenset[str], list[_Form]] = {}
    for target in numbers:
        others = [column for column in numbers if column is not target]
        for inputs in itertools.chain(((c,) for c in others), itertools.combinations(others, 2)):
            if len(inputs) == 2 and any(frozenset((target.name, c.name)) in found for c in inputs):
                continue  # a relation of two of the columns already holds
            fitted = _fit(search, target, list(inputs))
            if fitted is None:
                continue
            coefficients, constant = fitted
            names = [column.name for column in inputs]
            full_target = search.full[target.name]
            judged, breaks = _formula_breaks(
                full_target, [search.full[name] for name in names], coefficients, constant
            )
            exact = (
                "whole numbers, compared exactly"
                if full_target.integral
                else f"compared to within {FORMULA_TOLERANCE:g} of the value"
            )
            rule = FormulaRule(
                name=f"{target.name}_formula",
                kind="formula",
                column=target.name,
                equals=_expression(names, coefficients, constant),
            )
            proposal = search.proposal(rule, judged, breaks, exact)
            if proposal is not None:
                form = _Form(proposal, target.name, names, coefficients)
                found.setdefault(frozenset([target.name, *names]), []).append(form)
    accepted = []
    for forms in sorted(found.values(), key=lambda forms: len(forms[0].inputs)):
        for form in sorted(forms, key=lambda form: form.preference(search)):
            if computed.accepts([form.column], form.inputs):
                computed.add([form.column], form.inputs)
                accepted.append(form.proposal)
                break
    return accepted


# --- one-hot groups ------------------------------------------------------------------------------


def _prefix_groups(names: list[str]) -> list[tuple[str, ...]]:
    """Sets of at least two names sharing a ``<prefix>_``, largest first."""
    groups: dict[str, list[str]] = {}
    for name in names:
        parts = name.split("_")
        for length in range(1, len(parts)):
            groups.setdefault("_".join(parts[:length]), []).append(name)
    distinct = {tuple(members) for members in groups.values() if len(members) >= 2}
    return sorted(distinct, key=lambda members: (-len(members), members))


def _common_prefix(names: tuple[str, ...]) -> str:
    parts = [name.split("_") for name in names]
    shared = []
    for words in zip(*parts, strict=False):
        if len(set(words)) > 1:
            break
        shared.append(words[0])
    return "_".join(shared)


def _one_hots(search: _Search) -> list[RuleProposal]:
    flags = [c.name for c in search.full.values() if c.type == "boolean" and c.distinct == 2]
    accepted, used = [], set()
    for members in _prefix_groups(flags):
        if used & set(members):
            continue
        columns = [search.full[name] for name in members]
        judged = np.logical_and.reduce([column.present for column in columns])
        true = np.sum([search.frame[name].fillna(False).to_numpy(dtype=bool) for name in members], axis=0)
        rule = OneHotRule(name=f"{_common_prefix(members)}_one_hot", kind="one_hot", columns=list(members))
        detail = f"exactly one of the {len(members)} columns is true"
        proposal = search.proposal(rule, judged, np.flatnonzero(judged & (true != 1)), detail)
        if proposal is not None:
            accepted.append(proposal)
            used |= set(members)
    return accepted


# --- dependencies --------------------------------------------------------------------------------


def _combined(columns: list[_Column]) -> tuple[np.ndarray, np.ndarray]:
    """The codes of the columns' combinations, and where every column has a value."""
    present = np.logical_and.reduce([column.present for column in columns])
    codes = np.zeros(len(present), dtype="int64")
    for column in columns:
        codes = codes * column.distinct + np.maximum(column.codes, 0)
    return codes, present


@dataclass(frozen=True)
class _Grouping:
    """Rows grouped by the combination of some columns' values."""

    codes: np.ndarray
    """Each row's group, 0 to ``groups - 1``; -1 where a column is missing."""
    present: np.ndarray
    groups: int

    @classmethod
    def of(cls, columns: list[_Column]) -> _Grouping:
        combined, present = _combined(columns)
        seen, codes = np.unique(combined[present], return_inverse=True)
        grouped = np.full(len(present), -1, dtype="int64")
        grouped[present] = codes.ravel()
        return cls(grouped, present, len(seen))


def _majority_breaks(groups: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Positions (in ``groups``) of the rows whose value is not their group's most frequent one."""
    if not len(values):
        return np.array([], dtype="int64")
    width = int(values.max()) + 1
    pairs, inverse, counts = np.unique(groups * width + values, return_inverse=True, return_counts=True)
    owners = pairs // width
    order = np.lexsort((-counts, owners))
    leaders = order[np.r_[True, owners[order][1:] != owners[order][:-1]]]
    majority = np.zeros(len(pairs), dtype=bool)
    majority[leaders] = True
    return np.flatnonzero(~majority[inverse.ravel()])


def _dependency_breaks(grouping: _Grouping, target: _Column) -> tuple[np.ndarray, np.ndarray]:
    """Rows judged (every column present), and the positions of those breaking the dependency."""
    judged = grouping.present & target.present
    rows = np.flatnonzero(judged)
    return judged, rows[_majority_breaks(grouping.codes[rows], target.codes[rows])]


def _agrees(grouping: _Grouping, target: _Column) -> bool:
    """Whether ``target`` has one value in each group, checked without sorting."""
    judged = grouping.present & target.present
    groups, values = grouping.codes[judged], target.codes[judged]
    first = np.zeros(grouping.groups, dtype="int64")
    first[groups[::-1]] = values[::-1]
    return bool(np.array_equal(first[groups], values))


def _screened(search: _Search, determinants: tuple[str, ...], target: str) -> bool:
    """Whether the dependency holds closely enough on the screen, then on the sample."""
    for stage, slack in (("screen", SCREEN_SLACK), ("sample", SEARCH_SLACK)):
        grouping, column = search.grouping(stage, determinants), getattr(search, stage)[target]
        if search.min_share == 1:
            if not _agrees(grouping, column):
                return False
            continue
        judged, breaks = _dependency_breaks(grouping, column)
        if len(breaks) > search.allowed(int(judged.sum()), slack):
            return False
    return True


def _can_determine(column: _Column, rows: int) -> bool:
    limit = MAX_CODE_VALUES if column.type == "numerical" else MAX_DETERMINANT_VALUES
    return (
        column.type in LABEL_TYPES or (column.type == "numerical" and column.integral)
    ) and 2 <= column.distinct <= min(limit, rows / MIN_GROUP_ROWS)


def _dependency(search: _Search, determinants: tuple[str, ...], target: str) -> RuleProposal | None:
    """``target`` by ``determinants``, when it holds on the screen, the sample and then on every row."""
    if not _screened(search, determinants, target):
        return None
    grouping = search.grouping("full", determinants)
    judged, breaks = _dependency_breaks(grouping, search.full[target])
    if grouping.groups > judged.sum() / MIN_GROUP_ROWS:
        return None
    if len(determinants) == 1:
        detail = f"{grouping.groups:,} values of {determinants[0]}"
    else:
        possible = math.prod(search.full[name].distinct for name in determinants)
        detail = f"{grouping.groups:,} combinations of {possible:,} possible"
    rule = DependencyRule(
        name=f"{target}_by_{'_'.join(determinants)}",
        kind="dependency",
        columns=[target],
        determined_by=list(determinants),
    )
    return search.proposal(rule, judged, breaks, detail)


def _dependency_preference(proposal: RuleProposal, search: _Search) -> tuple:
    """Fewest determining columns, categorical before numerical ones (a 1:1 pair: the numerical
    column is the determined one), fewest combinations, first in column order."""
    *names, target = proposal.rule.columns_used
    determinants = [search.full[name] for name in names]
    return (
        len(determinants),
        max(column.type == "numerical" for column in determinants),
        math.prod(column.distinct for column in determinants),
        [column.position for column in determinants],
        search.full[target].position,
    )


def _combination_counts(
    search: _Search, stage: str, determinants: tuple[str, ...], target: str
) -> tuple[int, int, int]:
    """In rows having every column: the combinations of ``determinants``, those of them with
    ``target``, and how many of the first have more than one value of ``target``."""
    grouping, column = search.grouping(stage, determinants), getattr(search, stage)[target]
    judged = grouping.present & column.present
    width = max(column.distinct, 1)
    pairs = np.unique(grouping.codes[judged] * width + column.codes[judged])
    values_per_group = np.bincount(pairs // width)
    return int(np.count_nonzero(values_per_group)), len(pairs), int(np.count_nonzero(values_per_group > 1))


def _near_dependency(search: _Search, determinants: tuple[str, ...], target: str) -> RuleProposal | None:
    """``[*determinants, target]`` as a combination, when ``target`` has one value in all but a
    few combinations of ``determinants``, one of them a label, and they explain nearly all of its
    variation (checked on the screen, the sample, then every row)."""
    if not any(search.full[name].type in LABEL_TYPES for name in determinants):
        return None  # a combination completes numbers from the labels it holds
    for stage in ("screen", "sample", "full"):
        seen, with_target, ambiguous = _combination_counts(search, stage, determinants, target)
        if with_target > (1 + NEAR_EXTRA_COMBINATIONS) * seen:
            return None
    judged, breaks = _dependency_breaks(search.grouping("full", determinants), search.full[target])
    if with_target == seen or seen > judged.sum() / MIN_GROUP_ROWS:
        return None  # a dependency, or determining columns that are (nearly) a key
    values = search.full[target].codes[judged]
    if len(breaks) > NEAR_UNEXPLAINED * np.count_nonzero(values != np.bincount(values).argmax()):
        return None  # a (nearly) constant column has one value in nearly every combination of anything
    rule = CombinationRule(
        name=f"{'_'.join(determinants)}_{target}_combinations",
        kind="combination",
        columns=[*determinants, target],
    )
    checked = int(judged.sum())
    evidence = (
        f"{with_target:,} combinations in {checked:,} rows: {target} has one value for each of the "
        f"{seen:,} combinations of {', '.join(determinants)} but {ambiguous:,}"
    )
    return RuleProposal(rule=rule, rows_checked=checked, exceptions=0, examples=(), evidence=evidence)


def _search_determinants(search: _Search, target: _Column, finder) -> list[RuleProposal]:
    """What ``finder`` proposes for ``target`` by one determining column, else by two."""
    holding = [
        p
        for name in search.determinants
        if name != target.name
        if (p := finder(search, (name,), target.name))
    ]
    if not holding:
        pairs = [pair for pair in search.determinant_pairs if target.name not in pair]
        holding = [p for pair in pairs if (p := finder(search, pair, target.name))]
    return holding


def _dependencies(search: _Search, computed: _Computed, one_hots: list[RuleProposal]) -> list[RuleProposal]:
    """Dependencies, then near dependencies (as combinations) for the columns left."""
    groups = [set(proposal.rule.columns) for proposal in one_hots]
    targets = [
        target
        for target in search.full.values()
        # a (nearly) constant column is "determined" by anything; a time follows the calendar,
        # which a lookup of seen values only memorizes
        if target.distinct >= 2
        and not (search.min_share < 1 and target.mode_share >= search.min_share)
        and target.type != "datetime"
    ]
    accepted = []
    for finder in (_dependency, _near_dependency):
        found = [
            proposal
            for target in targets
            if target.name not in computed.targets
            for proposal in _search_determinants(search, target, finder)
            if not any(set(proposal.rule.columns_used) <= group for group in groups)
        ]
        for proposal in sorted(found, key=lambda p: _dependency_preference(p, search)):
            target, determinants = proposal.rule.columns_used[-1], proposal.rule.columns_used[:-1]
            if computed.accepts([target], determinants):
                computed.add([target], determinants)
                accepted.append(proposal)
    return accepted


# --- combinations --------------------------------------------------------------------------------


def _combination(search: _Search, pair: tuple[str, str]) -> RuleProposal | None:
    columns = [search.full[name] for name in pair]
    judged = columns[0].present & columns[1].present
    if not judged.any():
        return None
    first, second = (column.codes[judged] for column in columns)
    seen = np.unique(first * columns[1].distinct + second)
    shares = [np.bincount(codes) / judged.sum() for codes in (first, second)]
    possible = np.count_nonzero(shares[0]) * np.count_nonzero(shares[1])
    unseen_share = 1 - float(
        np.sum(shares[0][seen // columns[1].distinct] * shares[1][seen % columns[1].distinct])
    )
    if len(seen) > MAX_SEEN_SHARE * possible or unseen_share < MIN_UNSEEN_SHARE:
        return None
    rule = CombinationRule(name=f"{pair[0]}_{pair[1]}_combinations", kind="combination", columns=list(pair))
    checked = int(judged.sum())
    return RuleProposal(
        rule=rule,
        rows_checked=checked,
        exceptions=0,
        examples=(),
        evidence=(
            f"{len(seen):,} combinations of {possible:,} possible in {checked:,} rows; were the columns "
            f"independent, {unseen_share:.0%} of the rows would have one of the others"
        ),
    )


def _kept_by(pair: tuple[str, str], rules: list[Rule]) -> bool:
    """A dependency or a combination keeps the pair to seen combinations: both determine, or one is
    determined with the other, or both are in the combination."""
    return any(
        set(pair) <= set(rule.columns_used)
        for rule in rules
        if isinstance(rule, DependencyRule | CombinationRule)
    )


def _combinations(search: _Search, kept: list[Rule]) -> list[RuleProposal]:
    rows = len(search.frame)
    categories = [c.name for c in search.full.values() if c.type in LABEL_TYPES and _can_determine(c, rows)]
    groups = [set(rule.columns) for rule in kept if isinstance(rule, OneHotRule)]
    return [
        proposal
        for pair in itertools.combinations(categories, 2)
        if not _kept_by(pair, kept) and not any(set(pair) <= group for group in groups)
        if (proposal := _combination(search, pair)) is not None
    ]


# --- inequalities --------------------------------------------------------------------------------


def _overlaps(left: _Column, right: _Column) -> tuple[bool, str]:
    """Whether the central ranges of the two columns overlap on ``MIN_RANGE_OVERLAP`` of each, and
    the ranges as text."""
    ranges = [np.quantile(column.values[column.present], CENTRAL_RANGE) for column in (left, right)]
    overlap = min(ranges[0][1], ranges[1][1]) - max(ranges[0][0], ranges[1][0])
    wide = all(high > low and overlap >= MIN_RANGE_OVERLAP * (high - low) for low, high in ranges)
    shown = (lambda value: pd.Timestamp(int(value)).isoformat()) if left.type == "datetime" else _number
    text = " and ".join(
        f"{column.name} in [{shown(low)}, {shown(high)}]"
        for column, (low, high) in zip((left, right), ranges, strict=True)
    )
    return wide, f"{CENTRAL_RANGE[1] - CENTRAL_RANGE[0]:.0%} of the values of {text}"


def _inequality(search: _Search, pair: tuple[str, str]) -> RuleProposal | None:
    left, right = (search.sample[name] for name in pair)
    judged = left.present & right.present
    allowed = search.allowed(int(judged.sum()))
    below = np.count_nonzero(judged & (left.values < right.values))
    above = np.count_nonzero(judged & (left.values > right.values))
    if (above <= allowed) == (below <= allowed):
        return None  # neither way, or equal in (nearly) every row
    left, right = (search.full[name] for name in pair)
    wide, ranges = _overlaps(left, right)
    if not wide:
        return None
    judged = left.present & right.present
    upwards = above <= allowed
    breaks = np.flatnonzero(
        judged & ((left.values > right.values) if upwards else (left.values < right.values))
    )
    ties = np.any(judged & (left.values == right.values))
    operator = ("<=" if ties else "<") if upwards else (">=" if ties else ">")
    rule = InequalityRule(
        name=f"{pair[0]}_{OPERATOR_WORDS[operator]}_{pair[1]}",
        kind="inequality",
        left=pair[0],
        operator=operator,
        right=pair[1],
    )
    return search.proposal(rule, judged, breaks, ranges)


def _implied(proposal: RuleProposal, others: list[RuleProposal]) -> bool:
    """``a < c`` when ``a < b`` and ``b < c`` are proposed too."""

    def edge(rule: InequalityRule) -> tuple[str, str]:
        return (rule.left, rule.right) if rule.operator in ("<", "<=") else (rule.right, rule.left)

    edges = {edge(other.rule) for other in others}
    low, high = edge(proposal.rule)
    middles = {b for a, b in edges if a == low} & {a for a, b in edges if b == high}
    return bool(middles - {low, high})


def _inequalities(search: _Search, formulas: list[RuleProposal]) -> list[RuleProposal]:
    comparable = [
        c.name for c in search.full.values() if c.type in ("numerical", "datetime") and c.distinct >= 2
    ]
    related = [set(proposal.rule.columns_used) for proposal in formulas]
    found = [
        proposal
        for pair in itertools.combinations(comparable, 2)
        if search.full[pair[0]].type == search.full[pair[1]].type
        and not any(set(pair) <= columns for columns in related)
        if (proposal := _inequality(search, pair)) is not None
    ]
    return [proposal for proposal in found if not _implied(proposal, found)]


# --- the whole search ----------------------------------------------------------------------------


def _unique_names(proposals: list[RuleProposal]) -> list[RuleProposal]:
    """Rules named alike get ``_2``, ``_3``...: a spec's rule names are unique."""
    taken: dict[str, int] = {}
    renamed = []
    for proposal in proposals:
        name = proposal.rule.name
        taken[name] = taken.get(name, 0) + 1
        if taken[name] > 1:
            rule = proposal.rule.model_copy(update={"name": f"{name}_{taken[name]}"})
            proposal = RuleProposal(
                rule, proposal.rows_checked, proposal.exceptions, proposal.examples, proposal.evidence
            )
        renamed.append(proposal)
    return renamed


def propose_rules(
    frame: pd.DataFrame,
    column_types: dict[str, str],
    min_share: float = 1.0,
    record_key: list[str] | None = None,
    search_rows: int = SEARCH_ROWS,
) -> list[RuleProposal]:
    """The rules ``frame`` obeys in at least ``min_share`` of the rows each judges, by kind.

    ``column_types`` maps each column to its spec type (columns it does not name, and identifiers,
    are not used). Rows sharing the ``record_key`` are one record delivered again: only the last
    is judged, as staging keeps it.
    """
    if not 0 < min_share <= 1:
        raise ValueError(f"min_share must be a share of rows in (0, 1], got {min_share!r}")
    unknown = [name for name in [*column_types, *(record_key or [])] if name not in frame.columns]
    if unknown:
        raise ValueError(f"columns {unknown} are not in the table")
    if record_key:
        frame = frame.drop_duplicates(record_key, keep="last")
    names = [name for name in frame.columns if column_types.get(name) in MODELLED_TYPES]
    frame = frame[names].reset_index(drop=True)
    sample = frame.sample(n=min(len(frame), search_rows), random_state=0)
    full = _columns(frame, column_types)
    search = _Search(
        frame=frame,
        full=full,
        sample=_columns(sample, column_types),
        screen=_columns(sample.head(SCREEN_ROWS), column_types),
        min_share=min_share,
        rng=np.random.default_rng(0),
        determinants=[column.name for column in full.values() if _can_determine(column, len(frame))],
    )
    search.determinant_pairs = [
        pair
        for pair in itertools.combinations(search.determinants, 2)
        if search.grouping("full", pair).groups > max(full[name].distinct for name in pair)
    ]
    computed = _Computed()
    formulas = _formulas(search, computed)
    one_hots = _one_hots(search)
    dependencies = _dependencies(search, computed, one_hots)
    combinations = _combinations(search, [p.rule for p in [*dependencies, *one_hots]])
    inequalities = _inequalities(search, formulas)
    proposals = [*formulas, *one_hots, *dependencies, *combinations, *inequalities]
    return _unique_names(sorted(proposals, key=lambda proposal: RULE_KINDS.index(proposal.rule.kind)))
