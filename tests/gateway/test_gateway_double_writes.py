"""Two syncs writing one balance: the later one's rows are blocked; a system only one sync
writes keeps no key per row (`contested`)."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from textwrap import dedent

import pytest

from balance_gateway.adapters._core.adapter import OperationKind
from balance_gateway.gateway.engine import Engine
from balance_gateway.gateway.plan import Key, SyncPlan
from balance_gateway.gateway.recheck import block_double_writes, contested_targets
from tests.gateway.gateway_fakes import (
    BASIC_CSV,
    BASIC_TOML,
    TODAY,
    basic_systems,
    set_row,
    write_config,
)


def _plan(sync: str, target: str, employees: list[str]) -> SyncPlan:
    rows = tuple(set_row(sync, target, e, "5", f"{sync}-{e}") for e in employees)
    return SyncPlan(sync=sync, source="hr", target=target, as_of=TODAY, rows=rows)


def test_the_systems_two_syncs_write_are_contested() -> None:
    assert contested_targets(["time", "bank", "time", "hr"]) == {"time"}


def test_the_later_sync_writing_a_contested_balance_is_blocked_across_waves() -> None:
    writers: dict[Key, str] = {}
    block_double_writes([_plan("first", "time", ["U1"])], writers, contested={"time"})
    [later] = block_double_writes([_plan("second", "time", ["U1", "U2"])], writers, {"time"})
    assert [row.operation for row in later.rows] == [OperationKind.BLOCKED, OperationKind.SET]
    assert "sync first writes this balance too" in later.rows[0].note


def test_a_system_one_sync_writes_remembers_no_balance() -> None:
    writers: dict[Key, str] = {}
    plan = _plan("only", "bank", ["U1", "U2"])
    [kept] = block_double_writes([plan], writers, contested={"time"})
    assert kept is plan
    assert writers == {}
    # Without `contested`, every system is watched, as before.
    block_double_writes([plan], writers)
    assert set(writers) == {("bank", "U1", "Vacation"), ("bank", "U2", "Vacation")}


async def test_the_engine_blocks_the_second_sync_of_a_balance_and_remembers_only_contested_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two syncs write `time`, one writes `bank`: the engine passes the config's contested
    # systems, so the later `time` sync is blocked and no `bank` balance is remembered.
    toml = BASIC_TOML + dedent(
        """
        [[syncs]]
        name = "hr-to-time-again"
        source = "hr"
        target = "time"
        types = [{ source = "1", target = "Vacation", kind = "vacation" }]
        as_of = "2025-03-31"
        """
    )
    remembered: list[Key] = []

    def spy(
        plans: list[SyncPlan],
        writer: dict[Key, str] | None = None,
        contested: Collection[str] | None = None,
    ) -> list[SyncPlan]:
        fixed = block_double_writes(plans, writer, contested)
        remembered.extend(writer or {})
        return fixed

    # The engine's own name for it (imported from gateway.recheck), spied on.
    monkeypatch.setattr("balance_gateway.gateway.engine.block_double_writes", spy)
    config = write_config(tmp_path, toml, BASIC_CSV)
    engine = Engine(config, basic_systems(), None, today=TODAY)
    plans = {plan.sync: plan for plan in await engine.plan()}
    again = [row for row in plans["hr-to-time-again"].rows if row.target_employee]
    assert again
    assert all(row.operation is OperationKind.BLOCKED for row in again)
    assert all("sync hr-to-time writes this balance too" in row.note for row in again)
    assert any(row.writes for row in plans["hr-to-bank"].rows)
    assert remembered
    assert {system for system, _, _ in remembered} == {"time"}
