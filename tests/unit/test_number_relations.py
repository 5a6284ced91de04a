"""Relations between numbers survive generation: a value equal to an earlier column's (copy
tokens), a value close to an earlier column's (offset tokens) and the column's step (round amounts
stay round)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from accrete.generator.autoregressive.backend import FORMAT_VERSION, MANIFEST_FILE, AutoregressiveBackend
from accrete.generator.autoregressive.encoders import DatetimeEncoder, NumericalEncoder
from accrete.generator.base import GeneratorError
from accrete.table_schema import ModelColumn, TableSchema

FAST = {"epochs": 15, "batch_size": 256, "learning_rate": 0.01, "max_seconds": None, "patience": 15}
SCHEMA = TableSchema(
    (
        ModelColumn("bill", "numerical", integer=True, minimum=0),
        ModelColumn("payment", "numerical", integer=True, minimum=0),
        ModelColumn("limit", "numerical", integer=True, minimum=0),
    )
)


def _bills(rows: int = 4_000) -> pd.DataFrame:
    """Bills; 40% of payments pay the whole bill, the rest part of it; limits in whole thousands
    but for one stray limit."""
    rng = np.random.default_rng(0)
    bill = rng.lognormal(9, 1, rows).round()
    payment = np.where(rng.random(rows) < 0.4, bill, (bill * rng.uniform(0.01, 0.9, rows)).round())
    limit = rng.integers(10, 500, rows) * 1_000
    limit[0] = 12_345
    return pd.DataFrame({"bill": bill, "payment": payment, "limit": limit}).astype("int64")


def _fitted(schema: TableSchema, data: pd.DataFrame) -> tuple[AutoregressiveBackend, pd.DataFrame]:
    generator = AutoregressiveBackend(schema, FAST, seed=3)
    generator.fit(data)
    return generator, data


def _encoder(generator: AutoregressiveBackend, name: str) -> NumericalEncoder:
    return next(encoder for encoder in generator.encoders if encoder.column.name == name)


@pytest.fixture(scope="module")
def fitted():
    return _fitted(SCHEMA, _bills())


def test_a_payment_equal_to_the_bill_is_kept_as_a_copy(fitted):
    generator, data = fitted
    payment = _encoder(generator, "payment")
    assert payment.copies == ("bill",)
    rows = generator.sample(4_000, seed=1)
    real_share = (data.payment == data.bill).mean()
    assert abs((rows.payment == rows.bill).mean() - real_share) < 0.05
    assert (rows.payment[rows.payment != rows.bill] < rows.bill[rows.payment != rows.bill]).mean() > 0.8


def test_a_column_equal_to_an_earlier_one_only_by_chance_copies_nothing():
    """A delay of 1 to 12 equals an independent month in about 3% of the rows: chance, not a copy."""
    rng = np.random.default_rng(2)
    month = pd.Series(rng.integers(1, 13, 6_000).astype(float))
    delay = pd.Series(
        np.concatenate([rng.integers(1, 13, 2_000), rng.integers(13, 400, 4_000)]).astype(float)
    )
    encoder = NumericalEncoder(ModelColumn("delay", "numerical", integer=True), bins=32).fit(delay)
    assert (encoder.encode(delay) > len(encoder.masses)).mean() > 0.5
    assert ((month == delay).mean()) > 0.02
    assert encoder.fit_relations(delay, {"month": month}).copies == ()


def test_a_column_equal_to_no_earlier_one_copies_nothing(fitted):
    generator, _ = fitted
    assert _encoder(generator, "limit").copies == ()


def test_a_copy_follows_a_conditioned_source(fitted):
    generator, _ = fitted
    rows = generator.sample(2_000, conditions={"bill": 20_000}, seed=2)
    assert (rows.bill == 20_000).all()
    assert 0.2 < (rows.payment == 20_000).mean() < 0.6


def test_round_amounts_stay_round_despite_a_stray_value(fitted):
    generator, _ = fitted
    rows = generator.sample(4_000, seed=4)
    assert (rows.limit % 1_000 == 0).all()
    assert rows.limit.between(10_000, 499_000).all()


def test_copies_and_steps_survive_save_and_load(fitted, tmp_path):
    generator, _ = fitted
    generator.save(tmp_path)
    loaded = AutoregressiveBackend.load(tmp_path, SCHEMA)
    assert loaded.sample(1_000, seed=5).equals(generator.sample(1_000, seed=5))


def test_a_copy_of_a_missing_value_is_drawn_from_the_bins_instead():
    values = pd.Series(np.arange(1_000, dtype=float))
    encoder = NumericalEncoder(ModelColumn("x", "numerical", integer=True), bins=8).fit(values)
    encoder.copies = ("source",)
    tokens = np.full(4, encoder.first_copy_token)
    decoded = encoder.decode(tokens, np.array([0.1, 0.4, 0.6, 0.9]), [np.array([7.0, np.nan, 8.0, np.nan])])
    assert decoded[0] == 7 and decoded[2] == 8
    assert 0 <= decoded[1] <= 999 and 0 <= decoded[3] <= 999 and decoded[1] < decoded[3]


def test_fractional_steps_decode_to_their_decimals():
    values = pd.Series(np.random.default_rng(0).integers(0, 10_000, 2_000) / 10)
    encoder = NumericalEncoder(ModelColumn("x", "numerical"), bins=16).fit(values)
    decoded = encoder.decode(encoder.encode(values), np.random.default_rng(1).random(len(values)))
    assert encoder.step == 0.1
    assert np.array_equal(decoded, np.round(decoded, 1))


def test_a_datetime_model_saved_before_steps_keeps_whole_seconds():
    moments = pd.Series(pd.to_datetime("2024-01-01") + pd.to_timedelta(np.arange(500) * 1.5, unit="s"))
    column = ModelColumn("at", "datetime")
    state = DatetimeEncoder(column, bins=8).fit(moments).state()
    del state["step"]
    restored = DatetimeEncoder(column, bins=8).restore(state)
    decoded = restored.decode(restored.encode(moments), np.random.default_rng(0).random(len(moments)))
    assert (decoded.dt.microsecond == 0).all() and (decoded.dt.nanosecond == 0).all()


@pytest.mark.parametrize(
    ("values", "step"),
    [
        ([0.25, 1.5, 3.75, 10.0], 0.01),
        ([100.0, 2_500.0, 7_000.0], 100.0),
        ([1.0, 2.0, 3.0], 1.0),
        ([np.pi, np.e], None),
    ],
)
def test_the_step_is_the_largest_power_of_ten_dividing_the_values(values, step):
    encoder = NumericalEncoder(ModelColumn("x", "numerical"), bins=4).fit(pd.Series(values * 50))
    assert encoder.step == step


def test_a_frequent_value_off_the_grid_keeps_the_step_from_rounding_it():
    """5.0 is 0.4% of the rows, a point mass with 400 bins; every other value is a whole hundred."""
    values = pd.Series([5.0] * 4 + [float(v) for v in range(100, 100_100, 100)])
    encoder = NumericalEncoder(ModelColumn("x", "numerical"), bins=400).fit(values)
    assert encoder.masses.tolist() == [5.0] and encoder.step == 1.0
    tokens = encoder.encode(pd.Series([5.0]))
    assert encoder.decode(tokens, np.array([0.5])).tolist() == [5.0]


def _balances(rows: int = 4_000) -> pd.DataFrame:
    """Last month's balance, and this month's: half within 0.5% of it, the rest anywhere."""
    rng = np.random.default_rng(1)
    last = rng.lognormal(10, 1, rows).round()
    close = (last * rng.uniform(0.995, 1.005, rows)).round()
    now = np.where(rng.random(rows) < 0.5, close, rng.permutation(last))
    return pd.DataFrame({"last": last, "now": now}).astype("int64")


BALANCES = TableSchema(
    (ModelColumn("last", "numerical", integer=True, minimum=0), ModelColumn("now", "numerical", integer=True))
)


@pytest.fixture(scope="module")
def balances():
    return _fitted(BALANCES, _balances())


def _close_share(rows: pd.DataFrame) -> float:
    return float(((rows.now - rows["last"]).abs() <= 0.005 * rows["last"]).mean())


def test_a_number_close_to_an_earlier_one_keeps_how_often_and_how_close(balances):
    """Without offset tokens a value within 0.5% of the last balance is drawn within its bin, which is
    far wider: such rows fall from half to a few percent."""
    generator, data = balances
    now = _encoder(generator, "now")
    assert now.near == "last" and len(now.near_knots) > 1
    rows = generator.sample(4_000, seed=1)
    assert abs(_close_share(rows) - _close_share(data)) < 0.06


def test_an_offset_follows_a_conditioned_source(balances):
    generator, _ = balances
    rows = generator.sample(2_000, conditions={"last": 50_000}, seed=2)
    assert (rows["last"] == 50_000).all()
    assert 0.35 < _close_share(rows) < 0.65


def test_a_condition_on_the_column_with_offsets_is_trained_as_its_own_bin(balances):
    """Training shows a conditioned column as the bin a condition fixes: had it shown offset tokens
    there, the bin would tell the model "far from the source" and 0.2% of rows would be close."""
    generator, _ = balances
    rows = generator.sample(2_000, conditions={"now": 50_000}, seed=2)
    assert (rows.now == 50_000).all()
    assert _close_share(rows) > 0.01


def test_an_offset_from_a_missing_value_is_drawn_from_the_bins_instead(balances):
    generator, _ = balances
    now = _encoder(generator, "now")
    tokens = np.full(3, now.first_near_token)
    sources = [np.array([1_000.0, np.nan, 2_000.0])] * len(now.sources)
    decoded = now.decode(tokens, np.array([0.2, 0.5, 0.8]), sources)
    low, high = now.near_knots.min() - 1, now.near_knots.max() + 1  # offsets rounded to whole numbers
    assert low <= decoded[0] - 1_000 <= high and low <= decoded[2] - 2_000 <= high
    assert now.observed_min <= decoded[1] <= now.observed_max


def test_offsets_survive_save_and_load(balances, tmp_path):
    generator, _ = balances
    generator.save(tmp_path)
    loaded = AutoregressiveBackend.load(tmp_path, BALANCES)
    assert loaded.sample(1_000, seed=5).equals(generator.sample(1_000, seed=5))


def test_a_model_from_a_newer_format_is_refused_by_name(balances, tmp_path):
    generator, _ = balances
    generator.save(tmp_path)
    manifest = json.loads((tmp_path / MANIFEST_FILE).read_text())
    manifest["format_version"] = FORMAT_VERSION + 1
    (tmp_path / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(
        GeneratorError, match=f"format version {FORMAT_VERSION + 1}, written by a newer Accrete"
    ):
        AutoregressiveBackend.load(tmp_path, BALANCES)
