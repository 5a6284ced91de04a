"""SDV synthesizers behind the backend interface: the baselines Accrete's own generator must beat.

SDV's metadata is built from the dataset spec, never detected: detection marks names like
``city`` as PII and replaces them with fakes. SDV saves models with pickle, so the model
store verifies each file's checksum against its manifest before ``load`` unpickles it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
from sdv.metadata import Metadata
from sdv.sampling import Condition
from sdv.single_table import CTGANSynthesizer, GaussianCopulaSynthesizer, TVAESynthesizer
from sdv.utils import load_synthesizer

from accrete.generator.base import FitReport, GeneratorBackend, GeneratorError, ProgressCallback
from accrete.table_schema import TableSchema

TABLE = "table"
MODEL_FILE = "synthesizer.pkl"


def sdv_metadata(schema: TableSchema) -> Metadata:
    """SDV metadata with each column's sdtype taken from the schema."""
    columns: dict[str, dict[str, Any]] = {}
    for column in schema.columns:
        if column.kind == "datetime":
            columns[column.name] = {"sdtype": "datetime"}
        else:
            columns[column.name] = {"sdtype": column.kind}
    return Metadata.load_from_dict({"tables": {TABLE: {"columns": columns}}})


class SDVBackend(GeneratorBackend):
    """Common fit/sample/save/load for SDV single-table synthesizers."""

    synthesizer_class: ClassVar[type]

    def __init__(self, schema: TableSchema, settings: dict[str, Any] | None = None, seed: int = 0):
        super().__init__(schema, settings, seed)
        self._synthesizer = None

    def fit(self, data: pd.DataFrame, progress: ProgressCallback | None = None) -> FitReport:
        try:
            self._synthesizer = self.synthesizer_class(sdv_metadata(self.schema), **self.settings)
        except TypeError as error:
            raise GeneratorError(f"{self.name}: invalid generator setting: {error}") from error
        np.random.seed(self.seed)
        torch.manual_seed(self.seed)
        started = time.perf_counter()
        self._synthesizer.fit({TABLE: data[self.schema.names]})
        return FitReport(seconds=time.perf_counter() - started, rows=len(data))

    def sample(
        self, num_rows: int, conditions: dict[str, Any] | None = None, seed: int | None = None
    ) -> pd.DataFrame:
        if self._synthesizer is None:
            raise GeneratorError(f"{self.name}: sample() called before fit() or load()")
        # SDV draws from its own fixed seed after reset_sampling(): the same model always
        # gives the same rows, so ``seed`` cannot vary an SDV sample.
        self._synthesizer.reset_sampling()
        if conditions:
            rows = self._synthesizer.sample_from_conditions(
                [Condition(num_rows=num_rows, column_values=conditions)]
            )[TABLE]
        else:
            rows = self._synthesizer.sample(num_rows=num_rows)[TABLE]
        return rows[self.schema.names].reset_index(drop=True)

    def save(self, directory: Path) -> list[Path]:
        if self._synthesizer is None:
            raise GeneratorError(f"{self.name}: save() called before fit()")
        path = directory / MODEL_FILE
        self._synthesizer.save(str(path))
        return [path]

    @classmethod
    def load(cls, directory: Path, schema: TableSchema) -> SDVBackend:
        backend = cls(schema)
        backend._synthesizer = load_synthesizer(str(directory / MODEL_FILE))
        return backend


class GaussianCopulaBackend(SDVBackend):
    """SDV GaussianCopula: fast, marginals plus a Gaussian dependence structure."""

    name = "gaussian_copula"
    synthesizer_class = GaussianCopulaSynthesizer


class TVAEBackend(SDVBackend):
    """SDV TVAE: a variational autoencoder, slow on the CPU."""

    name = "tvae"
    synthesizer_class = TVAESynthesizer


class CTGANBackend(SDVBackend):
    """SDV CTGAN: a conditional GAN, slow on the CPU."""

    name = "ctgan"
    synthesizer_class = CTGANSynthesizer
