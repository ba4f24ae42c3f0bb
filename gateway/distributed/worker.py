"""`balance-gateway worker`: a Celery worker applying the work units of distributed runs.

Each worker process keeps, from its first unit on, one event loop, the configured systems'
adapters (behind the shared Redis buckets) and a connection to the state store, and applies
every unit with `Engine.apply_rows` in the run the unit belongs to. A unit of a run that is
not `running` in the state store (finished, interrupted, or from another state store) is
refused, never applied.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections import Counter
from contextlib import AsyncExitStack
from dataclasses import asdict
from pathlib import Path
from typing import Any

from celery import Celery
from celery.signals import worker_process_shutdown
from redis.asyncio import Redis

from balance_gateway.gateway.budget import Traffic
from balance_gateway.gateway.config import Config, DistributedConfig, load_config
from balance_gateway.gateway.distributed import distributed_settings
from balance_gateway.gateway.distributed.app import APPLY_UNIT, celery_app, check_broker
from balance_gateway.gateway.distributed.bucket import RedisBuckets
from balance_gateway.gateway.distributed.state import open_journal
from balance_gateway.gateway.distributed.units import WorkUnit
from balance_gateway.gateway.engine import Engine
from balance_gateway.gateway.journal import Journal, RunStatus
from balance_gateway.gateway.systems import open_systems, systems_of

TRAFFIC_FIELDS = ("requests", "rate_limited", "retries")


class WorkerState:
    """What one worker process keeps between units (see the module docstring)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.loop = asyncio.new_event_loop()
        self.traffic: dict[str, Traffic] = {}
        self._stack = AsyncExitStack()
        self.journal: Journal = open_journal(config)
        try:
            self.adapters = self.loop.run_until_complete(self._open())
        except BaseException:
            self.journal.close()
            raise

    async def _open(self) -> Any:
        redis = Redis.from_url(distributed_settings(self.config).broker)
        self._stack.push_async_callback(redis.aclose)
        return await self._stack.enter_async_context(
            open_systems(
                self.config,
                systems_of(self.config),
                traffic=self.traffic,
                buckets=RedisBuckets(redis),
            )
        )

    def apply(self, message: dict[str, Any]) -> dict[str, Any]:
        return self.loop.run_until_complete(self._apply(WorkUnit.from_message(message)))

    async def _apply(self, unit: WorkUnit) -> dict[str, Any]:
        run = self.journal.run(unit.run_id)
        if run is None:
            return {
                "unit": unit.number,
                "refused": f"run {unit.run_id} is not in this worker's state store: start the "
                "worker with the coordinator's configuration",
            }
        if run.status is not RunStatus.RUNNING:
            return {
                "unit": unit.number,
                "refused": f"run {unit.run_id} is {run.status.value}: its units are no longer "
                "applied",
            }
        before = {name: _counts(t) for name, t in self.traffic.items()}
        engine = Engine(self.config, self.adapters, self.journal, run_id=unit.run_id)
        results = await engine.apply_rows(unit.rows)
        traffic = {
            name: {k: v - before.get(name, {}).get(k, 0) for k, v in _counts(t).items()}
            for name, t in self.traffic.items()
        }
        return {
            "unit": unit.number,
            "statuses": dict(Counter(r.status.value for r in results)),
            "traffic": {name: counts for name, counts in traffic.items() if counts["requests"]},
        }

    def close(self) -> None:
        try:
            self.loop.run_until_complete(self._stack.aclose())
        finally:
            self.journal.close()
            self.loop.close()


def _counts(traffic: Traffic) -> dict[str, int]:
    values = asdict(traffic)
    return {key: int(values[key]) for key in TRAFFIC_FIELDS}


# One per worker process, made at its first unit (after the fork: a loop, connections and
# sockets must not be shared with the parent).
_STATE: WorkerState | None = None
_CONFIG_PATH: Path | None = None


def _state() -> WorkerState:
    global _STATE
    if _STATE is None:
        if _CONFIG_PATH is None:
            raise RuntimeError("the worker was started without a configuration")
        _STATE = WorkerState(load_config(_CONFIG_PATH))
    return _STATE


@worker_process_shutdown.connect  # type: ignore[untyped-decorator]
def _close_state(**_: object) -> None:
    global _STATE
    if _STATE is not None:
        state, _STATE = _STATE, None
        state.close()


def worker_app(config: Config) -> Celery:
    """The Celery app of `config`, with the task that applies a work unit."""
    global _CONFIG_PATH
    _CONFIG_PATH = config.path.resolve()
    app = celery_app(distributed_settings(config))

    @app.task(name=APPLY_UNIT)  # type: ignore[untyped-decorator]
    def apply_unit(message: dict[str, Any]) -> dict[str, Any]:
        return _state().apply(message)

    return app


async def _broker_answers(config: Config, settings: DistributedConfig) -> None:
    """SetupError naming the broker when Redis does not answer: Celery itself would retry for
    minutes, a line per attempt, and never say which config named that broker."""
    redis = Redis.from_url(settings.broker)
    try:
        await check_broker(redis, config, settings)
    finally:
        await redis.aclose()


def run_worker(config: Config, concurrency: int = 1, loglevel: str = "INFO") -> None:
    """Serve units from the configuration's queue until stopped (SIGTERM: finish the units
    being applied, then stop; a unit cut short by a kill is delivered again)."""
    settings = distributed_settings(config)
    asyncio.run(_broker_answers(config, settings))
    app = worker_app(config)
    queue = settings.queue
    # One line per HTTP request would drown the units' own lines.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    app.worker_main(
        argv=[
            "worker",
            f"--concurrency={concurrency}",
            "--pool=prefork",
            f"--loglevel={loglevel}",
            f"--queues={queue}",
            f"--hostname=balance-gateway-{os.getpid()}-{uuid.uuid4().hex[:6]}@%h",
            "--without-gossip",
            "--without-mingle",
        ]
    )
