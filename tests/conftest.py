"""Shared fixtures: the bundled Adult spec, a small real landing folder, an isolated Accrete home."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from accrete.spec import DatasetSpec, load_spec

REPO = Path(__file__).resolve().parent.parent
ADULT_SPEC = REPO / "datasets" / "adult" / "spec.yaml"
ADULT_LANDING = REPO / "landing" / "adult"
SMALL_BATCH_ROWS = 1500


def pytest_sessionstart(session: pytest.Session) -> None:
    """Dagster's dbt assets need the manifest: build it when pytest runs without `make test`."""
    if not (REPO / "dbt_project" / "target" / "manifest.json").exists():
        subprocess.run([sys.executable, "-m", "accrete.transform.dbt_models"], cwd=REPO, check=True)
        dbt = Path(sys.executable).parent / "dbt"
        subprocess.run(
            [str(dbt), "parse", "--profiles-dir", ".", "--quiet"], cwd=REPO / "dbt_project", check=True
        )


@pytest.fixture
def adult_spec() -> DatasetSpec:
    return load_spec(ADULT_SPEC)


def write_small_landing(folder: Path, rows: int = SMALL_BATCH_ROWS) -> Path:
    """The first ``rows`` real rows of each bundled Adult batch, as landing files in ``folder/adult``."""
    target = folder / "adult"
    target.mkdir(parents=True, exist_ok=True)
    for source in sorted(ADULT_LANDING.glob("adult-*.csv.gz")):
        with gzip.open(source, "rt") as handle:
            lines = [next(handle) for _ in range(rows)]
        with gzip.open(target / source.name, "wt") as handle:
            handle.writelines(lines)
    return target


@pytest.fixture
def small_landing(tmp_path: Path) -> Path:
    """Landing root holding a small real Adult delivery (two batches)."""
    root = tmp_path / "landing"
    write_small_landing(root)
    return root


def write_small_spec(folder: Path, **overrides) -> Path:
    """The Adult spec with test-sized sampling, in ``folder/adult/spec.yaml``."""
    content = yaml.safe_load(ADULT_SPEC.read_text())
    content["synthetic"]["rows"] = 1000
    content["gates"]["fidelity_max_rows"] = 1500
    # A model fitted to ~2,400 rows for 30 epochs reproduces small groups less closely than one fitted
    # to Adult's 39,000: gate only groups of at least 2% and allow their share to move by half.
    content["gates"]["representation_min_real_share"] = 0.02
    content["gates"]["representation_max_relative_drop"] = 0.5
    # a fixed number of epochs and no time budget: the same model on a fast or a busy machine
    content["generator"]["settings"] = {"epochs": 30, "max_seconds": None}
    # The pipeline tests ask the collapse monitor for its step, curves and summary, not for collapse
    # itself (tests/unit/test_collapse.py shows that on its own table): the fewest generations it
    # allows, on the rows a small delivery has. Its default (5 generations of 1,500 rows) was the
    # longest step of these runs: about 80 s of the 2-core machine, against about 10 s.
    content["collapse_monitor"] = {"generations": 2, "training_rows": 1000, "holdout_rows": 600}
    for key, value in overrides.items():
        content[key] = value
    path = folder / "adult" / "spec.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(content, sort_keys=False))
    return path


def isolated_home(tmp_path: Path, landing: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point Accrete at a fresh home (warehouse, models, reports), small specs and ``landing``."""
    home = tmp_path / "home"
    datasets = tmp_path / "datasets"
    write_small_spec(datasets)
    monkeypatch.setenv("ACCRETE_HOME", str(home))
    monkeypatch.setenv("ACCRETE_WAREHOUSE", str(home / "warehouse" / "accrete.duckdb"))
    monkeypatch.setenv("ACCRETE_LANDING", str(landing))
    monkeypatch.setenv("ACCRETE_DATASETS", str(datasets))
    monkeypatch.setenv("DBT_TARGET", "ci")
    return home


@pytest.fixture
def accrete_home(tmp_path: Path, small_landing: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated Accrete home with small specs and the small real landing folder."""
    return isolated_home(tmp_path, small_landing, monkeypatch)


@pytest.fixture
def bundled_definitions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The code location built from the bundled specs (adult and the daily flights), with a fresh home."""
    # imported here: importing it builds the definitions, which needs the manifest pytest_sessionstart makes
    from orchestration.definitions import build_definitions

    monkeypatch.setenv("ACCRETE_DATASETS", str(REPO / "datasets"))
    monkeypatch.setenv("ACCRETE_HOME", str(tmp_path / "home"))
    return build_definitions()
