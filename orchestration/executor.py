"""How a run executes its steps: one process per step, forked from a server that has already
imported the code location, so a step starts in milliseconds instead of re-importing torch,
SDV, great-expectations and dbt for seconds each time."""

import dagster as dg

step_executor = dg.multiprocess_executor.configured(
    {"start_method": {"forkserver": {"preload_modules": ["orchestration.definitions"]}}}
)
