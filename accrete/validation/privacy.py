"""Privacy gates: distance to closest record, exact copies, rare quasi-identifier combinations.

Every gate compares the synthetic table with the real holdout, which the generator never saw:
a holdout row is a fresh person from the same population, so whatever the holdout does by
chance (lie close to a training row, equal one, share a rare combination with one) is the
baseline, and the synthetic table fails only when it does clearly more of it.

Distance to closest record (DCR). Distances are Euclidean on ``TableEncoder`` features: the
root mean square over columns of the per-column difference (a full-range numerical gap or a
category mismatch counts 1), so 0 is an exact copy. For each synthetic row we find its
nearest training row and its nearest holdout row. If synthetic rows were fresh draws from the
population, the nearest of all ``n_train + n_holdout`` real rows would be a training row with
probability ``n_train / (n_train + n_holdout)`` (0.5 for equal sizes), so that is the expected
share of synthetic rows closer to training than to holdout; ties count at the expected share.
A memorizing generator pushes the share towards 1. The gate also counts *close records*:
synthetic rows nearer to a training row than 95% of holdout rows are (the holdout's
5th-percentile distance), which fresh draws are in 5% of cases and memorized rows always are.
Both shares are judged by their 95% interval: a gate fails when even the interval's low end is
above what fresh rows allow, so a few memorized rows among many fail it while noise does not.

Scale. Exact search costs ``rows x reference rows x features``: all 300,000 synthetic rows
against 300,000 real rows take minutes on a 2-core CPU, but under a second on a GPU. So by
default every row is searched on a GPU, while on a CPU the DCR is estimated from a seeded
sample of ``CPU_QUERY_ROWS`` synthetic rows (and as many holdout rows), each searched
exactly against all training and holdout rows; the outcome reports the sample size and a
95% confidence interval for each share (Wilson) and for the 5th percentiles (order
statistics). Exact copies and rare combinations are counted exactly over every row (hash
lookups, linear in the number of rows) and judged by the 95% interval of their rate's excess
over the holdout's rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from accrete.table_schema import TableSchema
from accrete.validation.feature_encoding import TableEncoder, row_hashes
from accrete.validation.intervals import difference_interval, percentile_interval, wilson_interval
from accrete.validation.markdown import markdown_table
from accrete.validation.nearest_neighbours import nearest_neighbours, resolve_device
from accrete.validation.outcome import GateOutcome

CPU_QUERY_ROWS = 10_000
PERCENTILE = 0.05
EXAMPLE_ROWS = 5


def _sample_positions(total: int, limit: int | None, rng: np.random.Generator) -> np.ndarray:
    if limit is None or total <= limit:
        return np.arange(total)
    return np.sort(rng.choice(total, size=limit, replace=False))


@dataclass
class DistanceToClosestRecord:
    """Nearest-real-row distances of (a sample of) the synthetic rows and of the holdout rows."""

    synthetic_to_train: np.ndarray
    """Per searched synthetic row, the distance to its nearest training row."""
    synthetic_to_holdout: np.ndarray
    holdout_to_train: np.ndarray
    """Per searched holdout row, the distance to its nearest training row: the baseline."""
    synthetic_positions: np.ndarray
    """Row positions, in the synthetic table, of the searched synthetic rows."""
    nearest_train_positions: np.ndarray
    """Row positions, in the training table, of each searched synthetic row's nearest neighbour."""
    synthetic_rows: int
    holdout_rows: int
    train_rows: int
    device: str

    @property
    def sampled(self) -> bool:
        return len(self.synthetic_to_train) < self.synthetic_rows

    @property
    def expected_share(self) -> float:
        """The share closer to training that fresh draws from the population would show."""
        return self.train_rows / (self.train_rows + self.holdout_rows)

    @property
    def share_closer_to_training(self) -> float:
        closer = (self.synthetic_to_train < self.synthetic_to_holdout).sum()
        ties = (self.synthetic_to_train == self.synthetic_to_holdout).sum()
        return float((closer + ties * self.expected_share) / len(self.synthetic_to_train))

    @property
    def share_interval(self) -> tuple[float, float]:
        """95% interval for the generator's share: the synthetic rows are themselves a random draw."""
        return wilson_interval(
            self.share_closer_to_training * len(self.synthetic_to_train), len(self.synthetic_to_train)
        )

    @property
    def close_share(self) -> float:
        """Share of searched synthetic rows nearer to a training row than the holdout's 5th percentile."""
        return float((self.synthetic_to_train < self.holdout_p5).mean())

    @property
    def close_interval(self) -> tuple[float, float]:
        return wilson_interval(self.close_share * len(self.synthetic_to_train), len(self.synthetic_to_train))

    @property
    def synthetic_p5(self) -> float:
        return float(np.quantile(self.synthetic_to_train, PERCENTILE))

    @property
    def holdout_p5(self) -> float:
        return float(np.quantile(self.holdout_to_train, PERCENTILE))


def distance_to_closest_record(
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: TableSchema,
    max_query_rows: int | None = None,
    seed: int = 0,
    device: str | torch.device | None = None,
) -> DistanceToClosestRecord:
    """Distances from synthetic rows to their nearest training and holdout rows, and from holdout to training.

    ``max_query_rows`` caps how many synthetic rows (and holdout rows) are searched, as a
    seeded sample; ``None`` means every row on a GPU and ``CPU_QUERY_ROWS`` on a CPU.
    References are never sampled: each searched row's nearest neighbour is exact.
    """
    target = resolve_device(device)
    if max_query_rows is None and target.type != "cuda":
        max_query_rows = CPU_QUERY_ROWS
    encoder = TableEncoder(schema, train)
    rng = np.random.default_rng(seed)
    synthetic_positions = _sample_positions(len(synthetic), max_query_rows, rng)
    holdout_positions = _sample_positions(len(holdout), max_query_rows, rng)

    train_features = encoder.distance_features(train)
    holdout_features = encoder.distance_features(holdout)
    synthetic_features = encoder.distance_features(synthetic.iloc[synthetic_positions])
    synthetic_to_train, nearest_train = nearest_neighbours(synthetic_features, train_features, target)
    synthetic_to_holdout, _ = nearest_neighbours(synthetic_features, holdout_features, target)
    holdout_to_train, _ = nearest_neighbours(holdout_features[holdout_positions], train_features, target)
    return DistanceToClosestRecord(
        synthetic_to_train=synthetic_to_train,
        synthetic_to_holdout=synthetic_to_holdout,
        holdout_to_train=holdout_to_train,
        synthetic_positions=synthetic_positions,
        nearest_train_positions=nearest_train,
        synthetic_rows=len(synthetic),
        holdout_rows=len(holdout),
        train_rows=len(train),
        device=str(target),
    )


def _closest_pairs_markdown(
    dcr: DistanceToClosestRecord, train: pd.DataFrame, synthetic: pd.DataFrame
) -> str:
    """The synthetic rows closest to a training row, each followed by that training row."""
    closest = np.argsort(dcr.synthetic_to_train, kind="stable")[:EXAMPLE_ROWS]
    pieces = []
    for position in closest:
        synthetic_row = synthetic.iloc[[dcr.synthetic_positions[position]]].assign(row="synthetic")
        train_row = train.iloc[[dcr.nearest_train_positions[position]]].assign(row="nearest training")
        pair = pd.concat([synthetic_row, train_row]).assign(
            distance=round(float(dcr.synthetic_to_train[position]), 4)
        )
        pieces.append(pair)
    table = pd.concat(pieces)
    return markdown_table(table[["row", "distance", *synthetic.columns]], max_rows=2 * EXAMPLE_ROWS)


def dcr_gate(
    dcr: DistanceToClosestRecord,
    train: pd.DataFrame,
    synthetic: pd.DataFrame,
    max_share_above_expected: float = 0.05,
    max_close_share: float = 0.08,
) -> GateOutcome:
    """Fails when synthetic rows sit closer to training than fresh real rows do.

    Two conditions, each on the low end of a 95% interval: the share of synthetic rows closer to
    training than to holdout is above its expected value plus ``max_share_above_expected``, or
    the share of close records (nearer to training than the holdout's 5th-percentile distance;
    5% for fresh rows) is above ``max_close_share``.
    """
    share, expected = dcr.share_closer_to_training, dcr.expected_share
    low, high = dcr.share_interval
    close_low, close_high = dcr.close_interval
    share_ok = low <= expected + max_share_above_expected
    close_ok = close_low <= max_close_share
    searched = len(dcr.synthetic_to_train)
    sample_note = (
        f", estimated on a seeded sample of {searched:,} of {dcr.synthetic_rows:,} synthetic rows"
        if dcr.sampled
        else ""
    )
    summary = (
        f"{share:.1%} of synthetic rows are closer to a training row than to a holdout row (95% CI "
        f"{low:.1%}-{high:.1%}{sample_note}; fresh rows: {expected:.1%}, fails when the interval is wholly "
        f"above {expected + max_share_above_expected:.1%}); {dcr.close_share:.1%} are nearer to a training row "
        f"than 95% of holdout rows are (95% CI {close_low:.1%}-{close_high:.1%}; fresh rows: {PERCENTILE:.0%}, "
        f"fails when wholly above {max_close_share:.1%}). 5th-percentile distance to training: "
        f"{dcr.synthetic_p5:.4f} for synthetic rows, {dcr.holdout_p5:.4f} for holdout rows."
    )
    metrics = {
        "share_closer_to_training": share,
        "expected_share": expected,
        "share_ci_low": low,
        "share_ci_high": high,
        "close_share": dcr.close_share,
        "close_share_ci_low": close_low,
        "close_share_ci_high": close_high,
        "synthetic_p5_distance": dcr.synthetic_p5,
        "holdout_p5_distance": dcr.holdout_p5,
        "synthetic_median_distance": float(np.median(dcr.synthetic_to_train)),
        "holdout_median_distance": float(np.median(dcr.holdout_to_train)),
        "searched_synthetic_rows": float(searched),
        "searched_holdout_rows": float(len(dcr.holdout_to_train)),
    }
    if dcr.sampled:
        metrics["synthetic_p5_ci_low"], metrics["synthetic_p5_ci_high"] = percentile_interval(
            dcr.synthetic_to_train, PERCENTILE
        )
    passed = share_ok and close_ok
    details = ""
    if not passed:
        details = (
            "### Synthetic rows closest to training rows\n\n"
            "Distance 0 is an exact copy; 1 is one full column apart on average.\n\n"
            + _closest_pairs_markdown(dcr, train, synthetic)
        )
    ceilings = {"share_closer_to_training": expected, "close_share": PERCENTILE}
    return GateOutcome("distance_to_closest_record", passed, summary, metrics, details, ceilings)


def exact_copies_gate(
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: TableSchema,
    max_copy_rate_above_holdout: float = 0.0,
) -> GateOutcome:
    """Fails when the share of synthetic rows identical to a training row exceeds the holdout's own
    rate of coinciding with a training row by more than ``max_copy_rate_above_holdout``, even at
    the low end of the excess's 95% interval."""
    train_hashes = np.unique(row_hashes(train, schema))
    copied = np.isin(row_hashes(synthetic, schema), train_hashes)
    holdout_copies = np.isin(row_hashes(holdout, schema), train_hashes)
    holdout_rate = float(holdout_copies.mean()) if len(holdout) else 0.0
    copy_rate = float(copied.mean()) if len(synthetic) else 0.0
    low, high = difference_interval(copied.sum(), len(synthetic), holdout_copies.sum(), len(holdout))
    passed = low <= max_copy_rate_above_holdout
    summary = (
        f"{int(copied.sum()):,} of {len(synthetic):,} synthetic rows ({copy_rate:.2%}) are exact copies of a "
        f"training row, against {holdout_rate:.2%} of holdout rows that equal one by chance (excess 95% CI "
        f"{low:+.2%} to {high:+.2%}; fails when wholly above {max_copy_rate_above_holdout:+.2%})."
    )
    details = ""
    if not passed:
        details = "### Synthetic rows copied from training\n\n" + markdown_table(
            synthetic[copied], EXAMPLE_ROWS
        )
    metrics = {
        "copies": float(copied.sum()),
        "copy_rate": copy_rate,
        "holdout_copy_rate": holdout_rate,
        "excess_ci_low": low,
        "excess_ci_high": high,
    }
    return GateOutcome("exact_copies", passed, summary, metrics, details, {"copy_rate": holdout_rate})


def rare_combination_gate(
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: TableSchema,
    quasi_identifiers: Sequence[str],
    max_rate_above_holdout: float = 0.0,
) -> GateOutcome:
    """Fails when synthetic rows reproduce quasi-identifier combinations unique in the training data
    more often than holdout rows do, by more than ``max_rate_above_holdout`` even at the low end of
    the excess's 95% interval.

    A combination held by exactly one training row singles that person out; a synthetic row
    with the same combination points at them. Numerical quasi-identifiers compare exactly, so
    they should be generalised (binned) by the caller when they are continuous.
    """
    columns = list(quasi_identifiers)
    train_keys = pd.Series(row_hashes(train, schema, columns))
    counts = train_keys.value_counts()
    unique_keys = counts.index[counts == 1].to_numpy()
    synthetic_hits = np.isin(row_hashes(synthetic, schema, columns), unique_keys)
    holdout_hits = np.isin(row_hashes(holdout, schema, columns), unique_keys)
    rate = float(synthetic_hits.mean()) if len(synthetic) else 0.0
    holdout_rate = float(holdout_hits.mean()) if len(holdout) else 0.0
    low, high = difference_interval(synthetic_hits.sum(), len(synthetic), holdout_hits.sum(), len(holdout))
    passed = low <= max_rate_above_holdout
    summary = (
        f"{int(synthetic_hits.sum()):,} synthetic rows ({rate:.2%}) reproduce one of the {len(unique_keys):,} "
        f"combinations of {', '.join(columns)} that belong to a single training row, against {holdout_rate:.2%} "
        f"of holdout rows (excess 95% CI {low:+.2%} to {high:+.2%}; fails when wholly above "
        f"{max_rate_above_holdout:+.2%})."
    )
    details = ""
    if not passed:
        examples = (
            synthetic.loc[synthetic_hits, columns].value_counts().rename("synthetic_rows").reset_index()
        )
        details = "### Unique training combinations reproduced most often\n\n" + markdown_table(
            examples, EXAMPLE_ROWS
        )
    metrics = {
        "unique_training_combinations": float(len(unique_keys)),
        "synthetic_rows_reproducing": float(synthetic_hits.sum()),
        "synthetic_rate": rate,
        "holdout_rate": holdout_rate,
        "excess_ci_low": low,
        "excess_ci_high": high,
    }
    return GateOutcome(
        "rare_combinations", passed, summary, metrics, details, {"synthetic_rate": holdout_rate}
    )
