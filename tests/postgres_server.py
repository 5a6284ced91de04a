"""A real PostgreSQL server for tests, and a Dagster instance stored in it.

``postgres_server`` (session fixture) runs Debian's PostgreSQL binaries on 127.0.0.1 with a
temporary data directory and trust authentication, and stops it afterwards. Use it with::

    from tests.postgres_server import postgres_server  # noqa: F401

    def test_something(postgres_server, monkeypatch, tmp_path):
        postgres_server.set_environment(monkeypatch)          # DAGSTER_PG_* for this test
        write_postgres_dagster_yaml(tmp_path)                  # prod storage, local run launcher
        with dg.DagsterInstance.from_config(str(tmp_path)) as instance: ...

Without PostgreSQL binaries the tests skip (saying how to install them), except under CI,
where they fail: there they must always run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
PROD_DAGSTER_YAML = REPO / "deploy" / "prod" / "dagster.yaml"
DEBIAN_BIN_GLOB = "/usr/lib/postgresql/*/bin"  # Debian's postgresql package, not on PATH
SUPERUSER = "postgres"
DATABASE = "dagster"
# Instance settings taken from the production file as they are; the run launcher is left out
# (K8sRunLauncher needs a cluster), so the instance uses Dagster's default local launcher.
PROD_BLOCKS = ("storage", "concurrency", "run_retries", "telemetry")


@dataclasses.dataclass(frozen=True)
class PostgresServer:
    """Connection details of the running server (trust authentication: no password)."""

    host: str
    port: int
    user: str
    database: str

    def environment(self) -> dict[str, str]:
        """The DAGSTER_PG_* variables that deploy/prod/dagster.yaml reads."""
        return {
            "DAGSTER_PG_HOST": self.host,
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_USER": self.user,
            "DAGSTER_PG_PASSWORD": "",
            "DAGSTER_PG_DB": self.database,
        }

    def set_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Set the DAGSTER_PG_* variables for one test (subprocesses inherit them)."""
        for name, value in self.environment().items():
            monkeypatch.setenv(name, value)

    def connect(self, database: str | None = None):
        """A psycopg2 connection (autocommit) to ``database`` (default: this server's database)."""
        connection = psycopg2.connect(
            host=self.host, port=self.port, user=self.user, dbname=database or self.database
        )
        connection.autocommit = True
        return connection

    def query(self, sql: str, parameters: tuple = ()) -> list[tuple]:
        with contextlib.closing(self.connect()) as connection, connection.cursor() as cursor:
            cursor.execute(sql, parameters)
            return cursor.fetchall()

    def new_database(self, name: str) -> PostgresServer:
        """A fresh empty database on the same server, for a test that needs its own instance."""
        with contextlib.closing(self.connect()) as connection, connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
        return dataclasses.replace(self, database=name)


def write_postgres_dagster_yaml(dagster_home: Path) -> Path:
    """Write ``dagster_home/dagster.yaml``: the production storage (Postgres, connection from the
    DAGSTER_PG_* variables), pools, run retries and telemetry blocks, with the default local run
    launcher instead of Kubernetes. Set the variables (``PostgresServer.set_environment``) before
    loading the instance."""
    production = yaml.safe_load(PROD_DAGSTER_YAML.read_text())
    config = {block: production[block] for block in PROD_BLOCKS}
    dagster_home.mkdir(parents=True, exist_ok=True)
    path = dagster_home / "dagster.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _unavailable(reason: str) -> None:
    """Skip, or fail under CI, where the PostgreSQL tests must always run."""
    if _true(os.environ.get("CI")):
        pytest.fail(f"{reason} (CI is set: these tests must run there)", pytrace=False)
    pytest.skip(reason)


def find_postgres_bin() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: from PATH, else the newest Debian install."""
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(os.path.realpath(on_path)).parent
    candidates = [Path(folder) for folder in glob.glob(DEBIAN_BIN_GLOB)]
    candidates = [c for c in candidates if (c / "initdb").exists() and (c / "pg_ctl").exists()]
    if not candidates:
        return None
    return max(candidates, key=lambda folder: int(folder.parent.name) if folder.parent.name.isdigit() else 0)


def require_postgres_bin() -> Path:
    """``find_postgres_bin()``, or skip (fail under CI) saying how to install PostgreSQL."""
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        _unavailable(
            "PostgreSQL is not installed (no initdb/pg_ctl on PATH or under /usr/lib/postgresql/*/bin): "
            "install it with `apt-get install postgresql`"
        )
    return bin_dir


def _run_as_prefix() -> list[str]:
    """PostgreSQL refuses to run as root: run its programs as the ``postgres`` system user then."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(SUPERUSER)
    except KeyError:
        _unavailable("running as root and no 'postgres' system user to run PostgreSQL as")
    if shutil.which("runuser") is None:
        _unavailable("running as root and no 'runuser' to run PostgreSQL as the postgres user")
    return ["runuser", "-u", SUPERUSER, "--"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(command: list[str], cwd: Path) -> None:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )


@contextlib.contextmanager
def running_postgres(bin_dir: Path) -> Iterator[PostgresServer]:
    """Start a throwaway server (initdb, pg_ctl start -w), yield it, stop it and delete its files."""
    prefix = _run_as_prefix()
    # short path: the unix socket path must stay under ~100 characters
    root = Path(tempfile.mkdtemp(prefix="accrete-pg-"))
    if prefix:
        shutil.chown(root, user=SUPERUSER)
    data, log = root / "data", root / "server.log"
    pg_ctl = [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data)]
    try:
        _run(
            [*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust"]
            + ["--encoding=UTF8", "--locale=C", "--no-sync"],
            cwd=root,
        )
        port = _free_port()
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={root}"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        try:
            _run([*pg_ctl, "-w", "-t", "60", "-l", str(log), "-o", options, "start"], cwd=root)
        except RuntimeError as error:
            server_log = log.read_text() if log.exists() else ""
            raise RuntimeError(f"{error}\nserver log:\n{server_log}") from None
        server = PostgresServer(host="127.0.0.1", port=port, user=SUPERUSER, database="postgres")
        yield server.new_database(DATABASE)
    finally:
        if (data / "postmaster.pid").exists():  # also after a failed start that left it running
            subprocess.run([*pg_ctl, "-w", "-m", "fast", "stop"], cwd=root, capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server on 127.0.0.1 for the test session, with an empty ``dagster`` database."""
    with running_postgres(require_postgres_bin()) as server:
        yield server
