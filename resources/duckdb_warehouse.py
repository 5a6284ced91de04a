"""The DuckDB warehouse as a Dagster resource."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb

from accrete.warehouse import connect


class DuckDBWarehouse(dg.ConfigurableResource):
    """One DuckDB file holding every dataset's raw, staged, clean, real, synthetic and mixed tables.

    Connections are opened per use and closed at once: DuckDB allows one writing process
    per file, and dbt needs the file while it builds.
    """

    path: str

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        with connect(self.path, read_only=read_only) as connection:
            yield connection
