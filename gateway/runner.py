"""What the `plan` and `sync` commands do, without the command line: build the adapters, open
the journal, run the engine, close everything. The CLI and the demo both call these."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import date
from functools import partial

import httpx

from balance_gateway.adapters._core.adapter import BalanceAdapter
from balance_gateway.adapters._core.retry import RetryPolicy
from balance_gateway.gateway.budget import Traffic
from balance_gateway.gateway.checks import check_leave_types
from balance_gateway.gateway.config import Config
from balance_gateway.gateway.engine import Applier, Engine, ProgressSink
from balance_gateway.gateway.plan import SyncPlan
from balance_gateway.gateway.results import RunReport
from balance_gateway.gateway.saved_plan import SavedPlan, describe_saved
from balance_gateway.gateway.store import open_state_store, run_lock_for, store_exists
from balance_gateway.gateway.store.sql import SqlJournal
from balance_gateway.gateway.store.sqlite import SqliteJournal
from balance_gateway.gateway.systems import BucketFactory, local_bucket, open_systems, systems_of


def _open_journal(config: Config, *, writable: bool) -> SqlJournal:
    """The configured state store's journal (a SQLite file, or PostgreSQL)."""
    if config.state.path is not None:
        return SqliteJournal(config.state.path, writable=writable)
    return open_state_store(config, writable=writable)


@asynccontextmanager
async def _systems(
    config: Config,
    names: Collection[str],
    ready: Mapping[str, BalanceAdapter] | None,
    *,
    transports: Mapping[str, httpx.AsyncBaseTransport] | None,
    retry: RetryPolicy | None,
    traffic: dict[str, Traffic],
    buckets: BucketFactory = local_bucket,
) -> AsyncIterator[Mapping[str, BalanceAdapter]]:
    """The adapters of `names`: `ready` ones as they are (their caller closes them), else built
    from `config` (`open_systems`: closed on the way out)."""
    if ready is not None:
        yield ready
        return
    async with open_systems(
        config, names, transports=transports, retry=retry, traffic=traffic, buckets=buckets
    ) as built:
        yield built


async def run_plan(
    config: Config,
    sync_name: str | None = None,
    *,
    today: date | None = None,
    transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
    retry: RetryPolicy | None = None,
    progress: ProgressSink | None = None,
    adapters: Mapping[str, BalanceAdapter] | None = None,
) -> RunReport:
    """Plan the selected syncs (default: all). Reads source and targets, writes nothing to
    any vendor, and creates no state file (an existing one is read for last written values).
    `progress` is told what each system gave and what each sync planned (`ProgressSink.step`).
    `adapters` (system name -> adapter) are used as they are instead of building each system's
    from the configuration, as for `run_sync`. Raises ConfigError (unknown sync) or SetupError
    (vendor not installed, target not writable).

    Takes no run lock: it only reads, and reads the state store (SQLite in WAL mode, or
    PostgreSQL) while a run writes it. Every sync is planned against the systems as they are
    now, so a sync fed by another selected sync shows its values before that one is applied
    (`sync` plans it again after; see `gateway.engine`, "Waves")."""
    selected = [s.name for s in config.selected_syncs(sync_name)]
    traffic: dict[str, Traffic] = {}
    async with AsyncExitStack() as stack:
        journal = _open_journal(config, writable=False) if store_exists(config) else None
        if journal is not None:
            stack.callback(journal.close)
        systems = await stack.enter_async_context(
            _systems(
                config,
                systems_of(config, selected),
                adapters,
                transports=transports,
                retry=retry,
                traffic=traffic,
            )
        )
        engine = Engine(config, systems, journal, today=today)
        plans = await engine.plan(
            selected, progress=progress, check=partial(check_leave_types, config, systems, selected)
        )
        return RunReport(
            run_id=None,
            dry_run=False,
            plans=plans,
            unresolved_elsewhere=engine.unresolved_elsewhere(),
            traffic=traffic,
        )


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
    applier: Applier | None = None,
    buckets: BucketFactory = local_bucket,
    saved: SavedPlan | None = None,
    saved_from: str = "",
    adapters: Mapping[str, BalanceAdapter] | None = None,
) -> RunReport:
    """Run the selected syncs (default: all) with the journal in `config.state` (a SQLite file
    created when missing, or PostgreSQL). See `Engine.sync` for the phases and what is raised.

    With `saved` (a saved plan, checked by `gateway.saved_plan.check_plan`), the selected
    syncs of that plan apply its rows as reviewed instead of planning again (`check_plan`
    refuses a `sync_name` the plan does not have); `saved_from` names its file in the journal.

    A run (not a dry run) first takes the state store's run lock (`gateway.store.run_lock_for`:
    a file lock for SQLite, an advisory lock for PostgreSQL) and holds it to the end: a second
    run on the same state store raises `RunLocked` (a SetupError naming the store; CLI exit
    code 2) before building anything. Everything opened here (the
    lock, the adapters, the journal) is closed however the run ends. The report's `traffic`
    counts each system's requests, 429s and retries.

    `applier` applies each wave's rows instead of this process (`gateway.distributed`: work
    units sent to Celery workers), and `buckets` makes the systems' token buckets (there: shared
    with the workers through Redis); everything else runs here as in a single-process run.

    `adapters` (system name -> adapter, e.g. fakes in a test) are used as they are instead of
    building each system's from the configuration: `transports`, `retry` and `buckets` then
    do not apply, the caller closes them, and the report counts no traffic. They are taken
    after the run lock and the journal, as built ones are."""
    selected = [s.name for s in config.selected_syncs(sync_name)]
    reviewed = None
    if saved is not None:
        selected = [name for name in selected if name in saved.sync_names]
        reviewed = saved.to_plans(selected)
    traffic: dict[str, Traffic] = {}
    async with AsyncExitStack() as stack:
        lock = None if dry_run else run_lock_for(config)
        if lock is not None:
            stack.enter_context(lock)
        # Opened (and checked: StateStoreError) before any vendor is contacted. A dry run
        # records nothing: it reads an existing state store, never creates one. Closed before
        # the lock is released (the exit stack unwinds in reverse).
        journal = (
            None
            if dry_run and not store_exists(config)
            else _open_journal(config, writable=not dry_run)
        )
        if journal is not None:
            stack.callback(journal.close)
            if not dry_run:
                # This run holds the lock: no other run is going on, so a run still `running`
                # was killed.
                journal.close_abandoned_runs()
        systems = await stack.enter_async_context(
            _systems(
                config,
                systems_of(config, selected),
                adapters,
                transports=transports,
                retry=retry,
                traffic=traffic,
                buckets=buckets,
            )
        )
        engine = Engine(config, systems, journal, today=today)
        report = await engine.sync(
            selected,
            dry_run=dry_run,
            confirm=confirm,
            progress=progress,
            reviewed=reviewed,
            origin=""
            if saved is None
            else f"applied {describe_saved(saved, saved_from)}, as reviewed",
            applier=applier,
            lock_check=None if lock is None else lock.check,
            check=partial(check_leave_types, config, systems, selected),
        )
        report.traffic = traffic
        return report
