"""The landing sensor's decisions (new, unchanged, changed file) and the retrain sensor's."""

import json
from datetime import date

import dagster as dg
import pytest

from accrete.ingest.replay import replay
from accrete.spec import load_spec
from resources import LandingZone
from tests.conftest import REPO

FLIGHTS = REPO / "datasets" / "flights"


def tick(defs: dg.Definitions, landing, cursor: str | None):
    sensor = defs.get_sensor_def("flights_landing_sensor")
    context = dg.build_sensor_context(cursor=cursor, resources={"landing": LandingZone(root=str(landing))})
    return sensor(context)


def test_landing_sensor_runs_new_and_changed_days_once(bundled_definitions, tmp_path):
    spec = load_spec(FLIGHTS / "spec.yaml")
    landing = tmp_path / "landing"
    (landing / "flights").mkdir(parents=True)
    assert isinstance(tick(bundled_definitions, landing, None), dg.SkipReason)  # nothing landed yet

    replay(spec, FLIGHTS, landing, [date(2013, 1, 1), date(2013, 1, 2)])
    first = tick(bundled_definitions, landing, None)
    assert [request.partition_key for request in first.run_requests] == ["2013-01-01", "2013-01-02"]

    unchanged = tick(bundled_definitions, landing, first.cursor)
    assert unchanged.run_requests == []

    replay(spec, FLIGHTS, landing, [date(2013, 1, 3)])
    corrected = landing / "flights" / "2013-01-01.csv"
    corrected.write_text("".join(corrected.read_text().splitlines(keepends=True)[:-1]))
    later = tick(bundled_definitions, landing, unchanged.cursor)
    assert [request.partition_key for request in later.run_requests] == ["2013-01-01", "2013-01-03"]
    assert set(json.loads(later.cursor)) == {"2013-01-01", "2013-01-02", "2013-01-03"}


def test_landing_sensor_ignores_days_outside_the_partitions(bundled_definitions, tmp_path):
    (tmp_path / "flights").mkdir()
    (tmp_path / "flights" / "2014-01-01.csv").write_text("year\n2014\n")
    assert tick(bundled_definitions, tmp_path, None).run_requests == []


@pytest.mark.parametrize(("due", "expect_run"), [(True, True), (False, False)])
def test_retrain_sensor_starts_a_generation_only_when_due(bundled_definitions, due, expect_run):
    with dg.instance_for_test() as instance:
        instance.report_runless_asset_event(
            dg.AssetMaterialization(
                asset_key="flights_drift", metadata={"retrain_due": due, "reason": "7 new days"}
            )
        )
        sensor = bundled_definitions.get_sensor_def("flights_retrain_sensor")
        context = dg.build_sensor_context(instance=instance, definitions=bundled_definitions)
        result = sensor.evaluate_tick(context)
    assert bool(result.run_requests) is expect_run
    if expect_run:
        assert result.run_requests[0].tags["accrete/retrain_reason"] == "7 new days"
        assert sensor.job_name == "flights_generation"
    else:
        assert "not due: 7 new days" in result.skip_message
