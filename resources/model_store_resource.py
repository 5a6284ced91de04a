"""The model store as a Dagster resource."""

from __future__ import annotations

import dagster as dg

from accrete.generator.model_store import ModelStore


class ModelStoreResource(dg.ConfigurableResource):
    """Folder of trained generators: state files plus a JSON manifest per version."""

    root: str

    def store(self) -> ModelStore:
        return ModelStore(self.root)
