"""The dbt CLI resource: the version dagster-dbt needs, known without starting dbt for it."""

import subprocess
import sys
from pathlib import Path

import dagster_dbt.core.resource as dagster_dbt_resource
from packaging.version import Version

from resources.dbt_cli import AccreteDbtCli, _dbt_executable
from tests.conftest import REPO


def resource(dbt_executable: str) -> AccreteDbtCli:
    return AccreteDbtCli(
        project_dir=str(REPO / "dbt_project"), dbt_executable=dbt_executable, artifacts_dir="unused"
    )


def test_the_dbt_beside_python_is_versioned_without_running_it_and_says_the_same(monkeypatch):
    dbt = _dbt_executable()
    assert Path(dbt).parent == Path(sys.executable).parent
    asked = subprocess.run([dbt, "--version"], capture_output=True, text=True, check=True).stdout
    monkeypatch.setattr(dagster_dbt_resource, "check_output", lambda *args, **kwargs: 1 / 0)
    version = resource(dbt)._cli_version
    assert isinstance(version, Version) and f"installed: {version}" in asked


def test_another_dbt_is_still_asked_for_its_version(monkeypatch, tmp_path):
    other = tmp_path / "bin" / "dbt"  # a dbt elsewhere (dbt Fusion, another environment)
    other.parent.mkdir()
    other.write_text("#!/bin/sh\n")
    other.chmod(0o755)
    asked = []

    def check_output(command, *args, **kwargs):
        asked.append(command)
        return b"Core:\n  - installed: 2.0.1\n"

    monkeypatch.setattr(dagster_dbt_resource, "check_output", check_output)
    assert resource(str(other))._cli_version == Version("2.0.1")
    assert asked == [[str(other), "--version"]]
