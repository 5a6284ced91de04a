"""A save into the model store killed at every step it takes: the store never names half a model.

A forked process saves a small trained generator and stops dead before its k-th change to the
file system (a folder made, a file opened for writing, a rename, a removal), for every k; the
test kills it (SIGKILL), checks what a reader would load, then saves again as a re-run would.
"""

from __future__ import annotations

import builtins
import io
import json
import os
import shutil
import signal
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from accrete.generator.autoregressive.backend import AutoregressiveBackend
from accrete.generator.model_store import LATEST, ModelStore, ModelStoreError
from accrete.table_schema import ModelColumn, TableSchema

SCHEMA = TableSchema((ModelColumn("x", "numerical"), ModelColumn("colour", "categorical")))
DATASET = "toy"
WRITE_MODES = set("wax+")
FILE_SYSTEM_CHANGES = {
    os: ["mkdir", "replace", "rename", "unlink", "remove", "rmdir"],
    io: ["open"],
    builtins: ["open"],
}
"""What a save may call to change the file system (``shutil.rmtree``, ``tempfile.mkdtemp`` and
``pathlib`` go through these); ``open`` counts only when it opens a file for writing."""


@pytest.fixture(scope="module")
def fitted() -> AutoregressiveBackend:
    rows = np.random.default_rng(0)
    data = pd.DataFrame({"x": rows.normal(size=300), "colour": rows.choice(["red", "blue", "green"], 300)})
    backend = AutoregressiveBackend(SCHEMA, {"epochs": 2, "max_seconds": None}, seed=0)
    backend.fit(data)
    return backend


def _stop_before_change(number: int, marker: Path) -> None:
    """In this process, stop dead before the ``number``-th change to the file system."""
    changes = 0
    rename = os.rename  # the marker appears whole, by the rename this process had before the wrapping

    def wrap(function):
        def changing(*args, **kwargs):
            nonlocal changes
            mode = args[1] if len(args) > 1 else kwargs.get("mode", "r")
            if function.__name__ != "open" or WRITE_MODES & set(mode):
                changes += 1
                if changes == number:
                    partial = f"{marker}.partial"
                    descriptor = os.open(partial, os.O_CREAT | os.O_WRONLY)
                    os.write(descriptor, f"{function.__name__} {args[0]}".encode())
                    os.close(descriptor)
                    rename(partial, marker)
                    while True:
                        time.sleep(1)
            return function(*args, **kwargs)

        return changing

    for module, names in FILE_SYSTEM_CHANGES.items():
        for name in names:
            setattr(module, name, wrap(getattr(module, name)))


def save_killed_before_change(root: Path, version: str, backend, number: int, marker: Path) -> bool:
    """Save in a forked process killed before its ``number``-th change; False when the save finished first."""
    pid = os.fork()
    if pid == 0:  # the child: save, and never return into pytest
        status = 1
        try:
            _stop_before_change(number, marker)
            ModelStore(root).save(DATASET, version, backend, {"training_rows": 300})
            status = 0
        finally:
            os._exit(status)
    while not marker.exists():
        finished, status = os.waitpid(pid, os.WNOHANG)
        if finished:
            assert os.waitstatus_to_exitcode(status) == 0, "the save failed on its own"
            return False
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return True


def what_a_reader_loads(root: Path) -> str:
    """The latest version, checked as the sampling step checks it, and sampled from."""
    store = ModelStore(root)
    stored = store.get(DATASET)
    assert len(store.load(stored, SCHEMA).sample(20)) == 20
    return stored.version


@pytest.mark.parametrize("saved", ["a new version", "the latest version again"])
def test_a_save_killed_at_any_step_leaves_a_complete_latest_version(tmp_path, fitted, saved):
    before = tmp_path / "before"
    ModelStore(before).save(DATASET, "v1", fitted, {"training_rows": 300})
    version = "v2" if saved == "a new version" else "v1"
    killed_at = []
    for number in range(1, 100):
        root, marker = tmp_path / f"store-{number}", tmp_path / f"reached-{number}"
        shutil.copytree(before, root)
        if not save_killed_before_change(root, version, fitted, number, marker):
            break
        killed_at.append(marker.read_text())
        latest = json.loads((root / DATASET / LATEST).read_text())["version"]  # never a torn pointer
        try:
            assert what_a_reader_loads(root) == latest in ("v1", version)
        except ModelStoreError:
            # only between the two renames that replace a version: the version is briefly absent (never
            # half there), and both complete copies are on disk for the next save to finish the job
            assert saved == "the latest version again" and not (root / DATASET / version).exists()
            set_aside, moved_in = killed_at[-2:]  # what the killed save did last, and what it was to do
            assert set_aside.startswith("replace") and set_aside.endswith(f"/{DATASET}/{version}")
            assert moved_in.startswith("replace") and f"/{DATASET}/.{version}-" in moved_in
        # the re-run: the same save again, in this process
        ModelStore(root).save(DATASET, version, fitted, {"training_rows": 300})
        assert what_a_reader_loads(root) == version
        left = sorted(path.name for path in (root / DATASET).iterdir())
        assert left == sorted({LATEST, "v1", version}), left
    changes = {step.split()[0] for step in killed_at}
    assert changes >= {"mkdir", "open", "replace"}, killed_at
    assert saved == "a new version" or {"unlink", "rmdir"} <= changes, killed_at  # the old copy removed
