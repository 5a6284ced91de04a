"""What starts runs without a person: the landing sensor, the retrain sensor, the daily schedule.

- ``<name>_landing_sensor`` requests a daily run for each day whose landing file is new or
  changed; its cursor keeps each day's content hash, so an unchanged file never runs twice.
- ``<name>_retrain_sensor`` watches ``<name>_drift`` and starts a new generation when the
  spec's cadence says a retrain is due.
- ``<name>_daily_schedule`` runs yesterday's partition every night, for a live feed whose
  days reach today; it starts stopped (the bundled 2013 history is delivered by replay).
"""

from __future__ import annotations

import json

import dagster as dg

from accrete.ingest.landing import LandingFileError, changed_batches, find_landing_files
from accrete.spec import DatasetSpec
from assets.asset_keys import DatasetAssetKeys
from assets.partitions import daily_partitions
from resources import LandingZone

SENSOR_INTERVAL_SECONDS = 30


def landing_sensor(spec: DatasetSpec, job: dg.UnresolvedAssetJobDefinition) -> dg.SensorDefinition:
    partitions = daily_partitions(spec)

    @dg.sensor(
        name=f"{spec.name}_landing_sensor",
        job=job,
        minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Runs each day of {spec.name} whose landing file is new or has changed.",
    )
    def watch_landing(context: dg.SensorEvaluationContext, landing: LandingZone):
        try:
            files = find_landing_files(spec, landing.path)
        except LandingFileError as error:
            return dg.SkipReason(str(error))
        seen = json.loads(context.cursor) if context.cursor else {}
        changed = changed_batches(files, seen)
        valid_days = set(partitions.get_partition_keys())
        outside = [landing_file.batch for landing_file in changed if landing_file.batch not in valid_days]
        if outside:
            context.log.warning(f"{spec.name}: files for days outside the partitions ignored: {outside}")
        requests = [
            dg.RunRequest(
                partition_key=landing_file.batch, tags={"accrete/landing_sha256": landing_file.sha256}
            )
            for landing_file in changed
            if landing_file.batch in valid_days
        ]
        cursor = json.dumps(
            {landing_file.batch: landing_file.sha256 for landing_file in files}, sort_keys=True
        )
        return dg.SensorResult(run_requests=requests, cursor=cursor)

    return watch_landing


def retrain_sensor(spec: DatasetSpec, job: dg.UnresolvedAssetJobDefinition) -> dg.SensorDefinition:
    @dg.asset_sensor(
        asset_key=DatasetAssetKeys(spec.name).drift,
        name=f"{spec.name}_retrain_sensor",
        job=job,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Starts a new {spec.name} generation when {spec.name}_drift says a retrain is due.",
    )
    def retrain_when_due(context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry):
        metadata = asset_event.asset_materialization.metadata
        reason = metadata["reason"].value
        if not metadata["retrain_due"].value:
            return dg.SkipReason(f"{spec.name}: retrain not due: {reason}")
        return dg.RunRequest(run_key=asset_event.run_id, tags={"accrete/retrain_reason": reason[:200]})

    return retrain_when_due


def daily_schedule(job: dg.UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    return dg.build_schedule_from_partitioned_job(
        job, hour_of_day=1, default_status=dg.DefaultScheduleStatus.STOPPED
    )
