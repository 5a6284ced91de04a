"""Daily partitions of a dataset whose spec has a ``partitions:`` block (one landing file per day)."""

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
