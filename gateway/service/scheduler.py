"""Running syncs on their cron schedules.

The scheduler only decides *when*: at each firing it awaits `fire(sync_name)` for every sync due
then, one after another in dependency order (a sync reading what another writes runs after it),
and `fire` (the service's `run_scheduled`) runs the sync under the state store's run lock.
`fire` is expected not to raise; if it does anyway, the error is logged and the schedule goes on.

Missed firings are not caught up (ASSUMED, as cron does): when the process was down at 02:00,
or a run lasted past the sync's next firing, the next run is the next firing after now.

Time comes from a `Clock`, so that a test can fake it: `now()` and `sleep()`. The loop never
sleeps more than a minute at once, so a clock that jumps (a suspended laptop, NTP) is noticed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Protocol

import structlog

from balance_gateway.gateway.service.settings import Schedule

logger = structlog.get_logger("balance_gateway.service")

MAX_SLEEP_SECONDS = 60.0


class Clock(Protocol):
    """Where the scheduler (and the service) get the time from."""

    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` of this clock's time."""
        ...


class SystemClock:
    """The real clock (UTC) and asyncio's sleep."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class Scheduler:
    """Fires `fire(sync)` at each sync's scheduled times; `run()` loops until cancelled."""

    def __init__(
        self,
        schedules: Mapping[str, Schedule],
        fire: Callable[[str], Awaitable[None]],
        *,
        clock: Clock,
        order: Sequence[str] = (),
    ) -> None:
        self.schedules = dict(schedules)
        self._fire = fire
        self._clock = clock
        rank = {name: i for i, name in enumerate(order)}
        self._order = sorted(self.schedules, key=lambda n: (rank.get(n, len(rank)), n))
        start = clock.now()
        self._next: dict[str, datetime] = {
            name: schedule.next_after(start) for name, schedule in self.schedules.items()
        }

    def next_runs(self) -> dict[str, datetime]:
        """Sync name -> when it fires next."""
        return dict(self._next)

    def due(self, now: datetime) -> list[str]:
        """The syncs whose next firing is at or before `now`, in run order."""
        return [name for name in self._order if self._next[name] <= now]

    async def run_due(self) -> list[str]:
        """Fire every sync due now, one after another; then schedule each one's next firing
        after the time the runs ended. Returns the syncs fired."""
        due = self.due(self._clock.now())
        for name in due:
            try:
                await self._fire(name)
            except Exception:  # the service's fire logs its own; this keeps the loop alive
                logger.exception("service.schedule.fire_failed", sync=name)
        ended = self._clock.now()
        for name in due:
            self._next[name] = self.schedules[name].next_after(max(ended, self._next[name]))
        return due

    async def run(self) -> None:
        """Sleep until the next firing, fire, repeat; forever (cancel the task to stop)."""
        if not self.schedules:
            return
        while True:
            wait = (min(self._next.values()) - self._clock.now()).total_seconds()
            if wait > 0:
                await self._clock.sleep(min(wait, MAX_SLEEP_SECONDS))
                continue
            await self.run_due()
