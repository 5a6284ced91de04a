"""Known points where a fault test stops a pipeline process, to kill it there or look around.

``install_if_requested()`` runs in every Python process a fault test starts (through
``tests/faults/site/``, put on PYTHONPATH with ``STALLS_VARIABLE`` naming a control folder): the
run worker, the step server and each step forked from it, and the dbt process a step starts. It
wraps each point's function once its module is imported. Production code carries no hook: the points wrap library
functions (DuckDB's ``execute``, the trainer's epoch, a backend's ``save``).

A point does nothing until the test arms it (``<control>/<name>.armed``). The first process to
reach an armed point writes ``<control>/<name>.reached`` (its pid and its parent's pid) and waits
there until it is killed or the test writes ``<control>/<name>.release``; a point fires once per
arming. Only the standard library is imported here: this module loads in dbt's process too.
"""

from __future__ import annotations

import importlib.abc
import json
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

STALLS_VARIABLE = "ACCRETE_TEST_STALLS"
"""Names the control folder; unset, nothing is installed."""


@dataclass(frozen=True)
class StallPoint:
    """A call at which a process stops: ``module``'s ``attribute`` (``Class.method`` or a function)."""

    module: str
    attribute: str
    matches: Callable[[tuple, dict], bool]
    """whether this call is the point (the call's positional and keyword arguments)"""
    after: bool
    """stop once the call has returned (its effect done) rather than before it runs"""


def _sql_matches(pattern: str, occurrence: int = 1) -> Callable[[tuple, dict], bool]:
    """The ``occurrence``-th statement in this process that matches ``pattern``
    (arguments of ``DuckDBPyConnection.execute``: the connection, then the SQL)."""
    expression = re.compile(pattern, re.IGNORECASE)
    seen = 0

    def matches(args: tuple, kwargs: dict) -> bool:
        nonlocal seen
        query = args[1] if len(args) > 1 else kwargs.get("query", "")
        if not (isinstance(query, str) and expression.search(query)):
            return False
        seen += 1
        return seen == occurrence

    return matches


def _call_number(number: int) -> Callable[[tuple, dict], bool]:
    calls = 0

    def matches(args: tuple, kwargs: dict) -> bool:
        nonlocal calls
        calls += 1
        return calls == number

    return matches


def _every_call(args: tuple, kwargs: dict) -> bool:
    return True


STALL_POINTS = {
    # ingestion of two landing files: the second file's rows are about to be inserted, its earlier
    # rows already deleted, the first file's rows inserted, all in the step's open transaction
    "raw_insert_of_second_batch": StallPoint(
        "duckdb",
        "DuckDBPyConnection.execute",
        _sql_matches(r"^\s*insert\s+into\s+raw\.adult\b", occurrence=2),
        after=False,
    ),
    # dbt: the incremental model's delete+insert of the new batch has run, its COMMIT has not
    "dbt_insert_into_accumulated": StallPoint(
        "duckdb",
        "DuckDBPyConnection.execute",
        _sql_matches(r'insert\s+into\s+"accrete"\."real"\."adult_real_accumulated"'),
        after=True,
    ),
    # training: two epochs done, the third about to start
    "third_training_epoch": StallPoint(
        "accrete.generator.autoregressive.trainer", "TrainingRun._train_epoch", _call_number(3), after=False
    ),
    # saving: the backend's files are in the store, its manifest is not
    "model_files_written": StallPoint(
        "accrete.generator.autoregressive.backend", "AutoregressiveBackend.save", _every_call, after=True
    ),
    # a step opening the warehouse: the start of a step's work (a retry attempt, say)
    "warehouse_opened": StallPoint("duckdb", "connect", _every_call, after=False),
}


def _control() -> Path:
    return Path(os.environ[STALLS_VARIABLE])


def _stop_if_armed(name: str) -> None:
    control = _control()
    if not (control / f"{name}.armed").exists():
        return
    try:  # the first process to get here claims the point
        os.close(os.open(control / f"{name}.claimed", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return
    partial = control / f"{name}.reached.partial"
    partial.write_text(json.dumps({"pid": os.getpid(), "parent_pid": os.getppid()}))
    os.replace(partial, control / f"{name}.reached")
    while not (control / f"{name}.release").exists():
        time.sleep(0.05)


def _wrap(name: str, point: StallPoint, function: Callable) -> Callable:
    def stalling(*args, **kwargs):
        if not point.matches(args, kwargs):
            return function(*args, **kwargs)
        if not point.after:
            _stop_if_armed(name)
        result = function(*args, **kwargs)
        if point.after:
            _stop_if_armed(name)
        return result

    stalling.__wrapped__ = function
    return stalling


def _patch(module, names: list[str]) -> None:
    for name in names:
        point = STALL_POINTS[name]
        *owner_path, attribute = point.attribute.split(".")
        owner = module
        for part in owner_path:
            owner = getattr(owner, part)
        setattr(owner, attribute, _wrap(name, point, getattr(owner, attribute)))


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Wraps the points of a module right after the module is first imported."""

    def __init__(self, pending: dict[str, list[str]]):
        self.pending = pending

    def find_spec(self, fullname, path, target=None):
        if fullname not in self.pending:
            return None
        names = self.pending.pop(fullname)
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        execute = spec.loader.exec_module

        def exec_module(module):
            execute(module)
            _patch(module, names)

        spec.loader.exec_module = exec_module
        return spec


def install_if_requested() -> None:
    """Wrap every stall point in this process (now, or when its module is imported), when
    ``STALLS_VARIABLE`` names a control folder."""
    if not os.environ.get(STALLS_VARIABLE):
        return
    pending: dict[str, list[str]] = {}
    for name, point in STALL_POINTS.items():
        pending.setdefault(point.module, []).append(name)
    for module in [module for module in pending if module in sys.modules]:
        _patch(sys.modules[module], pending.pop(module))
    sys.meta_path.insert(0, _PatchOnImport(pending))
