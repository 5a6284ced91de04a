"""Column encoders: each column of a table as one integer token per row, and back.

Every encoder works on whole columns with numpy (no per-row Python loops) and reserves
token 0 for a missing value, so missingness is modelled like any other value.

- Numerical: values frequent enough to matter (point masses such as a capital gain of 0)
  get a token each; the rest fall into quantile bins. Decoding a bin draws a position
  within it and maps it through the bin's empirical quantiles, so numbers come back
  inside their bin with the real within-bin shape; values are rounded to the column's step
  (the largest power of ten dividing 99.5% of the training values and every point mass: credit
  limits in whole ten thousands sample whole ten thousands) and clipped to the schema's bounds.
  A number that equals an earlier column's number in many rows (a payment equal to last month's
  bill, a bill carried over unchanged) also gets a token per such column meaning "the same value
  as that column" (``fit_relations``), so the relation survives exactly rather than as two nearby
  draws. A number that often lies close to one earlier column's number (this month's bill against
  last month's) gets tokens for the offset from it, in quantile bins of the offsets (``fit_relations``),
  so closeness survives at the offsets' resolution rather than its own bin's.
- Datetime: a numerical column of whole seconds since the epoch.
- Categorical: one token per category seen at least ``rare_min_count`` times; rarer
  values share one pooled token that never decodes to any of them, so a rare real value
  is never emitted verbatim. Decoding is the exact inverse for kept categories.
- Boolean: False and True.

``condition_token`` maps a value a caller wants to fix to its token, and raises
GeneratorError for a value the model cannot produce.

Under a privacy budget (``fit_private``) nothing is read from the data for free: categories come
from the schema (every declared one gets a token, none is pooled: the budget, not a count
threshold, protects rare values), booleans take both values, no column has missing values, and a
numerical column's layout comes from its declared bounds: every integer when there are at most
``bins`` of them, otherwise a noisy histogram that spends epsilon (``private_statistics``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np
import pandas as pd

from accrete.generator.autoregressive.private_statistics import private_layout
from accrete.generator.base import GeneratorError
from accrete.table_schema import ModelColumn

MISSING_TOKEN = 0
NUMBER_STEPS = tuple(10.0**power for power in range(9, -7, -1))
"""Steps a number column may keep, largest first (``NumericalEncoder._step`` picks one)."""
STEP_SHARE = 0.995
"""A column keeps a step when at least this share of its training values are multiples of it (a
stray value off the grid does not make every sampled value ragged)."""
OTHER_LABEL = "other"
KNOTS_PER_BIN = 16
"""Within-bin empirical quantiles stored per numerical bin (the decoder's resolution)."""
COPY_MIN_SHARE = 0.01
"""A number equal to an earlier column's number in at least this share of the rows (outside its
point masses, which are exact already) gets a token copying that column."""
MAX_COPY_SOURCES = 4
"""Most earlier columns one number copies (those it equals most often)."""
COPY_CHANCE_RATIO = 5.0
"""A copy must also be at least this many times as frequent as the two columns would be equal by
chance, were they independent (a delay of 1 to 12 minutes equals the month in more than 1% of
flights, and means nothing)."""
NEAR_BINS = 16
"""Quantile bins of the offset from the earlier column a number lies near (``fit_relations``)."""
NEAR_MIN_SHARE = 0.1
"""A number lies near an earlier column when at least this share of all its rows are binned values
(not point masses, not copies) within ``NEAR_WIDTH_SHARE`` of their bin's width of that column's value."""
NEAR_WIDTH_SHARE = 0.1
"""How close "near" is, as a share of the width of the value's own bin."""


def _quantile_bins(ordered: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Edges cutting sorted ``ordered`` values into ``count`` equal-count bins (fewer when values
    repeat), and each bin's ``KNOTS_PER_BIN + 1`` within-bin quantiles."""
    cut_ranks = (np.arange(1, count) * len(ordered)) // count
    edges = np.unique(ordered[cut_ranks])
    edges = edges[edges > ordered[0]]  # a cut at the smallest value would leave the first bin empty
    bin_of = np.searchsorted(edges, ordered, side="right")
    starts = np.searchsorted(bin_of, np.arange(len(edges) + 1), side="left")
    ends = np.searchsorted(bin_of, np.arange(len(edges) + 1), side="right")
    levels = np.linspace(0.0, 1.0, KNOTS_PER_BIN + 1)
    knot_ranks = starts[:, None] + np.round(levels[None, :] * (ends - starts - 1)[:, None]).astype(int)
    return edges, ordered[knot_ranks]


def _interpolate(knots: np.ndarray, rows: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Values linear between the two of ``knots[rows]`` around each of ``positions`` in [0, 1)."""
    scaled = positions * KNOTS_PER_BIN
    segment = np.minimum(scaled.astype(np.int64), KNOTS_PER_BIN - 1)
    low = knots[rows, segment]
    return low + (knots[rows, segment + 1] - low) * (scaled - segment)


def _multiples_share(values: np.ndarray, counts: np.ndarray, step: float) -> float:
    """The share of rows (``values`` seen ``counts`` times) that are multiples of ``step``."""
    quotients = values / step
    exact = np.abs(quotients - np.round(quotients)) < 1e-9 * np.maximum(1.0, np.abs(quotients))
    return float(counts[exact].sum() / counts.sum()) if len(values) else 1.0


def _is_missing_value(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


class ColumnEncoder(ABC):
    """Maps one column to tokens ``0 .. vocab_size - 1`` (0 = missing) and back."""

    kind: str
    places_within_bins = False
    """Whether ``decode`` needs positions within a token's bin (numbers do, labels do not)."""
    copies: tuple[str, ...] = ()
    """Earlier columns (in modelling order) whose value this column has a token to copy."""
    near: str | None = None
    """The earlier column whose value plus a small offset this column often is (its offset tokens)."""

    @property
    def sources(self) -> tuple[str, ...]:
        """The earlier columns ``decode`` reads: the copied ones, then the one it lies near."""
        return self.copies + ((self.near,) if self.near else ())

    def __init__(self, column: ModelColumn):
        self.column = column
        self.has_missing = False

    @property
    @abstractmethod
    def vocab_size(self) -> int:
        """Number of distinct tokens, the missing token included."""

    @abstractmethod
    def fit(self, values: pd.Series) -> ColumnEncoder:
        """Learn the token layout from the training column."""

    needs_private_histogram = False
    """Whether ``fit_private`` spends epsilon (a number over a wide range) or reads the schema only."""

    @abstractmethod
    def fit_private(self, values: pd.Series, epsilon: float, rng: np.random.Generator) -> ColumnEncoder:
        """Learn the token layout under a privacy budget (see the module's docstring), spending
        ``epsilon`` when ``needs_private_histogram``; ``values`` have no missing value."""

    @abstractmethod
    def encode(self, values: pd.Series) -> np.ndarray:
        """Tokens (int64) of a column of values the encoder was fitted on."""

    @abstractmethod
    def decode(self, tokens: np.ndarray, positions: np.ndarray | None) -> pd.Series | np.ndarray:
        """Values for ``tokens``; ``positions`` in [0, 1) place numbers within their bin
        (None for an encoder that does not ``place_within_bins``)."""

    @abstractmethod
    def condition_token(self, value: Any) -> int:
        """The token of a value to condition on; GeneratorError if the model cannot emit it."""

    @abstractmethod
    def allowed_tokens(self) -> np.ndarray:
        """Boolean mask over the vocabulary: tokens the model may sample."""

    def condition_values(self, value: Any, num_rows: int) -> pd.Series | np.ndarray:
        """The column of ``num_rows`` rows all holding the conditioned ``value``."""
        tokens = np.full(num_rows, self.condition_token(value))
        return self.decode(tokens, np.full(num_rows, 0.5))

    @abstractmethod
    def state(self) -> dict[str, Any]:
        """JSON-serialisable state from which ``restore`` rebuilds the fitted encoder."""

    @abstractmethod
    def restore(self, state: dict[str, Any]) -> ColumnEncoder:
        """Set the fitted state written by ``state``."""

    def _missing_condition(self) -> int:
        if not self.has_missing:
            raise GeneratorError(
                f"condition on {self.column.name!r}: a missing value never occurs in the training data"
            )
        return MISSING_TOKEN


class NumericalEncoder(ColumnEncoder):
    """Point masses plus quantile bins; decoding draws within the bin's empirical quantiles."""

    kind = "numerical"
    places_within_bins = True
    steps = NUMBER_STEPS

    def __init__(self, column: ModelColumn, bins: int):
        super().__init__(column)
        self.bins = bins
        self.masses = np.empty(0)
        self.edges = np.empty(0)
        self.knots = np.empty((0, KNOTS_PER_BIN + 1))
        self.observed_min = 0.0
        self.observed_max = 0.0
        self.step: float | None = None
        """Sampled values are multiples of it (None: no rounding)."""
        self.near_edges = np.empty(0)
        self.near_knots = np.empty((0, KNOTS_PER_BIN + 1))
        """Offset bins from ``near``'s value: edges, and each bin's within-bin quantiles."""

    @property
    def vocab_size(self) -> int:
        return self.first_near_token + len(self.near_knots)

    @property
    def first_near_token(self) -> int:
        """The token of the smallest offset from ``near``; the next ones follow."""
        return self.first_copy_token + len(self.copies)

    @property
    def first_copy_token(self) -> int:
        """The token copying ``copies[0]``; the next copies the next."""
        return 1 + len(self.masses) + len(self.knots)

    def _floats(self, values: pd.Series) -> np.ndarray:
        return pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)

    def fit(self, values: pd.Series) -> NumericalEncoder:
        numbers = self._floats(values)
        present = np.sort(numbers[~np.isnan(numbers)])
        self.has_missing = bool(np.isnan(numbers).any())
        if len(present) == 0:
            return self
        self.observed_min, self.observed_max = float(present[0]), float(present[-1])
        unique, counts = np.unique(present, return_counts=True)
        if len(unique) <= self.bins:
            self.masses = unique
        else:
            self._fit_bins(present, unique, counts)
        self.step = self._step(unique, counts)
        return self

    def _fit_bins(self, present: np.ndarray, unique: np.ndarray, counts: np.ndarray) -> None:
        """Point masses for the frequent values, quantile bins and their knots for the rest."""
        self.masses = unique[counts >= len(present) / self.bins]
        rest = present[~np.isin(present, self.masses)]
        self.edges, self.knots = _quantile_bins(rest, max(1, self.bins - len(self.masses)))

    def _step(self, unique: np.ndarray, counts: np.ndarray) -> float | None:
        """The largest of ``steps`` dividing ``STEP_SHARE`` of the values and every point mass (a
        point mass decodes exactly)."""
        for step in self.steps:
            masses_on_grid = _multiples_share(self.masses, np.ones(len(self.masses)), step) == 1.0
            if masses_on_grid and _multiples_share(unique, counts, step) >= STEP_SHARE:
                return step
        return None

    def fit_relations(self, values: pd.Series, earlier: dict[str, pd.Series]) -> NumericalEncoder:
        """Fit ``copies``, then ``near``, from the ``earlier`` numerical columns (in modelling order)."""
        numbers = self._floats(values)
        tokens = self.encode(values)
        others = {name: self._floats(other) for name, other in earlier.items()}
        self._fit_copies(numbers, tokens, others)
        self._fit_near(numbers, self._with_copies(tokens, numbers, others), others)
        return self

    def _fit_copies(self, numbers: np.ndarray, tokens: np.ndarray, others: dict[str, np.ndarray]) -> None:
        """Keep as ``copies`` the ``others`` this column equals, inside its bins, in at least
        ``COPY_MIN_SHARE`` of the rows and ``COPY_CHANCE_RATIO`` times as often as by chance (at most
        ``MAX_COPY_SOURCES``, most often first)."""
        in_bin = tokens > len(self.masses)
        binned_shares = pd.Series(numbers[in_bin]).value_counts() / len(numbers)
        shares, needed = {}, {}
        for name, other in others.items():
            shares[name] = float((in_bin & (other == numbers)).mean())
            other_shares = pd.Series(other).value_counts() / len(other)
            chance = float((binned_shares * other_shares.reindex(binned_shares.index, fill_value=0.0)).sum())
            needed[name] = max(COPY_MIN_SHARE, COPY_CHANCE_RATIO * chance)
        kept = sorted(
            (name for name, share in shares.items() if share >= needed[name]), key=lambda n: -shares[n]
        )
        self.copies = tuple(kept[:MAX_COPY_SOURCES])

    def with_copy_tokens(self, tokens: np.ndarray, values: pd.Series, sources: list[pd.Series]) -> np.ndarray:
        """``tokens`` (from ``encode``) with each binned value that equals a ``copies`` column's value
        (``sources``, in the same order) turned into that column's copy token (the first that matches)."""
        others = {name: self._floats(source) for name, source in zip(self.copies, sources, strict=True)}
        return self._with_copies(tokens, self._floats(values), others)

    def _with_copies(
        self, tokens: np.ndarray, numbers: np.ndarray, others: dict[str, np.ndarray]
    ) -> np.ndarray:
        unresolved = tokens > len(self.masses)
        for offset, name in enumerate(self.copies):
            same = unresolved & (others[name] == numbers)
            tokens[same] = self.first_copy_token + offset
            unresolved &= ~same
        return tokens

    def _near_offsets(self, tokens: np.ndarray, numbers: np.ndarray, source: np.ndarray) -> np.ndarray:
        """Offsets from ``source`` of the rows whose ``tokens`` (copies resolved) are bins and whose
        value lies within ``NEAR_WIDTH_SHARE`` of its bin's width from ``source``'s; NaN elsewhere."""
        in_bin = (tokens > len(self.masses)) & (tokens < self.first_copy_token)
        if not in_bin.any():
            return np.full(len(tokens), np.nan)
        bins = np.where(in_bin, tokens - 1 - len(self.masses), 0)
        widths = self.knots[bins, -1] - self.knots[bins, 0]
        offsets = numbers - source
        return np.where(in_bin & (np.abs(offsets) < NEAR_WIDTH_SHARE * widths), offsets, np.nan)

    def _fit_near(self, numbers: np.ndarray, tokens: np.ndarray, others: dict[str, np.ndarray]) -> None:
        """Keep as ``near`` the one of ``others`` that this column lies near (see ``NEAR_MIN_SHARE``)
        in the most rows, if any, and bin the offsets from it; ``tokens`` have copies resolved."""
        offsets = {name: self._near_offsets(tokens, numbers, other) for name, other in others.items()}
        shares = {name: float((~np.isnan(found)).mean()) for name, found in offsets.items()}
        best = max(shares, key=shares.get, default=None)
        if best is None or shares[best] < NEAR_MIN_SHARE:
            return
        self.near = best
        found = offsets[best]
        self.near_edges, self.near_knots = _quantile_bins(np.sort(found[~np.isnan(found)]), NEAR_BINS)

    def with_near_tokens(self, tokens: np.ndarray, values: pd.Series, source: pd.Series) -> np.ndarray:
        """``tokens`` (copies resolved) with each binned value near ``near``'s (``source``) turned into
        the token of its offset."""
        offsets = self._near_offsets(tokens, self._floats(values), self._floats(source))
        near = ~np.isnan(offsets)
        tokens[near] = self.first_near_token + np.searchsorted(self.near_edges, offsets[near], side="right")
        return tokens

    @property
    def needs_private_histogram(self) -> bool:
        low, high = self.column.minimum, self.column.maximum
        return not (self.column.integer and high - low + 1 <= self.bins)

    def fit_private(self, values: pd.Series, epsilon: float, rng: np.random.Generator) -> NumericalEncoder:
        low, high = self.column.minimum, self.column.maximum
        self.observed_min, self.observed_max = float(low), float(high)
        self.step = 1.0 if self.column.integer else None  # the schema's, not the data's
        if not self.needs_private_histogram:
            self.masses = np.arange(low, high + 1, dtype=np.float64)
            return self
        numbers = self._floats(values).clip(low, high)
        self.masses, self.edges, self.knots = private_layout(
            numbers, low, high, self.bins, KNOTS_PER_BIN, epsilon, rng
        )
        return self

    def _tokens_and_bins(self, numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        tokens = np.zeros(len(numbers), dtype=np.int64)
        present = ~np.isnan(numbers)
        mass_index = np.searchsorted(self.masses, numbers).clip(0, max(len(self.masses) - 1, 0))
        is_mass = present & (len(self.masses) > 0)
        if len(self.masses):
            is_mass &= self.masses[mass_index] == numbers
        tokens[is_mass] = 1 + mass_index[is_mass]
        in_bin = present & ~is_mass
        bins = np.searchsorted(self.edges, numbers, side="right")
        tokens[in_bin] = 1 + len(self.masses) + bins[in_bin]
        return tokens, np.where(in_bin, bins, -1)

    def encode(self, values: pd.Series) -> np.ndarray:
        return self._tokens_and_bins(self._floats(values))[0]

    def positions(self, values: pd.Series) -> np.ndarray:
        """Where each value lies within its bin, in [0, 1] (0.5 for masses and missing values)."""
        numbers = self._floats(values)
        _, bins = self._tokens_and_bins(numbers)
        positions = np.full(len(numbers), 0.5)
        in_bin = bins >= 0
        knots = self.knots[bins[in_bin]]
        x = numbers[in_bin]
        segment = ((knots <= x[:, None]).sum(axis=1) - 1).clip(0, KNOTS_PER_BIN - 1)
        low = np.take_along_axis(knots, segment[:, None], axis=1)[:, 0]
        high = np.take_along_axis(knots, segment[:, None] + 1, axis=1)[:, 0]
        width = high - low
        fraction = np.where(width > 0, (x - low) / np.where(width > 0, width, 1.0), 0.5).clip(0.0, 1.0)
        positions[in_bin] = (segment + fraction) / KNOTS_PER_BIN
        return positions

    def _token_knots(self) -> np.ndarray:
        """(vocab, KNOTS_PER_BIN + 1) value knots per token: NaN for missing, the value
        repeated for a point mass, the bin's within-bin quantiles for a bin."""
        masses = np.repeat(self.masses[:, None], KNOTS_PER_BIN + 1, axis=1)
        missing = np.full((1, KNOTS_PER_BIN + 1), np.nan)
        relative = np.full((len(self.copies) + len(self.near_knots), KNOTS_PER_BIN + 1), np.nan)  # see decode
        return np.concatenate([missing, masses, self.knots.reshape(-1, KNOTS_PER_BIN + 1), relative])

    def decode_numbers(self, tokens: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """Float values (NaN for missing) for ``tokens``: linear between the two knots
        around ``positions`` (a point mass has equal knots, so it decodes exactly)."""
        knots = self._token_knots().ravel()
        scaled = positions * KNOTS_PER_BIN
        segment = scaled.astype(np.int64)  # positions are >= 0: truncation is the floor
        np.minimum(segment, KNOTS_PER_BIN - 1, out=segment)
        scaled -= segment  # now the fraction within the segment
        index = tokens * (KNOTS_PER_BIN + 1)
        index += segment
        numbers = knots.take(index)
        index += 1
        step = knots.take(index)
        step -= numbers
        step *= scaled
        numbers += step
        return self._within_schema(numbers)

    def _within_schema(self, numbers: np.ndarray) -> np.ndarray:
        if self.step is not None and self.step < 1:  # by decimals: 2.8 stays 2.8, not 2.8000000000000003
            np.round(numbers, int(round(-np.log10(self.step))), out=numbers)
        elif self.step is not None:
            numbers /= self.step
            np.round(numbers, out=numbers)
            numbers *= self.step
        elif self.column.integer:
            np.round(numbers, out=numbers)
        return self._clipped(numbers)

    def _clipped(self, numbers: np.ndarray) -> np.ndarray:
        if self.column.minimum is not None or self.column.maximum is not None:
            np.clip(numbers, self.column.minimum, self.column.maximum, out=numbers)
        return numbers

    def _as_column(self, numbers: np.ndarray) -> pd.Series | np.ndarray:
        if self.column.integer and not self.has_missing:
            return numbers.astype(np.int64)
        return numbers

    def decode(
        self, tokens: np.ndarray, positions: np.ndarray, sources: list[np.ndarray] | None = None
    ) -> pd.Series | np.ndarray:
        """As ``ColumnEncoder.decode``; ``sources`` are the decoded ``sources`` columns (needed only
        when ``tokens`` hold copy or offset tokens). A copy token takes its row's value from the
        copied column, clipped to the schema's bounds; an offset token adds the offset drawn within
        its bin to ``near``'s value, kept within the range seen in training and rounded to the
        step. A copy of, or an offset from, a missing value (never seen in training, but not
        impossible to draw) is drawn from the column's bins instead."""
        numbers = self.decode_numbers(tokens, positions)
        relative = np.flatnonzero(tokens >= self.first_copy_token)
        if len(relative):
            values = np.stack([np.asarray(source, dtype=np.float64)[relative] for source in sources or ()])
            offset = tokens[relative] >= self.first_near_token
            source = np.where(offset, len(self.copies), tokens[relative] - self.first_copy_token)
            found = values[source, np.arange(len(relative))]
            near_bins = tokens[relative][offset] - self.first_near_token
            found[offset] += _interpolate(self.near_knots, near_bins, positions[relative][offset])
            found[offset] = self._within_schema(found[offset].clip(self.observed_min, self.observed_max))
            found[~offset] = self._clipped(found[~offset])
            numbers[relative] = found
            lost = relative[np.isnan(numbers[relative])]
            scaled = positions[lost] * len(self.knots)  # a bin, then the place within it
            bins = np.minimum(scaled.astype(np.int64), len(self.knots) - 1)
            numbers[lost] = self.decode_numbers(1 + len(self.masses) + bins, scaled - bins)
        return self._as_column(numbers)

    def condition_values(self, value: Any, num_rows: int) -> pd.Series | np.ndarray:
        self.condition_token(value)
        if _is_missing_value(value):
            return super().condition_values(value, num_rows)
        return self._as_column(np.full(num_rows, self._floats(pd.Series([value]))[0]))

    def condition_token(self, value: Any) -> int:
        if _is_missing_value(value):
            return self._missing_condition()
        number = float(value)
        if self.vocab_size == 1 or not self.observed_min <= number <= self.observed_max:
            raise GeneratorError(
                f"condition {self.column.name}={value!r} lies outside the trained range "
                f"[{self.observed_min}, {self.observed_max}]"
            )
        return int(self._tokens_and_bins(np.array([number]))[0][0])

    def allowed_tokens(self) -> np.ndarray:
        allowed = np.ones(self.vocab_size, dtype=bool)
        allowed[MISSING_TOKEN] = self.has_missing
        return allowed

    def state(self) -> dict[str, Any]:
        return {
            "has_missing": self.has_missing,
            "masses": self.masses.tolist(),
            "edges": self.edges.tolist(),
            "knots": self.knots.tolist(),
            "observed_min": self.observed_min,
            "observed_max": self.observed_max,
            "copies": list(self.copies),
            "step": self.step,
            "near": self.near,
            "near_edges": self.near_edges.tolist(),
            "near_knots": self.near_knots.tolist(),
        }

    def restore(self, state: dict[str, Any]) -> NumericalEncoder:
        self.has_missing = bool(state["has_missing"])
        self.masses = np.asarray(state["masses"], dtype=np.float64)
        self.edges = np.asarray(state["edges"], dtype=np.float64)
        self.knots = np.asarray(state["knots"], dtype=np.float64).reshape(-1, KNOTS_PER_BIN + 1)
        self.observed_min = float(state["observed_min"])
        self.observed_max = float(state["observed_max"])
        self.copies = tuple(state.get("copies", ()))  # models saved before copies had none
        self.step = state.get("step")
        self.near = state.get("near")  # models saved before offsets had none
        self.near_edges = np.asarray(state.get("near_edges", ()), dtype=np.float64)
        self.near_knots = np.asarray(state.get("near_knots", ()), dtype=np.float64).reshape(
            -1, KNOTS_PER_BIN + 1
        )
        return self


DATETIME_STEPS = (86_400.0, 3_600.0, 60.0, 1.0)
"""Whole days, hours, minutes, seconds: the steps a datetime column may keep (as a number's)."""


class DatetimeEncoder(NumericalEncoder):
    """A numerical encoder over whole seconds since the epoch; keeps the column's time zone and its
    step (a column of whole hours samples whole hours)."""

    kind = "datetime"
    steps = DATETIME_STEPS

    def __init__(self, column: ModelColumn, bins: int):
        super().__init__(column, bins)
        self.timezone: str | None = None

    needs_private_histogram = False

    def fit_private(self, values: pd.Series, epsilon: float, rng: np.random.Generator) -> DatetimeEncoder:
        raise GeneratorError(
            f"privacy: datetime column {self.column.name!r} has no declared bounds to lay its tokens "
            "out privately; model it as a number with min and max, or leave it out"
        )

    def _floats(self, values: pd.Series) -> np.ndarray:
        moments = pd.to_datetime(pd.Series(values), errors="coerce")
        if moments.dt.tz is not None:
            self.timezone = self.timezone or str(moments.dt.tz)
            moments = moments.dt.tz_convert("UTC").dt.tz_localize(None)
        nanoseconds = moments.to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(np.float64)
        return np.where(moments.isna().to_numpy(), np.nan, np.floor(nanoseconds / 1e9))

    def _as_column(self, seconds: np.ndarray) -> pd.Series:
        moments = pd.Series(pd.to_datetime(seconds, unit="s"))
        if self.timezone:
            moments = moments.dt.tz_localize("UTC").dt.tz_convert(self.timezone)
        return moments

    def condition_token(self, value: Any) -> int:
        if _is_missing_value(value):
            return self._missing_condition()
        return super().condition_token(self._floats(pd.Series([value]))[0])

    def state(self) -> dict[str, Any]:
        return {**super().state(), "timezone": self.timezone}

    def restore(self, state: dict[str, Any]) -> DatetimeEncoder:
        super().restore(state)
        self.timezone = state["timezone"]
        if self.step is None:  # models saved before numbers had steps: their resolution, or seconds
            self.step = float(state.get("resolution", 1))
        return self


class CategoricalEncoder(ColumnEncoder):
    """One token per category seen at least ``rare_min_count`` times, one pooled token for the rest."""

    kind = "categorical"

    def __init__(self, column: ModelColumn, rare_min_count: int):
        super().__init__(column)
        self.rare_min_count = rare_min_count
        self.categories: list[Any] = []
        self.has_rare = False

    @property
    def vocab_size(self) -> int:
        return 1 + len(self.categories) + int(self.has_rare)

    @property
    def other_token(self) -> int:
        return 1 + len(self.categories)

    @property
    def other_label(self) -> Any:
        """What the pooled rare token decodes to: 'other', or the most frequent category
        when the schema lists the allowed categories and 'other' is not one of them."""
        if self.column.categories and OTHER_LABEL not in self.column.categories and self.categories:
            return self.categories[0]
        return OTHER_LABEL

    def fit(self, values: pd.Series) -> CategoricalEncoder:
        self.has_missing = bool(values.isna().any())
        counts = values.dropna().value_counts()
        counts = counts[counts > 0]  # a categorical dtype lists categories that never occur
        kept = counts[counts >= self.rare_min_count]
        # Most frequent first; ties by the value's text, so the layout never depends on row order.
        order = sorted(
            zip(kept.index, kept.to_numpy(), strict=True), key=lambda item: (-item[1], str(item[0]))
        )
        self.categories = [
            category.item() if hasattr(category, "item") else category for category, _ in order
        ]
        self.has_rare = bool((counts < self.rare_min_count).any())
        return self

    def fit_private(self, values: pd.Series, epsilon: float, rng: np.random.Generator) -> CategoricalEncoder:
        self.categories = list(self.column.categories)
        undeclared = sorted(set(values.dropna().astype(str)) - set(self.categories))
        if undeclared:
            raise GeneratorError(
                f"privacy: column {self.column.name!r} holds values its declared categories lack: "
                f"{undeclared[:5]}"
            )
        return self

    def encode(self, values: pd.Series) -> np.ndarray:
        codes = pd.Categorical(values, categories=self.categories).codes.astype(np.int64)
        tokens = codes + 1
        tokens[(codes < 0) & values.notna().to_numpy()] = self.other_token
        return tokens

    def decode(self, tokens: np.ndarray, positions: np.ndarray | None) -> np.ndarray:
        labels = np.empty(self.vocab_size, dtype=object)
        labels[MISSING_TOKEN] = None
        labels[1 : 1 + len(self.categories)] = self.categories
        if self.has_rare:
            labels[self.other_token] = self.other_label
        return labels[tokens]

    def condition_token(self, value: Any) -> int:
        if _is_missing_value(value):
            return self._missing_condition()
        if self.column.categories and value not in self.column.categories:
            raise GeneratorError(f"condition {self.column.name}={value!r}: not an allowed category")
        if value in self.categories:
            return 1 + self.categories.index(value)
        if self.has_rare and value == self.other_label:
            return self.other_token
        raise GeneratorError(
            f"condition {self.column.name}={value!r}: the model never emits this value (not seen in "
            f"training, or seen fewer than {self.rare_min_count} times and protected as rare)"
        )

    def allowed_tokens(self) -> np.ndarray:
        allowed = np.ones(self.vocab_size, dtype=bool)
        allowed[MISSING_TOKEN] = self.has_missing
        return allowed

    def state(self) -> dict[str, Any]:
        return {"has_missing": self.has_missing, "categories": self.categories, "has_rare": self.has_rare}

    def restore(self, state: dict[str, Any]) -> CategoricalEncoder:
        self.has_missing = bool(state["has_missing"])
        self.categories = list(state["categories"])
        self.has_rare = bool(state["has_rare"])
        return self


class BooleanEncoder(ColumnEncoder):
    """Tokens: missing, False, True."""

    kind = "boolean"

    def __init__(self, column: ModelColumn):
        super().__init__(column)
        self.seen = [False, False]

    @property
    def vocab_size(self) -> int:
        return 3

    def fit(self, values: pd.Series) -> BooleanEncoder:
        tokens = self.encode(values)
        self.has_missing = bool((tokens == MISSING_TOKEN).any())
        self.seen = [bool((tokens == 1).any()), bool((tokens == 2).any())]
        return self

    def fit_private(self, values: pd.Series, epsilon: float, rng: np.random.Generator) -> BooleanEncoder:
        self.seen = [True, True]
        return self

    def encode(self, values: pd.Series) -> np.ndarray:
        missing = values.isna().to_numpy()
        truth = values.where(~missing, False).astype(bool).to_numpy()
        return np.where(missing, MISSING_TOKEN, 1 + truth.astype(np.int64))

    def decode(self, tokens: np.ndarray, positions: np.ndarray | None) -> pd.Series | np.ndarray:
        if not self.has_missing:
            return tokens == 2
        return pd.Series(pd.array(np.where(tokens == 0, None, tokens == 2), dtype="boolean"))

    def condition_token(self, value: Any) -> int:
        if _is_missing_value(value):
            return self._missing_condition()
        if value not in (True, False):
            raise GeneratorError(f"condition {self.column.name}={value!r}: not a boolean")
        token = 1 + int(bool(value))
        if not self.seen[token - 1]:
            raise GeneratorError(f"condition {self.column.name}={value!r}: never seen in training")
        return token

    def allowed_tokens(self) -> np.ndarray:
        return np.array([self.has_missing, *self.seen])

    def state(self) -> dict[str, Any]:
        return {"has_missing": self.has_missing, "seen": self.seen}

    def restore(self, state: dict[str, Any]) -> BooleanEncoder:
        self.has_missing = bool(state["has_missing"])
        self.seen = [bool(flag) for flag in state["seen"]]
        return self


def make_encoder(column: ModelColumn, bins: int, rare_min_count: int) -> ColumnEncoder:
    """An unfitted encoder for ``column``'s kind."""
    if column.kind == "numerical":
        return NumericalEncoder(column, bins)
    if column.kind == "datetime":
        return DatetimeEncoder(column, bins)
    if column.kind == "categorical":
        return CategoricalEncoder(column, rare_min_count)
    if column.kind == "boolean":
        return BooleanEncoder(column)
    raise GeneratorError(f"column {column.name!r}: unsupported kind {column.kind!r}")
