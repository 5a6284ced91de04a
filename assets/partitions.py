"""Daily partitions of a dataset whose spec has a ``partitions:`` block (one landing file per day)."""

from datetime import timedelta

import dagster as dg

from accrete.spec import DatasetSpec


def daily_partitions(spec: DatasetSpec) -> dg.DailyPartitionsDefinition | None:
    """The dataset's days as Dagster partitions, or None for a dataset delivered in whole files."""
    if spec.partitions is None:
        return None
    return dg.DailyPartitionsDefinition(
        start_date=spec.partitions.start.isoformat(), end_date=spec.partitions.end_exclusive.isoformat()
    )


def partitioned_options(spec: DatasetSpec) -> dict:
    """Asset decorator options of a daily step: its partitions, and a range of days run as one step."""
    if spec.partitions is None:
        return {}
    return {"partitions_def": daily_partitions(spec), "backfill_policy": dg.BackfillPolicy.single_run()}


def daily_freshness_policy(spec: DatasetSpec) -> dg.FreshnessPolicy | None:
    """A daily dataset's tables are late when not refreshed in the 24 hours before ``fresh_by`` (UTC);
    the UI shows such a table as failing its freshness (a day that was not delivered)."""
    if spec.partitions is None:
        return None
    hour, minute = spec.partitions.fresh_by.split(":")
    return dg.FreshnessPolicy.cron(
        deadline_cron=f"{int(minute)} {int(hour)} * * *", lower_bound_delta=timedelta(hours=24)
    )
