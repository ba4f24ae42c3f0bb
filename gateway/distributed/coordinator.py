"""`balance-gateway sync --distributed`: the run is planned, checked, confirmed and verified
here, as `sync` does (`gateway.runner.run_sync`); only each wave's writes go to the workers,
as work units on the Celery queue, and this process follows them to the end.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from celery import Celery
from kombu.exceptions import OperationalError
from redis.asyncio import Redis
from redis.exceptions import RedisError

from balance_gateway.gateway.attempts import latest_attempt, result_from_record
from balance_gateway.gateway.budget import Traffic
from balance_gateway.gateway.config import Config, DistributedConfig
from balance_gateway.gateway.distributed import broker_label, distributed_settings
from balance_gateway.gateway.distributed.app import APPLY_UNIT, celery_app, check_broker
from balance_gateway.gateway.distributed.bucket import RedisBuckets
from balance_gateway.gateway.distributed.units import WorkUnit, split_units
from balance_gateway.gateway.distributed.worker import TRAFFIC_FIELDS
from balance_gateway.gateway.engine import Engine, ProgressSink
from balance_gateway.gateway.errors import SetupError
from balance_gateway.gateway.plan import SyncPlan
from balance_gateway.gateway.results import RowResult, RunReport
from balance_gateway.gateway.runner import run_sync
from balance_gateway.gateway.saved_plan import SavedPlan

POLL_SECONDS = 0.2
# No unit finished for this long: say that workers may be missing (once per wave).
STALL_SECONDS = 15.0


@dataclass
class UnitOutcome:
    """What became of one unit: `error` when it failed or was refused, else None."""

    unit: WorkUnit
    error: str | None = None


@dataclass
class DistributedApplier:
    """An `engine.Applier`: sends each wave's writes as work units and waits for them.

    Rows that write nothing are journalled here (`Engine.apply`); the results of the writes
    are read back from the journal once every unit is done. `notice` is told when no unit has
    finished for a while (no worker running?)."""

    app: Celery
    settings: DistributedConfig
    notice: Callable[[str], None] = lambda _message: None
    traffic: dict[str, Traffic] = field(default_factory=dict)
    units_sent: int = 0

    async def __call__(
        self, engine: Engine, plans: Sequence[SyncPlan], progress: ProgressSink | None
    ) -> list[RowResult]:
        assert engine.journal is not None
        rows = [row for plan in plans for row in plan.rows]
        writes = [row for row in rows if row.writes and row.intent is not None]
        sent = {id(row) for row in writes}
        quiet = [
            replace(plan, rows=tuple(r for r in plan.rows if id(r) not in sent)) for plan in plans
        ]
        by_row: dict[int, RowResult] = {}
        for result in await engine.apply(quiet):
            by_row[id(result.row)] = result
        units = split_units(
            engine.run_id, writes, self.settings.batch_size, first_number=self.units_sent + 1
        )
        self.units_sent += len(units)
        if progress is not None:
            progress.start(len(writes))
        try:
            outcomes = await self._run_units(units, progress)
        finally:
            if progress is not None:
                progress.finish()
        recorded = {op.operation_id: op for op in engine.journal.operations(engine.run_id)}
        for outcome in outcomes:
            for row in outcome.unit.rows:
                assert row.intent is not None
                _, op = latest_attempt(row.intent.operation_id, recorded)
                if op is not None:
                    by_row[id(row)] = result_from_record(row, op)
                else:
                    why = outcome.error or "its work unit ended without applying it"
                    by_row[id(row)] = engine.record_not_sent(row, f"not sent: {why}")
        # The units hold the plans' own row objects (their messages are copies).
        return [by_row[id(row)] for row in rows]

    async def _run_units(
        self, units: list[WorkUnit], progress: ProgressSink | None
    ) -> list[UnitOutcome]:
        sent = {
            self.app.send_task(
                APPLY_UNIT, args=[unit.to_message()], queue=self.settings.queue
            ).id: UnitOutcome(unit)
            for unit in units
        }
        backend = self.app.backend
        pending = dict(sent)
        last_done = time.monotonic()
        warned = False
        while pending:
            ids = list(pending)
            raw = backend.client.mget([backend.get_key_for_task(task_id) for task_id in ids])
            for task_id, value in zip(ids, raw, strict=True):
                if value is None:
                    continue
                meta = backend.decode_result(value)
                if meta.get("status") not in ("SUCCESS", "FAILURE"):
                    continue
                outcome = pending.pop(task_id)
                self._finished(outcome, meta)
                last_done = time.monotonic()
                if progress is not None:
                    for row in outcome.unit.rows:
                        progress.advance(f"{row.target_system} {row.target_employee}")
            if pending and not warned and time.monotonic() - last_done > STALL_SECONDS:
                warned = True
                self.notice(
                    f"no work unit finished in {STALL_SECONDS:.0f} s ({len(pending)} waiting on "
                    f"queue {self.settings.queue!r}): is a worker running? Start one with "
                    "`balance-gateway worker --config FILE`"
                )
            if pending:
                await asyncio.sleep(POLL_SECONDS)
        return list(sent.values())

    def _finished(self, outcome: UnitOutcome, meta: dict[str, Any]) -> None:
        result = meta.get("result")
        if meta["status"] == "FAILURE":
            outcome.error = f"the worker failed: {_exception_text(result)}"
            return
        if not isinstance(result, dict):
            outcome.error = "the worker answered nothing usable"
            return
        if result.get("refused"):
            outcome.error = f"refused by the worker: {result['refused']}"
        for name, counts in (result.get("traffic") or {}).items():
            total = self.traffic.setdefault(name, Traffic())
            for key in TRAFFIC_FIELDS:
                setattr(total, key, getattr(total, key) + int(counts.get(key, 0)))


def _exception_text(result: object) -> str:
    if isinstance(result, dict):
        return f"{result.get('exc_type', 'error')}: {result.get('exc_message', '')}"
    return str(result)


async def run_distributed(
    config: Config,
    sync_name: str | None = None,
    *,
    dry_run: bool = False,
    confirm: Callable[[list[SyncPlan]], bool] | None = None,
    progress: ProgressSink | None = None,
    today: date | None = None,
    saved: SavedPlan | None = None,
    saved_from: str = "",
    notice: Callable[[str], None] = lambda _message: None,
) -> RunReport:
    """`run_sync` (of a saved plan too) with each wave's writes applied by the workers (see the
    module docstring), every process's requests under the systems' shared budgets. The report's
    traffic adds the workers' requests to this process's."""
    settings = distributed_settings(config)
    app = celery_app(settings)
    redis = Redis.from_url(settings.broker)
    applier = DistributedApplier(app, settings, notice)
    try:
        await check_broker(redis, config, settings)
        report = await run_sync(
            config,
            sync_name,
            dry_run=dry_run,
            confirm=confirm,
            progress=progress,
            today=today,
            saved=saved,
            saved_from=saved_from,
            applier=applier,
            buckets=RedisBuckets(redis),
        )
    except (RedisError, OperationalError) as exc:
        # The run is already recorded as ended with an error (`Engine.sync`).
        raise SetupError(
            f"lost the Redis broker {broker_label(settings.broker)} during the run "
            f"({type(exc).__name__}); the run is recorded as partial, and the next sync "
            "resolves the writes that were in flight"
        ) from None
    finally:
        await redis.aclose()
        app.close()
    for name, extra in applier.traffic.items():
        total = report.traffic.setdefault(name, Traffic())
        for key in TRAFFIC_FIELDS:
            setattr(total, key, getattr(total, key) + getattr(extra, key))
    return report
