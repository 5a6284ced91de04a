"""The test's side of a fault: a run worker to drive, stall points to arm, processes to kill.

``RunWorker`` starts ``tests.run_worker`` with the stall points installed in it and in
every process it starts; ``StallControl`` arms a point, waits until a process reaches it, then
kills that process with SIGKILL or lets it go on.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from tests.conftest import REPO
from tests.faults.stall_points import STALLS_VARIABLE
from tests.run_worker import ANSWER_PREFIX

SITE = Path(__file__).resolve().parent / "site"
RUN_TIMEOUT = 600
"""Seconds a run (or a wait for a stall point) may take before the test fails: a busy 2-core CI
machine needs minutes for the first run, which imports the whole code location twice."""


@dataclass(frozen=True)
class StalledProcess:
    """A process waiting at a stall point."""

    pid: int
    parent_pid: int


class RunWorker:
    """A ``tests.run_worker`` process: runs asset selections on the instance of DAGSTER_HOME."""

    def __init__(self, environment: dict[str, str], control: Path, log: Path):
        python_path = os.pathsep.join([str(SITE), str(REPO), environment.get("PYTHONPATH", "")])
        self.log = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.run_worker"],
            cwd=REPO,
            env={**environment, "PYTHONPATH": python_path, STALLS_VARIABLE: str(control)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        self.answers: queue.Queue[dict] = queue.Queue()
        threading.Thread(target=self._read_answers, daemon=True).start()

    def _read_answers(self) -> None:
        for line in self.process.stdout:
            if line.startswith(ANSWER_PREFIX):
                self.answers.put(json.loads(line[len(ANSWER_PREFIX) :]))

    def start(self, selection: list[dg.AssetKey]) -> None:
        self.process.stdin.write(json.dumps([key.to_user_string() for key in selection]) + "\n")
        self.process.stdin.flush()

    def answer(self, timeout: float = RUN_TIMEOUT) -> dict:
        """The outcome of the run started last (see ``run_worker.outcome_of``)."""
        try:
            return self.answers.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no run outcome within {timeout} s; worker log: {self.log.name}") from None

    def run(self, selection: list[dg.AssetKey]) -> dict:
        self.start(selection)
        return self.answer()

    def close(self) -> None:
        self.process.stdin.close()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def _is_alive(pid: int) -> bool:
    """Still running: a zombie (dead, not yet reaped by its parent) holds no file, so no DuckDB lock."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    if not Path("/proc/self/stat").exists():
        return True  # no /proc to tell a zombie: alive until its parent reaps it
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


class StallControl:
    """The control folder of the stall points (``tests/faults/stall_points.py``)."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def _file(self, point: str, kind: str) -> Path:
        return self.folder / f"{point}.{kind}"

    def arm(self, point: str) -> None:
        """The next process to reach ``point`` stops there."""
        for kind in ("claimed", "reached", "release"):
            self._file(point, kind).unlink(missing_ok=True)
        self._file(point, "armed").touch()

    def wait(self, point: str, worker: RunWorker, timeout: float = RUN_TIMEOUT) -> StalledProcess:
        """The process stopped at ``point``; fails if the run ends without reaching it."""
        reached = self._file(point, "reached")
        deadline = time.monotonic() + timeout
        while not reached.exists():
            if not worker.answers.empty():
                raise AssertionError(f"the run ended without reaching {point}: {worker.answers.get()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no process reached {point} within {timeout} s")
            time.sleep(0.1)
        return StalledProcess(**json.loads(reached.read_text()))

    def release(self, point: str) -> None:
        """Let the process stopped at ``point`` go on; the point stays spent until armed again."""
        self._file(point, "armed").unlink(missing_ok=True)
        self._file(point, "release").touch()

    def kill(self, *pids: int) -> None:
        """SIGKILL each process (the order given) and wait until none of them runs."""
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while any(_is_alive(pid) for pid in pids):
            assert time.monotonic() < deadline, f"processes {pids} still alive after SIGKILL"
            time.sleep(0.05)

    def release_all(self) -> None:
        """Let every stopped process go on (teardown: none of them is left waiting)."""
        for armed in self.folder.glob("*.armed"):
            self.release(armed.name.removesuffix(".armed"))
