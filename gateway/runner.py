"""What the `plan` and `sync` commands do, without the command line: build the adapters, open
the journal, run the engine, close everything. The CLI and the demo both call these."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

import httpx

from adapters._core.retry import RetryPolicy
from gateway.config import Config
from gateway.engine import Engine, ProgressSink, RunReport
from gateway.journal import SqliteJournal
from gateway.plan import SyncPlan
from gateway.systems import build_systems, close_systems, systems_of


async def run_plan(
    config: Config,
    sync_name: str | None = None,
    *,
    today: date | None = None,
    transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
    retry: RetryPolicy | None = None,
) -> RunReport:
    """Plan the selected syncs (default: all). Reads source and targets, writes nothing to
    any vendor, and creates no state file (an existing one is read for last written values).
    Raises ConfigError (unknown sync) or SetupError (vendor not installed, target not
    writable)."""
    selected = [s.name for s in config.selected_syncs(sync_name)]
    journal = SqliteJournal(config.state_path) if config.state_path.exists() else None
    adapters = build_systems(
        config, systems_of(config, selected), transports=transports, retry=retry
    )
    try:
        engine = Engine(config, adapters, journal, today=today)
        plans = await engine.plan(selected)
        return RunReport(run_id=None, dry_run=False, plans=plans)
    finally:
        await close_systems(adapters)
        if journal is not None:
            journal.close()


async def run_sync(
    config: Config,
    sync_name: str | None = None,
    *,
    dry_run: bool = False,
    confirm: Callable[[list[SyncPlan]], bool] | None = None,
    progress: ProgressSink | None = None,
    today: date | None = None,
    transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
    retry: RetryPolicy | None = None,
) -> RunReport:
    """Run the selected syncs (default: all) with the journal at `config.state_path`
    (created when missing). See `Engine.sync` for the phases and what is raised."""
    selected = [s.name for s in config.selected_syncs(sync_name)]
    adapters = build_systems(
        config, systems_of(config, selected), transports=transports, retry=retry
    )
    # A dry run records nothing: it reads an existing state store, never creates one.
    journal = (
        None if dry_run and not config.state_path.exists() else SqliteJournal(config.state_path)
    )
    try:
        engine = Engine(config, adapters, journal, today=today)
        return await engine.sync(selected, dry_run=dry_run, confirm=confirm, progress=progress)
    finally:
        await close_systems(adapters)
        if journal is not None:
            journal.close()
