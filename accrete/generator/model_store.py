"""The model store: trained generators as files plus a JSON manifest, one folder per version.

Layout: ``<root>/<dataset>/<version>/`` holds the backend's files and ``manifest.json``
(backend, settings, spec hash, training data version, time, device, each file's sha256);
``<root>/<dataset>/latest.json`` names the version the pipeline samples from. A version is
written to a hidden folder (``.<version>-*``) and renamed into place, and ``latest.json`` is
replaced in one rename, so a process killed while saving leaves the previous version latest and
complete, and the next save removes what it left behind. (Saving a stored version again moves
the old copy aside, then renames the new one in: a kill between the two leaves that version
absent, never half there.) Every file's checksum is verified before a backend loads it. Saves of
one dataset do not overlap: the training step runs in the ``gpu`` pool.
"""

from __future__ import annotations

import errno
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
from accrete.rules.rule_bound import RULES_FILE, RuleBoundGenerator
from accrete.table_schema import TableSchema

MANIFEST = "manifest.json"
LATEST = "latest.json"
UNFINISHED = "."
"""Names starting with this are a save's work in progress, never a version."""
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


class ModelStoreError(RuntimeError):
    """A model is missing, incomplete or has been altered."""


class ModelStoreFullError(ModelStoreError):
    """The disk holding the store has no room for a new version: saving again will not help."""


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
    temporary = path.with_name(f"{UNFINISHED}{path.name}.tmp")
    try:
        temporary.write_text(json.dumps(content, indent=2, sort_keys=True))
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _remove_unfinished(folder: Path) -> None:
    """Remove what an interrupted save left in a dataset's folder (hidden staging folders, temp files)."""
    for leftover in folder.glob(f"{UNFINISHED}*"):
        if leftover.is_dir():
            shutil.rmtree(leftover)
        else:
            leftover.unlink()


class ModelStore:
    """Save and load generator versions under a root folder."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def save(
        self, dataset: str, version: str, backend: GeneratorBackend, manifest: dict[str, Any]
    ) -> StoredModel:
        """Store ``backend`` as ``version`` of ``dataset`` and make it the latest.

        Raises ModelStoreFullError, naming the store's folder, when its disk is full.
        """
        folder = self.root / dataset
        try:
            folder.mkdir(parents=True, exist_ok=True)
            _remove_unfinished(folder)
            stored = self._save_version(folder, dataset, version, backend, manifest)
            _write_json_atomically(folder / LATEST, {"version": version})
        except OSError as error:
            if error.errno not in DISK_FULL:
                raise
            try:
                latest = self.latest_version(dataset) if (folder / LATEST).is_file() else "none"
            except ModelStoreError:
                latest = "unreadable"
            raise ModelStoreFullError(
                f"the disk holding the model store {folder} is full ({error.strerror}): {dataset} "
                f"version {version} was not stored and the latest is still {latest}; "
                "free space there and run the step again"
            ) from error
        return stored

    def _save_version(
        self, folder: Path, dataset: str, version: str, backend: GeneratorBackend, manifest: dict[str, Any]
    ) -> StoredModel:
        """``version``'s complete folder, in place of any earlier copy of it."""
        staging = Path(tempfile.mkdtemp(prefix=f"{UNFINISHED}{version}-", dir=folder))
        replaced = staging.with_name(f"{staging.name}-replaced")
        target = folder / version
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
            if target.exists():
                # moved aside whole (removing it in place would leave latest.json naming half a model)
                os.replace(target, replaced)
            os.replace(staging, target)
        except BaseException:
            if replaced.exists() and not target.exists():
                os.replace(replaced, target)
            shutil.rmtree(staging, ignore_errors=True)
            raise
        shutil.rmtree(replaced, ignore_errors=True)
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
        if (stored.path / RULES_FILE).is_file():
            return RuleBoundGenerator.load(stored.path, schema)
        return backend_class(stored.manifest["backend"]).load(stored.path, schema)
