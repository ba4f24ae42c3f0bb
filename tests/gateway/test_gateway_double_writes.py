"""Two syncs writing one balance: the later one's rows are blocked; a system only one sync
writes keeps no key per row (`contested`)."""

from __future__ import annotations

from balance_gateway.adapters._core.adapter import OperationKind
from balance_gateway.gateway.plan import Key, SyncPlan
from balance_gateway.gateway.recheck import block_double_writes, contested_targets
from tests.gateway.gateway_fakes import TODAY, set_row


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
