"""Backend names as written in a dataset spec, mapped to their classes.

Classes are imported on first use, so choosing one backend never imports another's
dependencies.
"""

from __future__ import annotations

from importlib import import_module

from accrete.generator.base import GeneratorBackend

BACKENDS: dict[str, str] = {
    "gaussian_copula": "accrete.generator.sdv_backends:GaussianCopulaBackend",
    "tvae": "accrete.generator.sdv_backends:TVAEBackend",
    "ctgan": "accrete.generator.sdv_backends:CTGANBackend",
    "autoregressive": "accrete.generator.autoregressive.backend:AutoregressiveBackend",
}


def backend_class(name: str) -> type[GeneratorBackend]:
    """The backend class registered under ``name``."""
    if name not in BACKENDS:
        raise KeyError(f"unknown generator backend {name!r}; known: {', '.join(sorted(BACKENDS))}")
    module_name, class_name = BACKENDS[name].split(":")
    return getattr(import_module(module_name), class_name)
