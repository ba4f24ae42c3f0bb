"""Guardrails hold at apply time (issue 14, item 5).

When the target changes between plan and apply (someone books a manual credit while the prompt
waits), the write that apply would now make is checked against the same guardrails and against
what the user confirmed; beyond either it is blocked with the reason, not written.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pytest

from balance_gateway.adapters._core.adapter import WriteIntent, WriteKind, WriteOutcome
from balance_gateway.canonical import Quantity, Unit
from balance_gateway.gateway.config import Config
from balance_gateway.gateway.engine import Engine
from balance_gateway.gateway.journal import OpStatus
from balance_gateway.gateway.plan import SyncPlan
from balance_gateway.gateway.results import RowResult
from balance_gateway.gateway.store import open_state_store
from tests.gateway.gateway_fakes import (
    BASIC_CSV,
    BASIC_TOML,
    TODAY,
    FakeAdapter,
    basic_systems,
    write_config,
)

_Fake = TypeVar("_Fake", bound=FakeAdapter)


@pytest.fixture
def config(tmp_path: Path, state_url: str | None) -> Config:
    return write_config(tmp_path, BASIC_TOML, BASIC_CSV, state_url=state_url)


async def _run_with_change(
    config: Config, systems: dict[str, FakeAdapter], new_value: Decimal
) -> dict[str, RowResult]:
    """Sync hr-to-time; while the prompt waits, U1's Vacation is changed to `new_value`."""

    def confirm(plans: list[SyncPlan]) -> bool:
        systems["time"].balances[("U1", "Vacation")] = new_value
        return True

    journal = open_state_store(config)
    report = await Engine(config, systems, journal, today=TODAY).sync(
        ["hr-to-time"], confirm=confirm
    )
    results = {r.row.target_employee or "": r for r in report.results}
    assert report.exit_code == (0 if results["U1"].status is OpStatus.APPLIED else 1)
    return results


async def test_a_change_that_makes_the_write_larger_than_confirmed_is_blocked(
    config: Config,
) -> None:
    systems = basic_systems()  # U1: 40 h now, the plan sets 100 h (+60 h confirmed)
    outcome = await _run_with_change(config, systems, Decimal(0))  # now +100 h
    assert outcome["U1"].status is OpStatus.BLOCKED
    assert "changed since the plan" in outcome["U1"].note
    assert "0 hours" in outcome["U1"].note
    assert systems["time"].balances[("U1", "Vacation")] == Decimal(0)  # not written
    assert outcome["U2"].status is OpStatus.APPLIED  # the other rows are not held back


async def test_a_change_past_max_change_is_blocked(config: Config) -> None:
    systems = basic_systems()
    outcome = await _run_with_change(config, systems, Decimal(-500))  # 600 h > 30 days
    assert outcome["U1"].status is OpStatus.BLOCKED
    assert "max_change" in outcome["U1"].note
    assert systems["time"].balances[("U1", "Vacation")] == Decimal(-500)


def _as_ledger(systems: dict[str, FakeAdapter], kind: type[_Fake]) -> _Fake:
    """The "time" system of `systems` replaced by a ledger (`kind`) holding the same balances."""
    ledger = kind(
        "time",
        write_kind=WriteKind.LEDGER,
        units=systems["time"].units,
        balances=dict(systems["time"].balances),
    )
    systems["time"] = ledger
    return ledger


async def test_a_change_that_turns_a_credit_into_a_reduction_is_blocked(
    tmp_path: Path, state_url: str | None
) -> None:
    config = write_config(tmp_path, BASIC_TOML, BASIC_CSV, state_url=state_url)
    systems = basic_systems()
    ledger = _as_ledger(systems, FakeAdapter)
    # The plan credits U1 from 40 h to 100 h; a manual credit brings it to 130 h meanwhile, so
    # apply would now take 30 h back: not what was confirmed.
    outcome = await _run_with_change(config, systems, Decimal(130))
    assert outcome["U1"].status is OpStatus.BLOCKED
    assert ledger.balances[("U1", "Vacation")] == Decimal(130)


async def test_a_change_within_what_was_confirmed_is_applied(config: Config) -> None:
    systems = basic_systems()
    outcome = await _run_with_change(config, systems, Decimal(70))  # now +30 h of the +60 h
    assert outcome["U1"].status is OpStatus.APPLIED
    assert systems["time"].balances[("U1", "Vacation")] == Decimal(100)


async def test_without_a_prompt_nothing_is_read_again(config: Config) -> None:
    systems = basic_systems()
    journal = open_state_store(config)
    await Engine(config, systems, journal, today=TODAY).sync(["hr-to-time"])
    assert systems["time"].reads == 2  # the plan's read and the verification, no more


class _TellingLedger(FakeAdapter):
    """A ledger fake that keeps what each write was told the target held."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.told: dict[str, Quantity | None] = {}

    async def apply_write(self, intent: WriteIntent) -> WriteOutcome:
        self.told[intent.employee.id] = intent.planned_before
        return await super().apply_write(intent)


async def test_a_write_let_through_after_a_change_is_told_what_the_target_holds_now(
    tmp_path: Path, state_url: str | None
) -> None:
    # A ledger's first attempt takes its delta from `planned_before` without reading: after a
    # change within what was confirmed (40 h planned, 70 h now, 100 h wanted), it must be told
    # 70 h, or it would credit 60 h and end at 130 h.
    config = write_config(tmp_path, BASIC_TOML, BASIC_CSV, state_url=state_url)
    systems = basic_systems()
    ledger = _as_ledger(systems, _TellingLedger)
    outcome = await _run_with_change(config, systems, Decimal(70))
    assert outcome["U1"].status is OpStatus.APPLIED
    assert ledger.told["U1"] == Quantity(Decimal(70), Unit.HOURS)
    assert outcome["U1"].row.before == Quantity(Decimal(70), Unit.HOURS)
