"""The landing zone: where each dataset's real files are delivered."""

from __future__ import annotations

from pathlib import Path

import dagster as dg


class LandingZone(dg.ConfigurableResource):
    """Root folder of the landing zone; dataset ``<name>``'s files land in ``<root>/<name>/``."""

    root: str

    @property
    def path(self) -> Path:
        return Path(self.root)
