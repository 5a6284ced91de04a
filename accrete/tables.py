"""Where each of a dataset's tables lives in the DuckDB warehouse.

The dbt models are generated from these names (``accrete.transform.dbt_models``) and the Python
assets read and write through them, so the two sides cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

RAW_SCHEMA = "raw"
"""Landing files as delivered, one table per dataset (written by ingestion; dbt's ``raw`` source)."""
STAGING_SCHEMA, CLEAN_SCHEMA, REAL_SCHEMA = "staging", "clean", "real"
"""The dbt models: staging views, cleaned tables, accumulated real tables and their splits."""
QUARANTINE_SCHEMA = "quarantine"
"""Landing rows set aside under ``on_invalid: quarantine``, one table per dataset, with the reason."""
SYNTHETIC_SCHEMA, MIXED_SCHEMA = "synthetic", "mixed"
"""Sampled rows and kept generations; real rows mixed with synthetic ones."""
META_SCHEMA = "meta"
"""What the pipeline records about the warehouse itself."""
RAW_MIGRATIONS = f"{META_SCHEMA}.raw_migrations"
"""Every change of a raw table's columns, each with the column contract it left (one table for all
datasets; written by ``accrete.ingest.raw_migration``)."""


@dataclass(frozen=True)
class DatasetTables:
    """Schema-qualified table names of one dataset, from landing to mix."""

    dataset: str

    @property
    def raw(self) -> str:
        return f"{RAW_SCHEMA}.{self.dataset}"

    @property
    def quarantine(self) -> str:
        """Landing rows refused for their values (never in raw), each with its reason and delivered values."""
        return f"{QUARANTINE_SCHEMA}.{self.dataset}"

    @property
    def staged_model(self) -> str:
        return f"stg_{self.dataset}"

    @property
    def clean_model(self) -> str:
        return f"{self.dataset}_clean"

    @property
    def accumulated_model(self) -> str:
        return f"{self.dataset}_real_accumulated"

    @property
    def train_model(self) -> str:
        return f"{self.dataset}_real_train"

    @property
    def holdout_model(self) -> str:
        return f"{self.dataset}_real_holdout"

    @property
    def clean(self) -> str:
        return f"{CLEAN_SCHEMA}.{self.clean_model}"

    @property
    def accumulated(self) -> str:
        return f"{REAL_SCHEMA}.{self.accumulated_model}"

    @property
    def train(self) -> str:
        return f"{REAL_SCHEMA}.{self.train_model}"

    @property
    def holdout(self) -> str:
        return f"{REAL_SCHEMA}.{self.holdout_model}"

    @property
    def reference_source(self) -> str:
        """The dbt source of the reference tables the dataset ships (``datasets/<name>/reference/*.csv``):
        one source table per file, named as the file, that dbt reads from the file (the warehouse holds
        no copy)."""
        return f"{self.dataset}_reference"

    def stages(self) -> dict[str, str]:
        """Every table of the chain, in pipeline order, by a short name for people."""
        return {
            "raw": self.raw,
            "clean": self.clean,
            "accumulated real": self.accumulated,
            "real train": self.train,
            "real holdout": self.holdout,
            "synthetic": self.synthetic,
            "kept generations": self.generations,
            "mixed": self.mixed,
        }

    @property
    def synthetic(self) -> str:
        return f"{SYNTHETIC_SCHEMA}.{self.dataset}_synthetic"

    @property
    def generations(self) -> str:
        """Every synthetic generation that passed the gates, kept for the mixed table."""
        return f"{SYNTHETIC_SCHEMA}.{self.dataset}_generations"

    @property
    def mixed(self) -> str:
        return f"{MIXED_SCHEMA}.{self.dataset}_mixed"
