"""Column encoders: exact inverses for categories, within-bin for numbers, missing values, rare values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from accrete.generator.autoregressive.encoders import (
    MISSING_TOKEN,
    OTHER_LABEL,
    BooleanEncoder,
    CategoricalEncoder,
    DatetimeEncoder,
    NumericalEncoder,
    make_encoder,
)
from accrete.generator.base import GeneratorError
from accrete.table_schema import ModelColumn


def _numbers(rows: int = 5_000) -> pd.Series:
    rng = np.random.default_rng(0)
    values = np.where(rng.random(rows) < 0.6, 0.0, rng.lognormal(8, 1, rows).round())
    values[rng.random(rows) < 0.05] = np.nan
    return pd.Series(values)


def test_numbers_decode_within_their_bin_and_masses_exactly():
    values = _numbers()
    encoder = NumericalEncoder(ModelColumn("gain", "numerical", integer=True), bins=16).fit(values)
    tokens = encoder.encode(values)
    decoded = encoder.decode(tokens, encoder.positions(values))
    present = values.notna().to_numpy()
    assert encoder.masses.tolist() == [0.0]
    assert (tokens[~present] == MISSING_TOKEN).all() and np.isnan(decoded[~present]).all()
    assert (decoded[values.to_numpy() == 0] == 0).all()
    assert np.allclose(decoded[present], values[present], atol=1.0)
    redrawn = encoder.decode(tokens, np.random.default_rng(1).random(len(tokens)))
    assert (encoder.encode(pd.Series(redrawn)) == tokens).mean() > 0.99
    assert np.array_equal(redrawn[present], np.round(redrawn[present]))


def test_numbers_are_clipped_to_schema_bounds():
    values = pd.Series(np.linspace(-10, 110, 1_000))
    encoder = NumericalEncoder(ModelColumn("score", "numerical", minimum=0, maximum=100), bins=8).fit(values)
    decoded = encoder.decode(encoder.encode(values), np.random.default_rng(0).random(len(values)))
    assert decoded.min() >= 0 and decoded.max() <= 100
    with pytest.raises(GeneratorError, match="outside the trained range"):
        encoder.condition_token(500)


def test_categories_are_exact_inverses_and_rare_ones_are_pooled():
    values = pd.Series(["a"] * 50 + ["b"] * 20 + ["rare1", "rare2"] + [None] * 3)
    encoder = CategoricalEncoder(ModelColumn("c", "categorical"), rare_min_count=5).fit(values)
    decoded = encoder.decode(encoder.encode(values), np.zeros(len(values)))
    kept = values.isin(["a", "b"]).to_numpy()
    assert list(decoded[kept]) == list(values[kept])
    assert set(decoded[values.isin(["rare1", "rare2"]).to_numpy()]) == {OTHER_LABEL}
    assert all(value is None for value in decoded[values.isna().to_numpy()])
    every_token = encoder.decode(np.arange(encoder.vocab_size), np.zeros(encoder.vocab_size))
    assert "rare1" not in set(every_token) and "rare2" not in set(every_token)
    with pytest.raises(GeneratorError, match="rare"):
        encoder.condition_token("rare1")


def test_closed_category_set_decodes_rare_values_to_an_allowed_one():
    column = ModelColumn("c", "categorical", categories=("a", "b", "z"))
    encoder = CategoricalEncoder(column, rare_min_count=5).fit(pd.Series(["a"] * 9 + ["b"] * 6 + ["z"]))
    assert encoder.decode(np.array([encoder.other_token]), np.zeros(1))[0] == "a"
    with pytest.raises(GeneratorError, match="not an allowed category"):
        encoder.condition_token("q")


def test_high_cardinality_categories_round_trip():
    rng = np.random.default_rng(0)
    values = pd.Series([f"N{number:05d}" for number in rng.integers(0, 4_000, 60_000)])
    encoder = CategoricalEncoder(ModelColumn("tailnum", "categorical"), rare_min_count=5).fit(values)
    assert encoder.vocab_size > 3_000
    tokens = encoder.encode(values)
    decoded = encoder.decode(tokens, np.zeros(len(tokens)))
    kept = tokens != encoder.other_token
    assert (decoded[kept] == values.to_numpy()[kept]).all()


def test_datetimes_keep_their_time_zone_and_bin():
    moments = pd.Series(pd.date_range("2013-01-01", periods=2_000, freq="37min", tz="UTC"))
    encoder = DatetimeEncoder(ModelColumn("time_hour", "datetime"), bins=16).fit(moments)
    decoded = encoder.decode(encoder.encode(moments), encoder.positions(moments))
    assert str(decoded.dt.tz) == "UTC"
    assert (decoded - moments).abs().max() <= pd.Timedelta(seconds=1)


def test_booleans_with_missing_values_round_trip():
    values = pd.Series([True, False, None, True], dtype="boolean")
    encoder = BooleanEncoder(ModelColumn("flag", "boolean")).fit(values)
    decoded = encoder.decode(encoder.encode(values), np.zeros(4))
    assert decoded.tolist()[:2] == [True, False] and pd.isna(decoded[2])


def test_state_restores_the_same_encoder():
    values = _numbers()
    column = ModelColumn("gain", "numerical", integer=True)
    fitted = NumericalEncoder(column, bins=16).fit(values)
    restored = make_encoder(column, bins=16, rare_min_count=5).restore(fitted.state())
    positions = np.random.default_rng(2).random(len(values))
    tokens = fitted.encode(values)
    assert np.array_equal(restored.encode(values), tokens)
    assert np.array_equal(
        restored.decode(tokens, positions), fitted.decode(tokens, positions), equal_nan=True
    )
