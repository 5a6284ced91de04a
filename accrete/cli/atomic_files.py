"""Files the command line writes whole or not at all: a half-written output never takes the name."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Make ``path`` by ``write``, which creates a temporary file beside it (hidden, same suffix, so
    writers that go by the suffix behave; the writer creates it, so it gets the usual permissions);
    renamed to ``path`` once ``write`` returns, removed if it raises."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}{path.suffix}")
    try:
        write(temporary)
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


def write_text_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all."""
    write_atomically(path, lambda temporary: temporary.write_text(text))
