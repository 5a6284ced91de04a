"""Where the autoregressive generator runs: the torch device a setting names, and torch's CPU threads."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

from accrete.generator.base import GeneratorError


def resolve_device(requested: str) -> torch.device:
    """``auto`` picks CUDA when a GPU is visible, else the CPU."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested == "cuda" and not torch.cuda.is_available():
        raise GeneratorError("setting 'device': 'cuda' requested but no CUDA device is available")
    return torch.device(requested)


@contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run the block with ``threads`` torch CPU threads, then restore the previous number."""
    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
