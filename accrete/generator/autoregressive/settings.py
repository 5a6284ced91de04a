"""The autoregressive generator's settings: defaults, and validation that names a bad key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from accrete.generator.base import GeneratorError
from accrete.generator.privacy_budget import PrivacyBudget


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _positive_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _fraction(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1


SETTINGS: dict[str, tuple[Any, Callable[[Any], bool], str]] = {
    "epochs": (100, _positive_int, "a positive integer"),
    "batch_size": (512, _positive_int, "a positive integer"),
    "learning_rate": (0.003, _positive_number, "a positive number"),
    "hidden": (32, _positive_int, "a positive integer"),
    "bins": (32, lambda value: _positive_int(value) and value >= 2, "an integer >= 2"),
    "rare_category_min_count": (5, _positive_int, "a positive integer"),
    "column_order": ("auto", lambda value: value in ("auto", "schema"), "auto or schema"),
    "validation_fraction": (0.1, _fraction, "a number between 0 and 1"),
    "patience": (5, _positive_int, "a positive integer"),
    "max_seconds": (
        50.0,
        lambda value: value is None or _positive_number(value),
        "a positive number or null",
    ),
    "device": ("auto", lambda value: value in ("auto", "cpu", "cuda"), "one of auto, cpu, cuda"),
    "compile": ("auto", lambda value: value in ("auto", True, False), "auto, true or false"),
    "checkpoint_dir": (None, lambda value: value is None or isinstance(value, str), "a path or null"),
    "resume": (True, lambda value: isinstance(value, bool), "true or false"),
    "distributed_processes": (1, _positive_int, "a positive integer"),
    "threads": (1, lambda value: value is None or _positive_int(value), "a positive integer or null"),
    "sample_threads": (
        None,
        lambda value: value is None or _positive_int(value),
        "a positive integer or null",
    ),
    # checked in full by PrivacyBudget, which names the bad key
    "privacy": (None, lambda value: True, "a privacy budget or null"),
}
"""name -> (default, check, what a valid value is)."""
MODEL_SHAPE_SETTINGS = ("hidden", "bins", "rare_category_min_count")
"""Settings that shape the saved weights and encoders: a manifest records their resolved values,
so a model still loads after a default changes."""


def validate_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The full settings (defaults filled in); GeneratorError names the first bad key."""
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise GeneratorError(
            f"autoregressive: unknown setting(s) {', '.join(unknown)}; known: {', '.join(SETTINGS)}"
        )
    config = {}
    for name, (default, check, expected) in SETTINGS.items():
        value = settings.get(name, default)
        if not check(value):
            raise GeneratorError(f"autoregressive: setting {name!r} must be {expected}, got {value!r}")
        config[name] = value
    if config["privacy"] is not None:
        config["privacy"] = PrivacyBudget.from_setting(config["privacy"]).as_setting()
        if config["distributed_processes"] > 1:
            raise GeneratorError(
                "autoregressive: privacy trains in one process; set distributed_processes to 1"
            )
    return config
