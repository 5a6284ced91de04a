"""The raw table of a dataset: every landing file as delivered."""

import dagster as dg

from accrete.ingest.landing import LandingFileError
from accrete.ingest.quarantine import quarantined_count
from accrete.ingest.raw import ingest_landing_files
from accrete.ingest.raw_migration import RawMigrationError
from accrete.spec import DatasetSpec
from accrete.tables import DatasetTables
from assets.asset_keys import DatasetAssetKeys, Group
from assets.metadata import table_metadata
from assets.partitions import partitioned_options
from resources import DuckDBWarehouse, LandingZone


def build_raw_asset(spec: DatasetSpec) -> dg.AssetsDefinition:
    tables = DatasetTables(spec.name)

    @dg.asset(
        key=DatasetAssetKeys(spec.name).raw,
        group_name=Group.INGEST,
        kinds={"duckdb", "python"},
        pool="duckdb",
        # another process holding the DuckDB file is transient; a rejected file is not (no retry)
        retry_policy=dg.RetryPolicy(max_retries=2, delay=10),
        **partitioned_options(spec),
        description=(
            f"The real {spec.name} records exactly as their source delivered them (every landing file, "
            "all values as text), with the file, line and run each row came from. "
            f"Source: {spec.source}."
        ),
    )
    def raw_table(
        context: dg.AssetExecutionContext, warehouse: DuckDBWarehouse, landing: LandingZone
    ) -> dg.MaterializeResult:
        """Real records as delivered: the starting point of every row's provenance.

        A file is accepted whole or not at all; re-delivering a file replaces its batch, and a file
        whose bytes are already ingested under another name is skipped. A daily dataset's run loads
        the files of its days only. After a spec change, the raw table's columns follow it first
        (added, dropped, renamed, retyped: ``schema_migration`` says which), or nothing is written.
        """
        days = list(context.partition_keys) if spec.partitions else None
        try:
            with warehouse.connect() as connection:
                report = ingest_landing_files(connection, spec, landing.path, context.run_id, days)
                metadata = table_metadata(connection, tables.raw)
                quarantined = quarantined_count(connection, tables.quarantine)
        except LandingFileError as error:
            raise dg.Failure(
                description=f"Landing file rejected, nothing was written: {error}", allow_retries=False
            ) from error
        except RawMigrationError as error:
            raise dg.Failure(
                description=f"Spec change refused, nothing was written: {error}", allow_retries=False
            ) from error
        if report.migration is not None:
            context.log.info(f"{spec.name}: raw table migrated: {report.migration.summary}")
        for batch, rows in report.ingested.items():
            context.log.info(f"{spec.name}: batch {batch} ingested, {rows:,} rows")
            if report.quarantined[batch]:
                context.log.warning(
                    f"{spec.name}: batch {batch}: {report.quarantined[batch]:,} invalid rows quarantined "
                    f"in {tables.quarantine} (on_invalid: quarantine), with the reason of each"
                )
        if report.unchanged:
            context.log.info(f"{spec.name}: unchanged batches skipped: {', '.join(report.unchanged)}")
        for skipped in report.same_content:
            context.log.info(f"{spec.name}: {skipped}")
        return dg.MaterializeResult(
            metadata={
                **metadata,
                "batches_ingested": dg.MetadataValue.json(report.ingested),
                "batches_unchanged": dg.MetadataValue.json(report.unchanged),
                # invalid landing rows kept aside instead of raw (on_invalid: quarantine): this run's, and all
                "rows_quarantined_this_run": dg.MetadataValue.json(report.quarantined),
                "rows_quarantined": dg.MetadataValue.int(quarantined),
                # what this run changed in the raw table's columns to follow the spec
                "schema_migration": report.migration.summary if report.migration else "unchanged",
                "files_skipped_same_content": dg.MetadataValue.json([str(s) for s in report.same_content]),
            }
        )

    return raw_table
