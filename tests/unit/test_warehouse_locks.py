"""Two processes on one warehouse file: a lock conflict waits a bounded time, then fails clearly."""

import subprocess
import sys
import time

import pytest

from accrete.warehouse import WarehouseBusyError, connect

HOLD = """
import sys, time, duckdb
connection = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "read")
connection.execute("create table if not exists t as select 1 as x") if sys.argv[2] == "write" else None
print("holding", flush=True)
time.sleep(float(sys.argv[3]))
connection.close()
"""


def hold_in_another_process(path, mode: str, seconds: float) -> subprocess.Popen:
    """A second process that opens ``path`` (``read`` or ``write``) and keeps it for ``seconds``."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), mode, str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "holding"
    return holder


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "accrete.duckdb"
    with connect(path) as connection:
        connection.execute("create table t as select 1 as x")
    return path


@pytest.mark.parametrize(("held_as", "opened_read_only"), [("write", True), ("read", False)])
def test_a_conflicting_hold_is_waited_out(warehouse, held_as, opened_read_only):
    holder = hold_in_another_process(warehouse, held_as, seconds=1.5)
    started = time.monotonic()
    with connect(warehouse, read_only=opened_read_only) as connection:
        assert connection.execute("select x from t").fetchone() == (1,)
    assert time.monotonic() - started > 0.5  # it did wait for the other process
    holder.wait(timeout=30)


def test_a_hold_longer_than_the_wait_fails_naming_the_file(warehouse):
    holder = hold_in_another_process(warehouse, "write", seconds=10)
    try:
        with (
            pytest.raises(
                WarehouseBusyError, match=r"accrete\.duckdb was still held by another process after 0\.5 s"
            ),
            connect(warehouse, read_only=True, wait_seconds=0.5),
        ):
            pass
    finally:
        holder.kill()
        holder.wait(timeout=30)


def test_readers_share_the_file(warehouse):
    holder = hold_in_another_process(warehouse, "read", seconds=10)
    try:
        with connect(warehouse, read_only=True, wait_seconds=0) as connection:
            assert connection.execute("select count(*) from t").fetchone() == (1,)
    finally:
        holder.kill()
        holder.wait(timeout=30)
