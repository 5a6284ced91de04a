"""The model-collapse experiment on real Adult rows: replacing real data with synthetic data decays,
accumulating it does not (CPU, about 40 s on two cores)."""

from __future__ import annotations

import pandas as pd
import pytest
from matplotlib.figure import Figure

from accrete.monitor.collapse import (
    COLUMNS,
    METRICS,
    collapse_figure,
    rare_categories,
    rare_category_recall,
    run_collapse_experiment,
    summarise_collapse,
    tail_mass_ratio,
    variance_ratio,
)
from bench.adult import load_adult
from tests.unit.adult_sample import adult_rows, adult_schema

TRAIN_ROWS = 1_000
HOLDOUT_ROWS = 3_000
GENERATIONS = 5
RARE_SHARE = 0.03
SEED = 0


@pytest.fixture(scope="module")
def real() -> tuple[pd.DataFrame, pd.DataFrame]:
    return adult_rows(TRAIN_ROWS), load_adult("test").head(HOLDOUT_ROWS)


@pytest.fixture(scope="module")
def experiment(real):
    train, holdout = real
    events = []
    result = run_collapse_experiment(
        train,
        holdout,
        adult_schema(),
        generations=GENERATIONS,
        seed=SEED,
        rare_share=RARE_SHARE,
        progress=events.append,
    )
    return result, events


def last(result: pd.DataFrame, policy: str) -> pd.Series:
    return result[result["policy"] == policy].iloc[-1]


def first(result: pd.DataFrame) -> pd.Series:
    return result.iloc[0]


def test_one_row_per_policy_and_generation_reported_as_they_come(experiment):
    result, events = experiment
    assert list(result.columns) == list(COLUMNS)
    assert result.groupby("policy")["generation"].apply(list).to_dict() == {
        "accumulate": list(range(GENERATIONS)),
        "replace": list(range(GENERATIONS)),
    }
    assert pd.DataFrame(events, columns=list(COLUMNS)).equals(result)
    replace, accumulate = (result[result["policy"] == policy] for policy in ("replace", "accumulate"))
    assert (replace["training_rows"] == TRAIN_ROWS).all()
    assert accumulate["training_rows"].tolist() == [TRAIN_ROWS * (k + 1) for k in range(GENERATIONS)]


def test_both_policies_take_the_same_gradient_steps(experiment):
    """Accumulate learns from k+1 times the rows in generation k: its batches are k+1 times larger,
    so the rows per batch, and with the same epochs the gradient steps, are the same as replace's."""
    result, _ = experiment
    steps = (result["training_rows"] / result["batch_size"]).round(6)
    assert steps.nunique() == 1, result[["policy", "generation", "training_rows", "batch_size"]]
    assert result["batch_size"].max() == GENERATIONS * result["batch_size"].min()


def test_generation_zero_is_one_model_shared_by_both_policies(experiment):
    result, _ = experiment
    zeros = result[result["generation"] == 0].set_index("policy")
    assert zeros.loc["replace"].equals(zeros.loc["accumulate"])
    assert result[list(METRICS)].notna().all().all()


def test_replacing_loses_rare_categories_for_good_and_accumulating_keeps_them(real, experiment):
    # The monitor's models emit every category they saw (no rare-category protection): under replace a
    # rare category that one generation's sample misses is gone from every later one; under accumulate
    # the real rows bring it back. Measured with seeds 0-2 (equal gradient steps for both policies):
    # replace emitted 40 -> 24, 39 -> 24, 36 -> 22 of the rare categories, accumulate 40 -> 29, 39 -> 36,
    # 36 -> 26 (its batches, five times larger by generation 4, fit the rarest ones less closely).
    result, _ = experiment
    train, _ = real
    rare_total = sum(
        len(categories) for categories in rare_categories(train, adult_schema(), RARE_SHARE).values()
    )
    emitted = result.pivot(index="generation", columns="policy", values="rare_category_recall") * rare_total
    assert emitted["replace"].is_monotonic_decreasing
    assert emitted["replace"].iloc[-1] <= emitted["replace"].iloc[0] - 8 + 1e-9
    assert emitted["accumulate"].iloc[-1] >= emitted["replace"].iloc[-1] + 2 - 1e-9


def test_replacing_loses_quality_and_accumulating_keeps_it(experiment):
    # Measured with seeds 0-2 (equal gradient steps): accumulate's last generation beat replace's by
    # 0.025, 0.113 and 0.041, and was 0.063, 0.036 and 0.007 below generation 0; replace 0.088, 0.149 and
    # 0.048 below. Variance and tail ratios are too noisy at this size to assert.
    result, _ = experiment
    assert last(result, "replace")["quality"] < last(result, "accumulate")["quality"] - 0.02
    assert last(result, "accumulate")["quality"] > first(result)["quality"] - 0.08


def test_metrics_are_one_for_the_holdout_itself_and_fall_when_its_spread_shrinks(real):
    train, holdout = real
    numerical = [column.name for column in adult_schema().columns if column.kind == "numerical"]
    assert variance_ratio(holdout, holdout, numerical) == pytest.approx(1.0)
    assert tail_mass_ratio(holdout, holdout, numerical) == pytest.approx(1.0)
    squeezed = holdout.copy()
    squeezed[numerical] = (holdout[numerical] + holdout[numerical].median()) / 2
    assert variance_ratio(squeezed, holdout, numerical) == pytest.approx(0.25)
    assert tail_mass_ratio(squeezed, holdout, numerical) < 0.5
    rare = rare_categories(train, adult_schema(), 0.01)
    assert "Holand-Netherlands" not in rare["native_country"] and "Cuba" in rare["native_country"]
    assert rare_category_recall(train, rare) == 1.0
    without_cuba = train[train["native_country"] != "Cuba"]
    total = sum(len(categories) for categories in rare.values())
    assert rare_category_recall(without_cuba, rare) == pytest.approx((total - 1) / total)


def test_summary_and_figure(experiment):
    result, _ = experiment
    summary = summarise_collapse(result)
    assert set(summary) == {
        f"{policy}/{metric}" for policy in ("replace", "accumulate") for metric in METRICS
    }
    expected = last(result, "replace")["rare_category_recall"] / first(result)["rare_category_recall"]
    assert summary["replace/rare_category_recall"] == pytest.approx(expected)
    assert summary["replace/rare_category_recall"] < summary["accumulate/rare_category_recall"]
    figure = collapse_figure(result)
    assert isinstance(figure, Figure) and len(figure.axes) == len(METRICS)
    for axes in figure.axes:
        curves = [line for line in axes.get_lines() if line.get_label() in ("replace", "accumulate")]
        assert [line.get_label() for line in curves] == ["replace", "accumulate"]
        assert all(list(line.get_xdata()) == list(range(GENERATIONS)) for line in curves)


def test_same_seed_same_frame_and_another_seed_another(real):
    train, holdout = real

    def small_run(seed: int) -> pd.DataFrame:
        return run_collapse_experiment(
            train.head(300), holdout.head(300), adult_schema(), generations=2, quality_max_rows=100, seed=seed
        )

    reference = small_run(SEED)
    pd.testing.assert_frame_equal(small_run(SEED), reference)
    assert not small_run(SEED + 1).equals(reference)


def test_bad_arguments_are_refused_by_name(real):
    train, holdout = real
    schema = adult_schema()
    with pytest.raises(ValueError, match="generations must be an integer >= 1, got 0"):
        run_collapse_experiment(train, holdout, schema, generations=0)
    with pytest.raises(ValueError, match="the training frame is empty"):
        run_collapse_experiment(train.head(0), holdout, schema)
    with pytest.raises(ValueError, match="the holdout frame lacks the schema's column.s. age"):
        run_collapse_experiment(train, holdout.drop(columns="age"), schema)
    with pytest.raises(ValueError, match="rare_share must be between 0 and 1"):
        run_collapse_experiment(train, holdout, schema, rare_share=1.5)
