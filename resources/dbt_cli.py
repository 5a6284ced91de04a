"""The dbt project and CLI resource (dbt-duckdb on the warehouse file)."""

from __future__ import annotations

import shutil
import sys
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliInvocation, DbtCliResource, DbtProject
from packaging.version import Version


def _dbt_executable() -> str:
    """The dbt installed beside this Python (the project's virtual environment), else the one on PATH."""
    beside_python = Path(sys.executable).parent / "dbt"
    return str(beside_python) if beside_python.exists() else (shutil.which("dbt") or "dbt")


def accrete_dbt_project(project_dir: Path) -> DbtProject:
    """The dbt project (models, macros, profiles); its manifest is built by ``make dbt-manifest``."""
    return DbtProject(project_dir=project_dir, profiles_dir=project_dir)


class AccreteDbtCli(DbtCliResource):
    """dbt on the warehouse, writing its artifacts into one folder per Accrete home.

    dagster-dbt's default is a new folder per invocation, so every build parsed the whole project
    again; in one kept folder dbt's partial parsing carries over from run to run. dbt builds
    run one at a time (pool ``duckdb``), so they never share the folder at once.
    """

    artifacts_dir: str

    def build(self, context: dg.AssetExecutionContext) -> DbtCliInvocation:
        """``dbt build`` of the models ``context`` selects, started (its events: ``.stream()``)."""
        return self.cli(["build"], context=context, target_path=Path(self.artifacts_dir))

    @cached_property
    def _cli_version(self) -> Version:
        """The dbt version, which dagster-dbt asks of the executable (``dbt --version``) in every
        step that runs dbt: one more dbt process to start (about 3 s of a 2-core machine), which
        also looks up the latest release online. The dbt beside this Python is dbt-core's own
        command, so the installed package answers for it; any other dbt is still asked."""
        if Path(self.dbt_executable).parent == Path(sys.executable).parent:
            return Version(installed_version("dbt-core"))
        return super()._cli_version


def dbt_cli_resource(project: DbtProject, artifacts_dir: Path) -> AccreteDbtCli:
    return AccreteDbtCli(
        project_dir=project, dbt_executable=_dbt_executable(), artifacts_dir=str(artifacts_dir)
    )
