"""Test-only start-up hook: a process started with this folder on PYTHONPATH installs the fault
tests' stall points when its environment names their control folder (tests/faults/stall_points.py)."""

from tests.faults.stall_points import install_if_requested

install_if_requested()
