"""In-memory adapters implementing the `BalanceAdapter` protocol, and config helpers, for the
engine's unit tests. One fake covers every dialect through its `write_kind`:

- SET (readable: Journyx-like; write-only: Kenjo-like, `can_read=False`),
- IMPORT (Bezala-like), LEDGER (Zeitstrom-like: credits labelled with the operation id, so a
  resumed write finds its own earlier credit).

Faults are switched on per employee id: `blocked`, `fail`, `unknown_after_apply` (the write
takes effect, then `WriteOutcomeUnknown`), `crash_after_apply` (the write takes effect, then
the process "dies": `Crash`, a BaseException the engine does not catch).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from balance_gateway.adapters._core.adapter import (
    Capabilities,
    Confirmation,
    OperationKind,
    PlannedWrite,
    TargetUnit,
    WriteBlocked,
    WriteIntent,
    WriteKind,
    WriteOutcome,
)
from balance_gateway.adapters._core.errors import ServerError, WriteOutcomeUnknown
from balance_gateway.canonical import (
    AsOfBasis,
    Balance,
    EmployeeRef,
    LeaveTypeRef,
    Provenance,
    Quantity,
    Unit,
)
from balance_gateway.gateway.config import Config, load_config
from balance_gateway.gateway.plan import PlanRow
from tests.gateway.stores import on_store
from tests.stress._vendors import vendor_like

TODAY = date(2025, 3, 31)


class Crash(BaseException):
    """Stands in for the process being killed: nothing after it runs."""


@dataclass
class FakeAdapter:
    """A system holding `balances[(employee, type)] = remaining` in `units[type]` (days by
    default). Every write is logged in `writes` (operation id, employee, type, value)."""

    system: str
    vendor: str = "fake"
    can_read: bool = True
    can_write: bool = True
    write_kind: WriteKind = WriteKind.SET
    units: dict[str, TargetUnit] = field(default_factory=dict)
    balances: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    extra_figures: dict[tuple[str, str], dict[str, Decimal]] = field(default_factory=dict)
    writes: list[tuple[str, str, str, Decimal]] = field(default_factory=list)
    labels: dict[str, tuple[str, str]] = field(default_factory=dict)  # ledger: op id -> key
    blocked: set[str] = field(default_factory=set)
    fail: set[str] = field(default_factory=set)
    unknown_after_apply: set[str] = field(default_factory=set)
    crash_after_apply: set[str] = field(default_factory=set)
    lie_on_read: set[str] = field(default_factory=set)  # read back shows value + 1
    hide_zero: bool = False  # a ledger with nothing left shows no balance at all
    all_types_when_empty: bool = False  # read_balances(ids, []) reads every type
    # The date a balance is valid for, when not the date asked (an import dated earlier).
    dates: dict[tuple[str, str], date] = field(default_factory=dict)
    as_of_basis: AsOfBasis = AsOfBasis.DATE
    reads: int = 0
    closed: bool = False
    capabilities: Capabilities = field(init=False)

    def __post_init__(self) -> None:
        self.capabilities = Capabilities(
            can_read=self.can_read,
            can_write=self.can_write,
            write_kind=self.write_kind if self.can_write else WriteKind.NONE,
            remembers_writes=not self.can_read,
        )

    def target_unit(self, leave_type_id: str) -> TargetUnit:
        return self.units.get(leave_type_id, TargetUnit(Unit.DAYS))

    async def read_balances(
        self, employee_ids: Sequence[str], leave_type_ids: Sequence[str], as_of: date
    ) -> list[Balance]:
        if not self.can_read:
            raise NotImplementedError("write-only")
        self.reads += 1
        found = []
        for (employee, leave_type), value in sorted(self.balances.items()):
            if self.hide_zero and value == 0:
                continue
            every_type = self.all_types_when_empty and not leave_type_ids
            if employee in employee_ids and (every_type or leave_type in leave_type_ids):
                shown = value + 1 if employee in self.lie_on_read else value
                figures = self.extra_figures.get((employee, leave_type), {})
                found.append(
                    Balance.build(
                        employee=EmployeeRef(self.system, employee),
                        leave_type=LeaveTypeRef(self.system, leave_type),
                        unit=self.target_unit(leave_type).unit,
                        remaining=shown,
                        as_of=self.dates.get((employee, leave_type), as_of),
                        as_of_basis=self.as_of_basis,
                        provenance=Provenance(self.system, None, datetime.now(UTC)),
                        **figures,
                    )
                )
        return found

    def _current(self, intent: WriteIntent) -> Decimal | None:
        return self.balances.get((intent.employee.id, intent.leave_type.id))

    async def plan_write(self, intent: WriteIntent, current: Balance | None) -> PlannedWrite:
        before = (
            None
            if current is None or current.remaining is None
            else Quantity(current.remaining, current.unit)
        )
        after = intent.remaining
        if before is not None and before.value == after.value:
            return PlannedWrite(OperationKind.SKIP, before, after, "already equal")
        if self.write_kind is WriteKind.SET:
            return PlannedWrite(OperationKind.SET, before, after)
        if self.write_kind is WriteKind.IMPORT:
            return PlannedWrite(OperationKind.IMPORT, before, after)
        base = Decimal(0) if before is None else before.value
        kind = OperationKind.CREDIT if after.value > base else OperationKind.REDUCE
        return PlannedWrite(kind, before, after)

    async def apply_write(self, intent: WriteIntent) -> WriteOutcome:
        employee, leave_type = intent.employee.id, intent.leave_type.id
        if employee in self.blocked:
            raise WriteBlocked("the fake refuses this employee")
        if employee in self.fail:
            raise ServerError(method="PUT", path="/balances", status_code=500, body="boom")
        if self.write_kind is WriteKind.LEDGER and intent.operation_id in self.labels:
            return WriteOutcome(OperationKind.SKIP, intent.remaining, "already applied")
        before = self.balances.get((employee, leave_type))
        self.balances[(employee, leave_type)] = intent.remaining.value
        self.writes.append((intent.operation_id, employee, leave_type, intent.remaining.value))
        if self.write_kind is WriteKind.LEDGER:
            self.labels[intent.operation_id] = (employee, leave_type)
        if employee in self.crash_after_apply:
            raise Crash()
        if employee in self.unknown_after_apply:
            raise WriteOutcomeUnknown("POST", "/tx", "timed out after sending")
        kind = {
            WriteKind.SET: OperationKind.SET,
            WriteKind.IMPORT: OperationKind.IMPORT,
        }.get(self.write_kind)
        if kind is None:
            grew = before is None or intent.remaining.value > before
            kind = OperationKind.CREDIT if grew else OperationKind.REDUCE
        return WriteOutcome(kind, intent.remaining, "written", (intent.operation_id,))

    async def confirm_write(self, intent: WriteIntent) -> Confirmation:
        if not self.can_read:
            return Confirmation.UNKNOWN
        if self.write_kind is WriteKind.LEDGER and intent.operation_id in self.labels:
            return Confirmation.APPLIED
        if self._current(intent) == intent.remaining.value:
            return Confirmation.APPLIED
        return Confirmation.NOT_APPLIED

    async def aclose(self) -> None:
        self.closed = True


def write_config(
    tmp_path: Path,
    toml: str,
    csv: str,
    *,
    env: Mapping[str, str] | None = None,
    state_url: str | None = None,
) -> Config:
    """Write `config.toml` and `employees.csv` into `tmp_path` and load them; with
    `state_url`, the configuration keeps its state there instead of its `[state] path`."""
    (tmp_path / "config.toml").write_text(on_store(textwrap.dedent(toml), state_url))
    (tmp_path / "employees.csv").write_text(textwrap.dedent(csv).lstrip())
    return load_config(tmp_path / "config.toml", env=env or ENV)


# Distinctive fake credentials: tests assert they never appear in journal rows or output.
ENV = {
    "HR_USER": "hr-user-4f1d",
    "HR_SECRET": "s3cr3t-HR-f00dfeed-9b7a",
    "TIME_USER": "time-user-77aa",
    "TIME_SECRET": "s3cr3t-TIME-c0ffee42-1e5d",
    "BANK_TOKEN": "s3cr3t-BANK-deadbeef-8c3f",
}
SECRET_VALUES = [v for k, v in ENV.items() if "SECRET" in k or "TOKEN" in k]


# Three systems with fake adapters: `hr` (a days source), `time` (a readable hours target),
# `bank` (a write-only days target). Vendors are registered ones, like the fakes, so that the
# config validates (credentials and options); the tests hand the engine fake adapters instead
# of building real ones.
HR_VENDOR = vendor_like(("email", "password"), can_read=True, can_write=False)
TIME_VENDOR = vendor_like(("username", "api_key"), can_read=True, can_write=True)
BANK_VENDOR = vendor_like(("token",), can_read=False, can_write=True)
BASIC_TOML = f"""
[systems.hr]
vendor = "{HR_VENDOR}"
base_url = "http://hr.invalid"
credentials = {{ email = "HR_USER", password = "HR_SECRET" }}

[systems.time]
vendor = "{TIME_VENDOR}"
base_url = "http://time.invalid"
credentials = {{ username = "TIME_USER", api_key = "TIME_SECRET" }}

[systems.bank]
vendor = "{BANK_VENDOR}"
base_url = "http://bank.invalid"
credentials = {{ token = "BANK_TOKEN" }}

[[syncs]]
name = "hr-to-time"
source = "hr"
target = "time"
types = [{{ source = "1", target = "Vacation", kind = "vacation" }}]
as_of = "2025-03-31"

[[syncs]]
name = "hr-to-bank"
source = "hr"
target = "bank"
types = [{{ source = "1", target = "aaaaaaaaaaaaaaaaaaaaaaaa", kind = "vacation" }}]
as_of = "2025-03-31"

[mapping]
file = "employees.csv"

[schedule]
hours_per_day = 8

[guardrails]
max_change = "30 days"
max_operations = 100

[state]
path = "state/gateway.sqlite3"
"""

BASIC_CSV = """
hr,time,bank,hours_per_day
e1,U1,b1,
e2,U2,b2,7.5
e3,U3,,
"""


def basic_systems() -> dict[str, FakeAdapter]:
    """`hr` with vacation balances for e1..e3 in days; `time` in hours; `bank` write-only."""
    hr = FakeAdapter(
        "hr",
        can_write=False,
        balances={("e1", "1"): Decimal("12.5"), ("e2", "1"): Decimal(10), ("e3", "1"): Decimal(3)},
    )
    time = FakeAdapter(
        "time",
        units={"Vacation": TargetUnit(Unit.HOURS)},
        balances={("U1", "Vacation"): Decimal(40)},
    )
    bank = FakeAdapter("bank", can_read=False)
    return {"hr": hr, "time": time, "bank": bank}


def set_row(sync: str, target: str, employee: str, value: str, operation_id: str) -> PlanRow:
    """A planned `set` of `employee`'s Vacation on `target` to `value` days, from hr."""
    intent = WriteIntent(
        operation_id=operation_id,
        run_id="run",
        employee=EmployeeRef(target, employee),
        leave_type=LeaveTypeRef(target, "Vacation"),
        remaining=Quantity(Decimal(value), Unit.DAYS),
        as_of=TODAY,
        source="hr",
    )
    return PlanRow(
        sync=sync,
        source_system="hr",
        target_system=target,
        source_employee=employee,
        target_employee=employee,
        source_type="1",
        target_type="Vacation",
        operation=OperationKind.SET,
        intent=intent,
    )
