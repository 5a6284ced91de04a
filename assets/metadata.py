"""Materialization metadata shared by the table assets: row count, schema, lineage, preview."""

from __future__ import annotations

import base64
import io

import dagster as dg
import duckdb

from accrete.warehouse import column_types, row_count

PREVIEW_ROWS = 5


def table_shape(connection: duckdb.DuckDBPyConnection, table: str) -> dict[str, object]:
    """``dagster/row_count`` and ``dagster/column_schema``."""
    types = column_types(connection, table)
    return {
        "dagster/row_count": row_count(connection, table),
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(name=name, type=kind) for name, kind in types.items()]
        ),
    }


def table_metadata(connection: duckdb.DuckDBPyConnection, table: str) -> dict[str, object]:
    """``table_shape``, the table name and a preview."""
    preview = connection.execute(f"select * from {table} limit {PREVIEW_ROWS}").df()
    return {
        **table_shape(connection, table),
        "dagster/table_name": table,
        "preview": dg.MetadataValue.md(preview.to_markdown(index=False)),
    }


def column_lineage(columns: list[str], sources: list[dg.AssetKey]) -> dg.TableColumnLineage:
    """Each column derives from the column of the same name in every source asset."""
    return dg.TableColumnLineage(
        deps_by_column={
            column: [dg.TableColumnDep(asset_key=source, column_name=column) for source in sources]
            for column in columns
        }
    )


def png_markdown(figure) -> dg.MetadataValue:
    """A matplotlib figure as an inline image in markdown metadata."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    encoded = base64.b64encode(buffer.getvalue()).decode()
    return dg.MetadataValue.md(f"![plot](data:image/png;base64,{encoded})")
