"""A private copy of the dbt setup for tests whose datasets are not the bundled ones.

The repository's ``dbt_project/models/generated/`` holds the bundled datasets' models; a test that
brings its own specs builds them in a copy (project file, profiles, macros) under its tmp_path,
their reference tables read from the datasets folder the test names.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from accrete.spec import DatasetSpec
from accrete.transform.dbt_models import PARTITION_END, PARTITION_START, write_models

REPO_DBT_PROJECT = Path(__file__).resolve().parents[1] / "dbt_project"
REPO_DATASETS = Path(__file__).resolve().parents[1] / "datasets"
DBT = Path(sys.executable).parent / "dbt"


def dbt_project_copy(project: Path, specs: dict[str, DatasetSpec], datasets: Path = REPO_DATASETS) -> Path:
    """``project``, a copy of the dbt setup (made on first use) holding the models of ``specs``, whose
    reference tables are in ``datasets`` (the bundled ones unless told)."""
    if not project.exists():
        project.mkdir(parents=True)
        for name in ("dbt_project.yml", "profiles.yml"):
            shutil.copy(REPO_DBT_PROJECT / name, project / name)
        shutil.copytree(REPO_DBT_PROJECT / "macros", project / "macros")
    write_models(specs, datasets, project / "models" / "generated")
    return project


def run_dbt(
    project: Path, warehouse: Path, *arguments: str, days: tuple[str, str] | None = None
) -> subprocess.CompletedProcess:
    """dbt ``arguments`` in ``project`` on ``warehouse`` (a daily run's first and last day in ``days``)."""
    environment = {
        **os.environ,
        "ACCRETE_WAREHOUSE": str(warehouse),
        "DBT_TARGET": "ci",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    if days:
        environment[PARTITION_START], environment[PARTITION_END] = days
    command = [str(DBT), *arguments, "--profiles-dir", "."]
    return subprocess.run(command, cwd=project, env=environment, capture_output=True, text=True, timeout=900)
