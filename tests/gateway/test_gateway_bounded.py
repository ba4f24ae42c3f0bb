"""Planning and applying with a bounded number of tasks (`gateway.bounded`): at most
`max_in_flight` writes planned or applied at once, by that many tasks, however many rows."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import pytest

from balance_gateway.adapters._core.adapter import PlannedWrite, WriteIntent, WriteOutcome
from balance_gateway.canonical import Balance
from balance_gateway.gateway.bounded import map_bounded
from balance_gateway.gateway.config import Config
from balance_gateway.gateway.engine import Engine
from balance_gateway.gateway.journal import OpStatus
from balance_gateway.gateway.store import open_state_store
from tests.gateway.gateway_fakes import BASIC_TOML, TODAY, FakeAdapter, basic_systems, write_config

PEOPLE = 40
_R = TypeVar("_R")


async def test_map_bounded_keeps_the_order_and_the_bound() -> None:
    running, peak = 0, 0

    async def double(value: int) -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.001 * (value % 3))  # finishing out of order
        running -= 1
        return 2 * value

    def items() -> Iterator[int]:  # an iterator: taken as it comes, never listed first
        yield from range(25)

    assert await map_bounded(items(), double, 4) == [2 * i for i in range(25)]
    assert peak == 4
    assert await map_bounded([], double, 4) == []


async def test_map_bounded_raises_the_first_error() -> None:
    async def refuse(value: int) -> int:
        if value == 3:
            raise ValueError("three")
        return value

    with pytest.raises(ValueError, match="three"):
        await map_bounded(range(10), refuse, 2)
    with pytest.raises(ValueError, match="at least 1"):
        await map_bounded(range(10), refuse, 0)


async def test_after_an_error_no_new_item_starts_and_those_in_progress_finish() -> None:
    started: list[int] = []
    finished: list[int] = []

    async def slow_unless_one(value: int) -> int:
        started.append(value)
        if value == 1:
            raise ValueError("one")
        await asyncio.sleep(0.02)
        finished.append(value)
        return value

    with pytest.raises(ValueError, match="one"):
        await map_bounded(range(10), slow_unless_one, 3)
    # 0 and 2 were in progress when 1 failed: they end (not cancelled); nothing else starts.
    assert sorted(started) == [0, 1, 2]
    assert sorted(finished) == [0, 2]


@dataclass
class Peaking(FakeAdapter):
    """Counts the writes planned and applied in flight at once, and the tasks alive while one
    is (phase -> peak)."""

    in_flight: int = 0
    peak: dict[str, int] = field(default_factory=dict)
    peak_tasks: dict[str, int] = field(default_factory=dict)

    async def _counted(self, phase: str, call: Awaitable[_R]) -> _R:
        self.in_flight += 1
        self.peak[phase] = max(self.peak.get(phase, 0), self.in_flight)
        tasks = len(asyncio.all_tasks())
        self.peak_tasks[phase] = max(self.peak_tasks.get(phase, 0), tasks)
        try:
            await asyncio.sleep(0.001)
            return await call
        finally:
            self.in_flight -= 1

    async def plan_write(self, intent: WriteIntent, current: Balance | None) -> PlannedWrite:
        return await self._counted("plan", super().plan_write(intent, current))

    async def apply_write(self, intent: WriteIntent) -> WriteOutcome:
        return await self._counted("apply", super().apply_write(intent))


def _many(tmp_path: Path) -> tuple[Config, dict[str, FakeAdapter], Peaking]:
    """PEOPLE people to write, at max_in_flight = 3."""
    csv = "hr,time,bank,hours_per_day\n" + "".join(f"e{i},U{i},,\n" for i in range(1, PEOPLE + 1))
    toml = BASIC_TOML + "\n[concurrency]\nmax_in_flight = 3\n"
    config = write_config(tmp_path, toml, csv)
    systems = basic_systems()
    systems["hr"].balances = {(f"e{i}", "1"): Decimal(i % 5 + 1) for i in range(1, PEOPLE + 1)}
    time = Peaking("time", units=systems["time"].units)
    return config, {**systems, "time": time}, time


async def test_planning_runs_max_in_flight_tasks_not_one_per_person(tmp_path: Path) -> None:
    config, systems, time = _many(tmp_path)
    plans = await Engine(config, systems, None, today=TODAY).plan(["hr-to-time"])
    assert [r.target_employee for r in plans[0].rows] == [f"U{i}" for i in range(1, PEOPLE + 1)]
    assert all(r.writes for r in plans[0].rows)
    assert time.peak["plan"] == 3
    # The test's task, the sync's and three planners (one task per person would be 40 more).
    assert time.peak_tasks["plan"] <= 2 + 3


async def test_apply_runs_max_in_flight_tasks_not_one_per_row(tmp_path: Path) -> None:
    config, systems, time = _many(tmp_path)
    journal = open_state_store(config)
    try:
        report = await Engine(config, systems, journal, today=TODAY).sync(["hr-to-time"])
    finally:
        journal.close()
    assert report.exit_code == 0
    assert [r.status for r in report.results] == [OpStatus.APPLIED] * PEOPLE
    assert [r.row.target_employee for r in report.results] == [
        f"U{i}" for i in range(1, PEOPLE + 1)
    ]
    assert len(time.writes) == PEOPLE
    assert time.peak["apply"] == 3
    # The test's own task and the three appliers (one task per row would be 40 and more).
    assert time.peak_tasks["apply"] <= 1 + 3
