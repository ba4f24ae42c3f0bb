"""Scheduled runs, with the clock faked: a sync fires at its time and is journalled; runs never
overlap on one state store; a failed run does not stop the schedule."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from balance_gateway.gateway.config import load_config
from balance_gateway.gateway.demo import SCENARIO
from balance_gateway.gateway.errors import ConfigError
from balance_gateway.gateway.journal import RunStatus
from balance_gateway.gateway.lock import RunLock
from balance_gateway.gateway.service.app import create_app
from balance_gateway.gateway.service.core import GatewayService
from balance_gateway.gateway.service.demo import LEFT_FOR_THE_OPERATOR, ServiceDemo, service_env
from balance_gateway.gateway.service.scheduler import Scheduler
from balance_gateway.gateway.service.settings import Schedule, load_service_settings

UTC_ZONE = ZoneInfo("UTC")


class FakeClock:
    """A clock whose `sleep` moves time on at once, up to `until`; past it, sleep waits (until
    the task is cancelled, or `allow` moves `until` on), so a test sees a bounded number of
    firings, however slowly it runs beside the scheduler."""

    def __init__(self, start: datetime, until: datetime | None = None) -> None:
        self.time = start
        self.until = until
        self.slept: list[float] = []
        self._moved = asyncio.Event()

    def now(self) -> datetime:
        return self.time

    def allow(self, until: datetime) -> None:
        """Let time run on up to `until`, waking a sleep that waits at the old limit."""
        self.until = until
        self._moved.set()

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        while self.until is not None and self.time + timedelta(seconds=seconds) > self.until:
            self._moved.clear()
            await self._moved.wait()
        self.time += timedelta(seconds=seconds)
        await asyncio.sleep(0)


async def wait_for(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def run_until(
    scheduler_run: Awaitable[None], condition: Callable[[], bool], seconds: float = 60
) -> None:
    task = asyncio.ensure_future(scheduler_run)
    try:
        await wait_for(lambda: condition() or task.done(), seconds)
        if task.done():
            task.result()  # re-raise what ended it
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


# -- the scheduler alone ----------------------------------------------------------------------


def schedule(sync: str, expression: str, zone: str = "UTC") -> Schedule:
    return Schedule(sync, expression, ZoneInfo(zone))


async def test_fires_each_sync_at_its_time_in_run_order() -> None:
    clock = FakeClock(datetime(2026, 3, 2, 1, 59, 30, tzinfo=UTC))
    fired: list[tuple[str, datetime]] = []

    async def fire(name: str) -> None:
        fired.append((name, clock.now()))

    scheduler = Scheduler(
        {"b": schedule("b", "0 2 * * *"), "a": schedule("a", "0 2 * * *")},
        fire,
        clock=clock,
        order=["b", "a"],  # b feeds a: b first
    )
    assert scheduler.next_runs() == {
        "a": datetime(2026, 3, 2, 2, 0, tzinfo=UTC_ZONE),
        "b": datetime(2026, 3, 2, 2, 0, tzinfo=UTC_ZONE),
    }
    await run_until(scheduler.run(), lambda: len(fired) >= 4)
    two_am = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    assert fired[:4] == [
        ("b", two_am),
        ("a", two_am),
        ("b", two_am + timedelta(days=1)),
        ("a", two_am + timedelta(days=1)),
    ]
    assert max(clock.slept) <= 60  # never sleeps past a clock jump for long


async def test_a_schedule_in_a_time_zone_follows_its_daylight_saving_time() -> None:
    # Helsinki moves its clocks forward at 03:00 on 2026-03-29: 02:00 local is 00:00 UTC
    # until that night, then 23:00 UTC of the day before.
    clock = FakeClock(datetime(2026, 3, 27, 12, 0, tzinfo=UTC))
    fired: list[datetime] = []

    async def fire(_name: str) -> None:
        fired.append(clock.now())

    scheduler = Scheduler(
        {"s": schedule("s", "0 2 * * *", "Europe/Helsinki")}, fire, clock=clock, order=["s"]
    )
    await run_until(scheduler.run(), lambda: len(fired) >= 3)
    assert fired[:3] == [
        datetime(2026, 3, 28, 0, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 0, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 23, 0, tzinfo=UTC),
    ]


async def test_a_fire_that_raises_does_not_stop_the_schedule() -> None:
    clock = FakeClock(datetime(2026, 3, 2, 0, 0, tzinfo=UTC))
    calls: list[datetime] = []

    async def fire(_name: str) -> None:
        calls.append(clock.now())
        raise RuntimeError("boom")

    scheduler = Scheduler({"s": schedule("s", "*/15 * * * *")}, fire, clock=clock, order=["s"])
    await run_until(scheduler.run(), lambda: len(calls) >= 3)
    assert calls[:3] == [
        datetime(2026, 3, 2, 0, 15, tzinfo=UTC),
        datetime(2026, 3, 2, 0, 30, tzinfo=UTC),
        datetime(2026, 3, 2, 0, 45, tzinfo=UTC),
    ]


async def test_a_run_longer_than_the_interval_skips_the_missed_firings() -> None:
    clock = FakeClock(datetime(2026, 3, 2, 0, 0, tzinfo=UTC))
    calls: list[datetime] = []

    async def slow(_name: str) -> None:
        calls.append(clock.now())
        clock.time += timedelta(minutes=40)  # the run takes 40 minutes

    scheduler = Scheduler({"s": schedule("s", "*/15 * * * *")}, slow, clock=clock, order=["s"])
    await run_until(scheduler.run(), lambda: len(calls) >= 2)
    # 00:15 ran until 00:55; 00:30 and 00:45 are not caught up: next is 01:00.
    assert calls[:2] == [
        datetime(2026, 3, 2, 0, 15, tzinfo=UTC),
        datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
    ]


# -- scheduled runs of the service, on the demo's emulators -----------------------------------


def _scheduled_service(
    demo: ServiceDemo,
    clock: FakeClock,
    lock_retry: timedelta = timedelta(seconds=30),
    lock_wait: timedelta = timedelta(minutes=10),
) -> GatewayService:
    """The demo's service with one schedule: journyx-to-zeitstrom at 02:00 UTC."""
    settings = load_service_settings(demo.config, service_env())
    only = {LEFT_FOR_THE_OPERATOR: settings.schedules[LEFT_FOR_THE_OPERATOR]}
    return GatewayService(
        demo.config,
        replace(settings, schedules=only),
        clock=clock,
        lock_retry=lock_retry,
        lock_wait=lock_wait,
    )


async def test_a_scheduled_run_fires_and_is_journalled(fresh_demo: ServiceDemo) -> None:
    start = datetime(2026, 3, 2, 1, 59, 0, tzinfo=UTC)
    clock = FakeClock(start, until=start + timedelta(hours=1))
    service = _scheduled_service(fresh_demo, clock)
    before = {r.run_id for r in service.runs()}
    app = create_app(service)  # the app's lifespan runs the scheduler, as `serve` does

    async with app.router.lifespan_context(app):
        await wait_for(lambda: LEFT_FOR_THE_OPERATOR in service.attempts)

    attempt = service.attempts[LEFT_FOR_THE_OPERATOR]
    assert attempt.trigger == "schedule"
    assert attempt.outcome == "succeeded"
    assert attempt.at >= datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    (run,) = [r for r in service.runs() if r.run_id not in before]
    assert run.run_id == attempt.run_id
    assert run.syncs == (LEFT_FOR_THE_OPERATOR,)
    assert run.status is RunStatus.SUCCEEDED
    assert run.summary["applied"] > 0
    _, ops = service.run(run.run_id)
    assert all(op.verified for op in ops if op.status.value == "applied")
    metrics = service.metrics.render().decode()
    assert (
        f'balance_gateway_runs_total{{outcome="succeeded",sync="{LEFT_FOR_THE_OPERATOR}",'
        'trigger="schedule"} 1.0'
    ) in metrics
    assert service.scheduler.next_runs()[LEFT_FOR_THE_OPERATOR] == datetime(
        2026, 3, 3, 2, 0, tzinfo=UTC_ZONE
    )


async def test_a_scheduled_run_waits_while_another_process_holds_the_state_store(
    fresh_demo: ServiceDemo,
) -> None:
    start = datetime(2026, 3, 2, 1, 59, 0, tzinfo=UTC)
    # The first night only, until the lock is released: the scheduler cannot race on into the
    # next night (still locked) while the test reads the first one.
    clock = FakeClock(start, until=start + timedelta(hours=1))
    service = _scheduled_service(
        fresh_demo, clock, lock_retry=timedelta(seconds=30), lock_wait=timedelta(minutes=2)
    )
    lock = RunLock(fresh_demo.config.state_path)
    lock.acquire()  # a `balance-gateway sync` in another shell, all night long
    task = asyncio.ensure_future(service.scheduler.run())
    try:
        await wait_for(lambda: LEFT_FOR_THE_OPERATOR in service.attempts)
        attempt = service.attempts[LEFT_FOR_THE_OPERATOR]
        assert attempt.outcome == "locked"
        assert "another balance-gateway run" in attempt.message
        assert clock.slept.count(30.0) == 4  # tried again every 30 s for 2 minutes
        assert not [r for r in service.runs() if r.run_id == attempt.run_id]
        lock.release()
        clock.allow(start + timedelta(days=1, hours=1))
        # The next night the state store is free: the schedule went on.
        await wait_for(lambda: service.attempts[LEFT_FOR_THE_OPERATOR].outcome != "locked")
    finally:
        lock.release()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    attempt = service.attempts[LEFT_FOR_THE_OPERATOR]
    assert attempt.outcome == "succeeded"
    assert attempt.at.date() == datetime(2026, 3, 3, tzinfo=UTC).date()
    metrics = service.metrics.render().decode()
    assert 'outcome="locked"' in metrics


async def test_a_failing_run_is_journalled_and_the_schedule_goes_on(
    fresh_demo: ServiceDemo,
) -> None:
    start = datetime(2026, 3, 2, 1, 59, 0, tzinfo=UTC)
    clock = FakeClock(start, until=start + timedelta(days=1, hours=1))
    service = _scheduled_service(fresh_demo, clock)
    target = next(sync.target for sync in SCENARIO if sync.name == LEFT_FOR_THE_OPERATOR)
    async with httpx.AsyncClient(base_url=fresh_demo.environment.base_urls[target]) as admin:
        faults = {"error_rate": 1.0, "error_status": 401}  # the target refuses everything
        (await admin.put("/_emulator/faults", json=faults)).raise_for_status()
        task = asyncio.ensure_future(service.scheduler.run())
        try:
            await wait_for(lambda: LEFT_FOR_THE_OPERATOR in service.attempts)
            failed = service.attempts[LEFT_FOR_THE_OPERATOR]
            (await admin.put("/_emulator/faults", json={})).raise_for_status()
            await wait_for(lambda: service.attempts[LEFT_FOR_THE_OPERATOR] != failed)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    assert failed.outcome == "partial"  # journalled: the sync could not be read
    runs = {r.run_id: r for r in service.runs()}
    assert failed.run_id is not None
    assert runs[failed.run_id].status is RunStatus.PARTIAL
    assert "could not read balances" in runs[failed.run_id].message
    recovered = service.attempts[LEFT_FOR_THE_OPERATOR]
    assert recovered.outcome == "succeeded"
    assert recovered.run_id is not None
    assert runs[recovered.run_id].status is RunStatus.SUCCEEDED


@pytest.mark.parametrize("expression", ["0 2 * *", "61 2 * * *", "@daily"])
def test_a_bad_schedule_is_refused_naming_its_key(fresh_demo: ServiceDemo, expression: str) -> None:
    text = fresh_demo.config_path.read_text()
    broken = fresh_demo.folder / "broken.toml"
    broken.write_text(text.replace('schedule = "0 2 * * *"', f'schedule = "{expression}"', 1))
    config = load_config(broken, env=service_env())
    with pytest.raises(ConfigError) as caught:
        load_service_settings(config, service_env())
    message = str(caught.value)
    assert "syncs[0].schedule" in message
    assert "cron" in message
    assert str(broken) in message
