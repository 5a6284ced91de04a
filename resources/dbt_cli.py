"""The dbt project and CLI resource (dbt-duckdb on the warehouse file)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
"""The dbt project (models, macros, profiles), at the top of the repository."""


def _dbt_executable() -> str:
    """The dbt installed beside this Python (the project's virtual environment), else the one on PATH."""
    beside_python = Path(sys.executable).parent / "dbt"
    return str(beside_python) if beside_python.exists() else (shutil.which("dbt") or "dbt")


def accrete_dbt_project() -> DbtProject:
    """The dbt project; its manifest is built by ``make dbt-manifest`` (tests and CI build it too)."""
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def dbt_cli_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=accrete_dbt_project(), dbt_executable=_dbt_executable())
