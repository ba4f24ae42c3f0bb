"""Commands of the sync engine: plan, sync, runs, demo."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the engine's commands to `app` (none yet)."""
