"""The model store: versions round-trip, and an altered or missing model is refused."""

import json

import pandas as pd
import pytest

from accrete.generator.model_store import ModelStore, ModelStoreError
from accrete.generator.sdv_backends import GaussianCopulaBackend
from accrete.table_schema import ModelColumn, TableSchema

SCHEMA = TableSchema((ModelColumn("x", "numerical"), ModelColumn("colour", "categorical")))


@pytest.fixture
def fitted() -> GaussianCopulaBackend:
    data = pd.DataFrame({"x": [float(i % 17) for i in range(200)], "colour": ["red", "blue"] * 100})
    backend = GaussianCopulaBackend(SCHEMA, seed=1)
    backend.fit(data)
    return backend


def test_round_trip_gives_the_same_samples(tmp_path, fitted):
    store = ModelStore(tmp_path)
    stored = store.save("toy", "v1", fitted, {"training_rows": 200})
    assert store.latest_version("toy") == "v1"
    loaded_record = store.get("toy")
    assert loaded_record.manifest["backend"] == "gaussian_copula"
    assert set(loaded_record.manifest["files"]) == {"synthesizer.pkl"}
    loaded = store.load(loaded_record, SCHEMA)
    pd.testing.assert_frame_equal(loaded.sample(50), fitted.sample(50))
    assert stored.uri.startswith("file://")


def test_saving_a_version_again_replaces_it(tmp_path, fitted):
    store = ModelStore(tmp_path)
    store.save("toy", "v1", fitted, {"note": "first"})
    store.save("toy", "v1", fitted, {"note": "second"})
    assert store.get("toy").manifest["note"] == "second"
    assert sorted(path.name for path in (tmp_path / "toy").iterdir()) == ["latest.json", "v1"]


def test_altered_model_file_is_refused(tmp_path, fitted):
    store = ModelStore(tmp_path)
    stored = store.save("toy", "v1", fitted, {})
    (stored.path / "synthesizer.pkl").write_bytes(b"cos\nsystem\n(S'echo pwned'\ntR.")
    with pytest.raises(ModelStoreError, match="does not match its manifest checksum"):
        store.get("toy")


def test_missing_model_and_missing_files(tmp_path, fitted):
    store = ModelStore(tmp_path)
    with pytest.raises(ModelStoreError, match="no trained generator for 'toy'"):
        store.get("toy")
    stored = store.save("toy", "v1", fitted, {})
    manifest = json.loads((stored.path / "manifest.json").read_text())
    (stored.path / "synthesizer.pkl").unlink()
    with pytest.raises(ModelStoreError, match="missing its file synthesizer.pkl"):
        store.get("toy", manifest["version"])
