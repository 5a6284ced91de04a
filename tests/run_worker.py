"""A Dagster run worker that a test drives: one run of ``accrete_pipeline`` per request.

A run needs a process of its own: the multiprocess executor's step server (a forkserver) starts
once per Python process and keeps the environment it started with, so runs made inside pytest
after another test's would use that test's Accrete home and specs.

Started as ``python -m tests.run_worker`` with the test's Accrete home and DAGSTER_HOME
in its environment. Each line it reads is a JSON list of asset keys; it runs that selection as
production does (the job's multiprocess executor: steps forked from a step server that has
imported the code location) and answers one line, ``RUN {"success": ..., ...}``. The server
starts with the first run and serves every later run, so a test pays for the imports once.
"""

from __future__ import annotations

import json
import sys

import dagster as dg

from orchestration.definitions import build_definitions

ANSWER_PREFIX = "RUN "


def accrete_pipeline_job() -> dg.JobDefinition:
    """The pipeline job, rebuilt from the environment (and the spec files as they are now)."""
    return build_definitions().resolve_job_def("accrete_pipeline")


def outcome_of(result: dg.ExecuteJobResult) -> dict:
    """What a test asserts on: success, each step failure's message, each retry of a step, failed checks."""
    return {
        "run_id": result.run_id,
        "success": result.success,
        "failures": [
            str(event.step_failure_data.error) for event in result.all_events if event.is_step_failure
        ],
        "retried_steps": [
            event.step_key for event in result.all_events if event.event_type_value == "STEP_UP_FOR_RETRY"
        ],
        "failed_checks": sorted(
            evaluation.check_name
            for evaluation in result.get_asset_check_evaluations()
            if not evaluation.passed
        ),
    }


def main() -> None:
    job = dg.reconstructable(accrete_pipeline_job)
    with dg.DagsterInstance.get() as instance:
        for line in sys.stdin:
            selection = [dg.AssetKey.from_user_string(key) for key in json.loads(line)]
            result = dg.execute_job(job, instance=instance, asset_selection=selection, raise_on_error=False)
            print(ANSWER_PREFIX + json.dumps(outcome_of(result)), flush=True)


if __name__ == "__main__":
    # run under its importable name, so that the steps can rebuild the job from this module
    from tests import run_worker

    run_worker.main()
