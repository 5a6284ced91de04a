"""The one place that decides where things live, from environment variables with local defaults.

``ACCRETE_ENV`` is local (default), ci or prod; it picks the dbt target. Everything Accrete
writes goes under ``ACCRETE_HOME`` (default ``.accrete/`` in the repository) unless a more
specific variable says otherwise. Asset code never branches on the environment: it only
receives resources built from these values.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("local", "ci", "prod")


def accrete_env() -> str:
    value = os.environ.get("ACCRETE_ENV", "local")
    if value not in ENVIRONMENTS:
        raise ValueError(f"ACCRETE_ENV must be one of {ENVIRONMENTS}, got {value!r}")
    return value


def _path(variable: str, default: Path) -> Path:
    return Path(os.environ.get(variable) or default).resolve()


def accrete_home() -> Path:
    return _path("ACCRETE_HOME", REPO_ROOT / ".accrete")


def warehouse_path() -> Path:
    return _path("ACCRETE_WAREHOUSE", accrete_home() / "warehouse" / "accrete.duckdb")


def dbt_project_dir() -> Path:
    return _path("ACCRETE_DBT_PROJECT", REPO_ROOT / "dbt_project")


def landing_root() -> Path:
    return _path("ACCRETE_LANDING", REPO_ROOT / "landing")


def datasets_dir() -> Path:
    return _path("ACCRETE_DATASETS", REPO_ROOT / "datasets")


def models_root() -> Path:
    return accrete_home() / "models"


def reports_root() -> Path:
    return accrete_home() / "reports"


def dbt_artifacts_dir() -> Path:
    return accrete_home() / "dbt"


def export_for_subprocesses() -> None:
    """Make dbt, which reads env_var(), see the same warehouse and target as the Python assets."""
    os.environ["ACCRETE_WAREHOUSE"] = str(warehouse_path())
    os.environ.setdefault("DBT_TARGET", accrete_env())
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
