"""The ``watchhouse`` command.

Each capability that has commands keeps them in ``watchhouse/<capability>/cli.py`` with a
``register(app)`` function; they are found here, so adding a capability edits no shared file.
Command modules import their heavy dependencies inside the commands, to keep start-up fast.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import typer

import watchhouse

app = typer.Typer(
    name="watchhouse",
    help="Watchhouse: joined-up community-safety information for police forces and partners.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _root() -> None:
    """Watchhouse: joined-up community-safety information for police forces and partners."""


@app.command()
def version() -> None:
    """Print the Watchhouse version."""
    typer.echo(watchhouse.__version__)


def _register_capabilities() -> None:
    root = Path(watchhouse.__file__).parent
    for module in sorted(pkgutil.iter_modules(watchhouse.__path__), key=lambda m: m.name):
        # Look for the file first: importing a package without commands would only cost start-up time.
        if module.ispkg and (root / module.name / "cli.py").exists():
            importlib.import_module(f"watchhouse.{module.name}.cli").register(app)


_register_capabilities()


def main() -> None:
    app()
