"""The mixed table: validated generations kept without duplicates, and the synthetic share cap."""

import duckdb
import pytest

from accrete.mix.mixed import keep_generation, mixed_table_sql, synthetic_rows_allowed


@pytest.mark.parametrize(
    ("real", "synthetic", "share", "allowed"),
    [
        (700, 1000, 0.3, 300),  # 300 / (700 + 300) = 30%
        (700, 100, 0.3, 100),  # fewer synthetic rows than the cap: all of them
        (1000, 5000, 0.5, 1000),
        (1000, 5000, 0.0, 0),
        (0, 5000, 0.3, 0),  # never synthetic rows without real ones
    ],
)
def test_cap_keeps_share_at_most_the_limit(real, synthetic, share, allowed):
    result = synthetic_rows_allowed(real, synthetic, share)
    assert result == allowed
    if real + result:
        assert result / (real + result) <= share + 1e-12


def test_cap_rejects_bad_values():
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        synthetic_rows_allowed(10, 10, 1.0)
    with pytest.raises(ValueError, match="negative"):
        synthetic_rows_allowed(-1, 10, 0.2)


def write_generation(connection, version: str, rows: int) -> None:
    connection.execute(
        "create or replace table synthetic.flights_synthetic as select 'synthetic' as _source, "
        "null::varchar as _real_partition, null::varchar as _real_row_id, ? as _generator_version, "
        "'run' as _run_id, range as _synthetic_row, range * 1.5 as delay from range(?)",
        [version, rows],
    )


def test_generations_accumulate_once_each_and_the_mix_takes_from_all_within_the_cap():
    with duckdb.connect() as connection:
        connection.execute("create schema synthetic")
        connection.execute(
            "create table real_rows as select 'day' as _batch, range::varchar as _row_id, "
            "'run' as _run_id, range * 1.0 as delay from range(70)"
        )
        write_generation(connection, "gen-a", 40)
        assert (
            keep_generation(connection, "synthetic.flights_synthetic", "synthetic.flights_generations") == 40
        )
        assert (
            keep_generation(connection, "synthetic.flights_synthetic", "synthetic.flights_generations") == 40
        )
        write_generation(connection, "gen-b", 40)
        assert (
            keep_generation(connection, "synthetic.flights_synthetic", "synthetic.flights_generations") == 80
        )

        allowed = synthetic_rows_allowed(70, 80, 0.3)
        mixed = connection.execute(
            "select _source, _generator_version, count(*) from ("
            + mixed_table_sql("real_rows", "synthetic.flights_generations", ["delay"], allowed)
            + ") group by all order by all"
        ).fetchall()
    assert mixed == [("real", None, 70), ("synthetic", "gen-a", 15), ("synthetic", "gen-b", 15)]


def test_a_column_added_by_a_spec_change_joins_the_kept_generations():
    with duckdb.connect() as connection:
        connection.execute("create schema synthetic")
        write_generation(connection, "gen-a", 10)
        keep_generation(connection, "synthetic.flights_synthetic", "synthetic.flights_generations")
        write_generation(connection, "gen-b", 10)
        connection.execute('alter table synthetic.flights_synthetic add column "end" integer default 7')
        assert (
            keep_generation(connection, "synthetic.flights_synthetic", "synthetic.flights_generations") == 20
        )
        kept = connection.execute(
            'select _generator_version, count("end"), count(*) from synthetic.flights_generations group by all order by all'
        ).fetchall()
    assert kept == [("gen-a", 0, 10), ("gen-b", 10, 10)]
