"""The model store: trained generators as files plus a JSON manifest, one folder per version.

Layout: ``<root>/<dataset>/<version>/`` holds the backend's files and ``manifest.json``
(backend, settings, spec hash, training data version, time, device, each file's sha256);
``<root>/<dataset>/latest.json`` names the version the pipeline samples from. A version is
written to a temporary folder and renamed into place, so a reader never sees half a model,
and every file's checksum is verified before a backend loads it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accrete.generator.base import GeneratorBackend
from accrete.generator.registry import backend_class
from accrete.table_schema import TableSchema

MANIFEST = "manifest.json"
LATEST = "latest.json"


class ModelStoreError(RuntimeError):
    """A model is missing, incomplete or has been altered."""


@dataclass(frozen=True)
class StoredModel:
    """A model version in the store."""

    dataset: str
    version: str
    path: Path
    manifest: dict[str, Any]

    @property
    def uri(self) -> str:
        return self.path.resolve().as_uri()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_json_atomically(path: Path, content: dict[str, Any]) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(content, indent=2, sort_keys=True))
    os.replace(temporary, path)


class ModelStore:
    """Save and load generator versions under a root folder."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def save(
        self, dataset: str, version: str, backend: GeneratorBackend, manifest: dict[str, Any]
    ) -> StoredModel:
        """Store ``backend`` as ``version`` of ``dataset`` and make it the latest."""
        folder = self.root / dataset
        folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=folder))
        try:
            files = backend.save(staging)
            full_manifest = {
                **manifest,
                "dataset": dataset,
                "version": version,
                "backend": backend.name,
                "files": {path.name: _sha256(path) for path in files},
            }
            _write_json_atomically(staging / MANIFEST, full_manifest)
            target = folder / version
            if target.exists():
                shutil.rmtree(target)
            os.replace(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        _write_json_atomically(folder / LATEST, {"version": version})
        return StoredModel(dataset, version, target, full_manifest)

    def latest_version(self, dataset: str) -> str:
        pointer = self.root / dataset / LATEST
        if not pointer.is_file():
            raise ModelStoreError(f"no trained generator for {dataset!r} in {self.root}: train one first")
        return json.loads(pointer.read_text())["version"]

    def get(self, dataset: str, version: str | None = None) -> StoredModel:
        """A stored version (the latest when ``version`` is None), its files verified."""
        version = version or self.latest_version(dataset)
        path = self.root / dataset / version
        manifest_path = path / MANIFEST
        if not manifest_path.is_file():
            raise ModelStoreError(f"model {dataset}/{version} has no manifest at {manifest_path}")
        manifest = json.loads(manifest_path.read_text())
        for name, expected in manifest["files"].items():
            file = path / name
            if not file.is_file():
                raise ModelStoreError(f"model {dataset}/{version} is missing its file {name}")
            if _sha256(file) != expected:
                raise ModelStoreError(
                    f"model {dataset}/{version}: {name} does not match its manifest checksum"
                )
        return StoredModel(dataset, version, path, manifest)

    def load(self, stored: StoredModel, schema: TableSchema) -> GeneratorBackend:
        """The fitted backend of a verified stored version."""
        return backend_class(stored.manifest["backend"]).load(stored.path, schema)
