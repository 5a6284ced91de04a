"""How a run executes its steps, chosen by ``ACCRETE_EXECUTOR``.

- ``multiprocess`` (default): one process per step, forked from a server that has already
  imported the code location, so a step starts in milliseconds instead of re-importing torch,
  SDV, great-expectations and dbt for seconds each time.
- ``k8s``: one Kubernetes pod per step (``dagster_k8s.k8s_job_executor``), used in production
  with the ``K8sRunLauncher`` (deploy/prod/dagster.yaml), so the training step can get a GPU pod.
"""

import os

import dagster as dg

EXECUTOR_VARIABLE = "ACCRETE_EXECUTOR"
EXECUTORS = ("multiprocess", "k8s")

multiprocess_step_executor = dg.multiprocess_executor.configured(
    {"start_method": {"forkserver": {"preload_modules": ["orchestration.definitions"]}}}
)


def select_executor() -> dg.ExecutorDefinition:
    """The executor named by ``ACCRETE_EXECUTOR`` (unset or empty: ``multiprocess``)."""
    name = os.environ.get(EXECUTOR_VARIABLE) or "multiprocess"
    if name == "multiprocess":
        return multiprocess_step_executor
    if name == "k8s":
        from dagster_k8s import k8s_job_executor  # imported only here: it loads the kubernetes client

        return k8s_job_executor
    raise ValueError(f"{EXECUTOR_VARIABLE} must be one of {EXECUTORS}, got {name!r}")


step_executor = select_executor()
