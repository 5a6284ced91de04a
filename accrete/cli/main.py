"""The ``accrete`` command group (``[project.scripts]`` in pyproject.toml)."""

from __future__ import annotations

import click

from accrete.cli.init_command import init
from accrete.cli.validate_command import validate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def accrete() -> None:
    """Accrete: validated synthetic tables, from your own files."""


accrete.add_command(init)
accrete.add_command(validate)

if __name__ == "__main__":
    accrete()
