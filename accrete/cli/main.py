"""The ``accrete`` command group (``[project.scripts]`` in pyproject.toml).

Each subcommand's module is imported when that subcommand runs, so ``accrete init`` never pays for
the validation stack or torch, which ``validate`` and ``synthesize`` import.
"""

from __future__ import annotations

from importlib import import_module

import click

SUBCOMMANDS = {
    "init": "accrete.cli.init_command:init",
    "rules": "accrete.cli.rules_command:rules",
    "synthesize": "accrete.cli.synthesize_command:synthesize",
    "validate": "accrete.cli.validate_command:validate",
}
"""Subcommand name -> ``module:attribute`` of its click command."""


class SubcommandsOnDemand(click.Group):
    """A click group that imports a subcommand's module only when it is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in SUBCOMMANDS:
            return None
        module, attribute = SUBCOMMANDS[cmd_name].split(":")
        return getattr(import_module(module), attribute)


@click.group(cls=SubcommandsOnDemand, context_settings={"help_option_names": ["-h", "--help"]})
def accrete() -> None:
    """Accrete: validated synthetic tables, from your own files."""


if __name__ == "__main__":
    accrete()
