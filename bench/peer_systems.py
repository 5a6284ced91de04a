"""The systems of the peer benchmark, each fitted and sampled in a worker process of its own.

- ``accrete``: what a user runs, ``accrete.synthesize.fit_and_sample`` on the training file with
  the dataset's spec (its backend, settings, business rules and sampling path); further draws of
  the generator it returns are timed through the same sampling steps (``draw_rows_keeping_rules``,
  then ``conform_to_schema``). Fit seconds are the generator's own (``FitReport.seconds``); the whole
  call, file reading and the first draw included, is reported beside them.
- ``tabular_argn``: MOSTLY AI's TabularARGN (``bench.tabular_argn``), fit time being split,
  analyze, encode and train.
- ``gaussian_copula``: SDV's GaussianCopula through Accrete's backend registry.

Every worker sets torch to ``THREADS`` threads (the machine's two cores); Accrete's generator
then trains with its own ``threads`` setting (the spec's, default one) and samples with its chunk
threads, as it does for a user. Sampling speed is the median of ``SAMPLE_REPEATS`` timed draws of
the same number of rows for every system; the first draw is the one scored. A private run
(``epsilon``) sets the spec's ``generator.privacy`` for Accrete and the engine's
``differential_privacy`` for TabularARGN.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from accrete import synthesize
from accrete.generator.registry import backend_class
from accrete.spec import PRIVATE_RULES, DatasetSpec
from accrete.synthetic.sample import conform_to_schema, draw_rows_keeping_rules
from bench.peers_data import PeerDataset

THREADS = 2
SAMPLE_REPEATS = 3
SEED = 0
DELTA = 1e-5


PRIVATE_BOUNDS = {"fnlwgt": 1_500_000.0}
"""Upper bounds a private layout needs where a bundled spec declares none: Adult's Census weight
(the largest in the UCI files is 1,490,400)."""


def private_spec(spec: DatasetSpec, epsilon: float, delta: float = DELTA) -> DatasetSpec:
    """``spec`` with ``generator.privacy: {epsilon, delta}``, the bounds a private layout needs
    (``PRIVATE_BOUNDS``), and without the rules a private generator cannot keep (those whose
    combinations are read from the real rows: Adult's education dependency)."""
    dumped = spec.model_dump(mode="json")
    for name, maximum in PRIVATE_BOUNDS.items():
        if name in dumped["columns"] and dumped["columns"][name].get("max") is None:
            dumped["columns"][name]["max"] = maximum
    dumped["rules"] = [rule.model_dump(mode="json") for rule in spec.rules if isinstance(rule, PRIVATE_RULES)]
    dumped["generator"]["privacy"] = {"epsilon": epsilon, "delta": delta}
    return DatasetSpec.model_validate(dumped)


def with_settings(spec: DatasetSpec, settings: dict[str, Any]) -> DatasetSpec:
    """``spec`` with ``settings`` merged into its generator settings (the quick mode's time budget)."""
    if not settings:
        return spec
    generator = spec.generator.model_copy(update={"settings": {**spec.generator.settings, **settings}})
    return spec.model_copy(update={"generator": generator})


def _median_rate(rows: int, seconds: list[float]) -> float:
    return rows / float(np.median(seconds))


def _timed(draw, seed: int) -> tuple[pd.DataFrame, float]:
    started = time.perf_counter()
    frame = draw(seed)
    return frame, time.perf_counter() - started


def run_accrete(
    data: PeerDataset, rows: int, epsilon: float | None, settings: dict[str, Any]
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Fit and sample through ``fit_and_sample``, then time further draws of the same generator."""
    spec = with_settings(data.spec, settings)
    if epsilon is not None:
        spec = private_spec(spec, epsilon)
    started = time.perf_counter()
    synthesis = synthesize.fit_and_sample(spec, data.train_file, rows, seed=SEED)
    whole = time.perf_counter() - started
    asked = spec.synthetic.model_copy(update={"rows": rows})

    def draw(seed: int) -> pd.DataFrame:
        drawn, _ = draw_rows_keeping_rules(synthesis.generator, asked, seed)
        return conform_to_schema(drawn, data.schema)

    seconds = [_timed(draw, SEED + repeat)[1] for repeat in range(1, SAMPLE_REPEATS + 1)]
    report = synthesis.fit
    return synthesis.rows, {
        "fit_seconds": report.seconds,
        "fit_and_sample_seconds": whole,
        "sample_rows_per_second": _median_rate(rows, seconds),
        "epochs": report.epochs,
        "redrawn": synthesis.redrawn,
        "settings": spec.generator.settings,
        "privacy": report.extra.get("privacy"),  # what a private fit spent, and how
    }


def run_tabular_argn(
    data: PeerDataset, rows: int, epsilon: float | None, max_minutes: float | None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Fit TabularARGN on the typed training rows, sample ``rows`` rows ``SAMPLE_REPEATS`` times."""
    from bench.tabular_argn import TabularARGN  # only .venv-bench has mostlyai-engine

    with tempfile.TemporaryDirectory(prefix="accrete-argn-") as folder:
        model = TabularARGN(data.schema, Path(folder) / "workspace", seed=SEED)
        started = time.perf_counter()
        report = model.fit(data.train, epsilon=epsilon, delta=DELTA, max_minutes=max_minutes)
        fit_seconds = time.perf_counter() - started
        draws = [_timed(lambda seed: model.sample(rows, seed), SEED + r) for r in range(SAMPLE_REPEATS)]
    return draws[0][0], {
        "fit_seconds": fit_seconds,
        "sample_rows_per_second": _median_rate(rows, [seconds for _, seconds in draws]),
        **report,
        "max_minutes": max_minutes,
        "privacy": None if epsilon is None else {"epsilon": epsilon, "delta": DELTA},
    }


def run_gaussian_copula(data: PeerDataset, rows: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Fit SDV's GaussianCopula (Accrete's backend) on the typed training rows and sample."""
    backend = backend_class("gaussian_copula")(data.schema, {}, seed=SEED)
    started = time.perf_counter()
    backend.fit(data.train[data.schema.names])
    fit_seconds = time.perf_counter() - started

    def draw(seed: int) -> pd.DataFrame:
        return conform_to_schema(backend.sample(rows, seed=seed), data.schema)

    draws = [_timed(draw, SEED + repeat) for repeat in range(SAMPLE_REPEATS)]
    return draws[0][0], {
        "fit_seconds": fit_seconds,
        "sample_rows_per_second": _median_rate(rows, [seconds for _, seconds in draws]),
    }


def run(job: dict[str, Any], data: PeerDataset) -> tuple[pd.DataFrame, dict[str, Any]]:
    """One job of ``bench.peers``: its system fitted on ``data`` and sampled."""
    torch.set_num_threads(THREADS)
    system, rows, epsilon = job["system"], job["sample_rows"], job.get("epsilon")
    if system == "accrete":
        return run_accrete(data, rows, epsilon, job.get("settings") or {})
    if system == "tabular_argn":
        return run_tabular_argn(data, rows, epsilon, job.get("max_minutes"))
    if system == "gaussian_copula":
        return run_gaussian_copula(data, rows)
    raise KeyError(f"unknown system {system!r}")
