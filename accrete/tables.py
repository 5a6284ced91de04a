"""Where each of a dataset's tables lives in the DuckDB warehouse.

The dbt models are generated from these names (``accrete.transform.dbt_models``) and the Python
assets read and write through them, so the two sides cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DatasetTables:
    """Schema-qualified table names of one dataset, from landing to mix."""

    dataset: str

    @property
    def raw(self) -> str:
        return f"raw.{self.dataset}"

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
        return f"clean.{self.clean_model}"

    @property
    def accumulated(self) -> str:
        return f"real.{self.accumulated_model}"

    @property
    def train(self) -> str:
        return f"real.{self.train_model}"

    @property
    def holdout(self) -> str:
        return f"real.{self.holdout_model}"

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
        return f"synthetic.{self.dataset}_synthetic"

    @property
    def generations(self) -> str:
        """Every synthetic generation that passed the gates, kept for the mixed table."""
        return f"synthetic.{self.dataset}_generations"

    @property
    def mixed(self) -> str:
        return f"mixed.{self.dataset}_mixed"
