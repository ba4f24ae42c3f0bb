"""The API's request and response models (its OpenAPI schema), and the conversions from the
engine's objects. Amounts are decimal strings beside their unit, as in `plan --json`: never
floats. Nothing here holds a credential."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from balance_gateway.adapters._core.adapter import OperationKind, WriteKind
from balance_gateway.canonical import (
    AsOfBasis,
    CanonicalError,
    LeaveKind,
    Quantity,
    Unit,
    convert,
)
from balance_gateway.gateway.journal import OperationRecord, OpStatus, RunRecord, RunStatus
from balance_gateway.gateway.mapping import EmployeeMapping, Person
from balance_gateway.gateway.plan import PlanRow, SyncPlan
from balance_gateway.gateway.service.core import (
    Attempt,
    BalanceLookup,
    ReadBalance,
    RunningNow,
    SystemInfo,
    person_id,
)

PLAN_ID_PATTERN = r"^plan-[0-9a-f]{16}$"


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class ErrorOut(_Out):
    """Every 4xx/5xx answer of the service (422 is FastAPI's own, with the field's location)."""

    detail: str
    details: list[str] = Field(default_factory=list, description="Further lines, if any.")


class Amount(_Out):
    value: Decimal = Field(description='A decimal string, e.g. "12.5".')
    unit: Unit


def amount(q: Quantity | None) -> Amount | None:
    return None if q is None else Amount(value=q.value, unit=q.unit)


# -- systems ----------------------------------------------------------------------------------


class CapabilitiesOut(_Out):
    can_read: bool
    can_write: bool
    write_kind: WriteKind
    remembers_writes: bool = Field(
        description="A target that cannot be read: balance-gateway remembers what it wrote."
    )


class SystemOut(_Out):
    name: str
    vendor: str
    base_url: str
    capabilities: CapabilitiesOut
    requests_per_second: float | None
    source_of: list[str] = Field(description="Syncs reading this system.")
    target_of: list[str] = Field(description="Syncs writing this system.")


class SystemsOut(_Out):
    systems: list[SystemOut]


def system_out(info: SystemInfo) -> SystemOut:
    c = info.capabilities
    return SystemOut(
        name=info.name,
        vendor=info.vendor,
        base_url=info.base_url,
        capabilities=CapabilitiesOut(
            can_read=c.can_read,
            can_write=c.can_write,
            write_kind=c.write_kind,
            remembers_writes=c.remembers_writes,
        ),
        requests_per_second=info.requests_per_second,
        source_of=info.source_of,
        target_of=info.target_of,
    )


# -- balances ---------------------------------------------------------------------------------


class PersonOut(_Out):
    person_id: str = Field(
        description="SYSTEM:ID of the first mapping column the person has an id in."
    )
    line: int = Field(description="The person's line in the mapping CSV.")
    ids: dict[str, str] = Field(description="The person's id in each system.")
    hours_per_day: Decimal | None


def person_out(person: Person) -> PersonOut:
    return PersonOut(
        person_id=person_id(person),
        line=person.line,
        ids=dict(person.ids),
        hours_per_day=person.hours_per_day,
    )


class PeriodOut(_Out):
    start: date
    end: date


class ProvenanceOut(_Out):
    system: str
    record_id: str | None
    fetched_at: datetime


class BalanceOut(_Out):
    """One canonical balance: figures in `unit` (None where the dialect gives none)."""

    person_id: str | None = Field(description="The person in the mapping (None: unmapped).")
    system: str
    vendor: str
    employee: str
    leave_type: str
    leave_kind: LeaveKind | None
    unit: Unit
    entitled: Decimal | None
    carried_over: Decimal | None
    used: Decimal | None
    pending: Decimal | None
    remaining: Decimal | None
    available: Decimal | None
    as_of: date = Field(description="The date the figures are valid for.")
    as_of_basis: AsOfBasis = Field(
        description="What as_of means: date (the balance on that date), period (the figures "
        "of `period`, as the system holds them) or current (no date kept: read on as_of)."
    )
    period: PeriodOut | None
    provenance: ProvenanceOut
    live: bool = Field(
        description="False for a system that cannot be read: the value balance-gateway last "
        "wrote there."
    )


def balance_out(read: ReadBalance) -> BalanceOut:
    b = read.balance
    return BalanceOut(
        person_id=read.person_id,
        system=read.system,
        vendor=read.vendor,
        employee=b.employee.id,
        leave_type=b.leave_type.id,
        leave_kind=b.leave_type.kind or read.kind,
        unit=b.unit,
        entitled=b.entitled,
        carried_over=b.carried_over,
        used=b.used,
        pending=b.pending,
        remaining=b.remaining,
        available=b.available,
        as_of=b.as_of,
        as_of_basis=b.as_of_basis,
        period=None if b.period is None else PeriodOut(start=b.period.start, end=b.period.end),
        provenance=ProvenanceOut(
            system=b.provenance.system,
            record_id=b.provenance.record_id,
            fetched_at=b.provenance.fetched_at,
        ),
        live=read.live,
    )


class UnreadableOut(_Out):
    system: str
    reason: str


class BalancesOut(_Out):
    as_of: date
    person: PersonOut | None = Field(description="The person asked for, from the mapping.")
    balances: list[BalanceOut]
    unreadable: list[UnreadableOut] = Field(
        description="Systems that could not be read live, and why."
    )


def balances_out(lookup: BalanceLookup) -> BalancesOut:
    return BalancesOut(
        as_of=lookup.as_of,
        person=None if lookup.person is None else person_out(lookup.person),
        balances=[balance_out(b) for b in lookup.balances],
        unreadable=[UnreadableOut(system=s, reason=r) for s, r in lookup.unreadable],
    )


# -- plans and drift --------------------------------------------------------------------------


class PlanRowOut(_Out):
    """One employee and leave type of a sync: the rows of `plan --json`, plus the difference."""

    sync: str
    source_system: str
    target_system: str
    person_id: str | None
    source_employee: str | None
    target_employee: str | None
    source_type: str
    target_type: str | None
    leave_kind: LeaveKind | None
    source_value: Amount | None = Field(description="The carried figure, source's unit.")
    source_as_of: date | None = Field(description="The date the source figure is valid for.")
    source_as_of_basis: AsOfBasis | None = Field(
        description="What that date means: date, period (the figures of a period, e.g. a "
        "vendor that answers per year) or current (no date kept: read that day)."
    )
    source_age_days: int | None = Field(
        description="Days from source_as_of to the sync's as_of (negative: read after it)."
    )
    target_now: Amount | None = Field(description="The target now (None: not known).")
    target_after: Amount | None = Field(description="What the target should hold.")
    difference: Amount | None = Field(
        description="target_after - target_now, in the target's unit (None: not known)."
    )
    operation: OperationKind
    operation_id: str | None
    note: str


def difference(row: PlanRow) -> Quantity | None:
    """What the target lacks (target after - target now), in the target's unit."""
    if row.before is None or row.after is None:
        return None
    try:
        before = convert(row.before, row.after.unit, row.schedule)
    except CanonicalError:
        return None
    return Quantity(row.after.value - before.value, row.after.unit)


def row_out(row: PlanRow, mapping: EmployeeMapping) -> PlanRowOut:
    source = row.source_employee
    person = None if source is None else mapping.find(row.source_system, source)
    return PlanRowOut(
        sync=row.sync,
        source_system=row.source_system,
        target_system=row.target_system,
        person_id=None if person is None else person_id(person),
        source_employee=row.source_employee,
        target_employee=row.target_employee,
        source_type=row.source_type,
        target_type=row.target_type,
        leave_kind=row.leave_kind,
        source_value=amount(row.source_value),
        source_as_of=row.source_as_of,
        source_as_of_basis=row.source_as_of_basis,
        source_age_days=row.source_age_days,
        target_now=amount(row.before),
        target_after=amount(row.after),
        difference=amount(difference(row)),
        operation=row.operation,
        operation_id=None if row.intent is None else row.intent.operation_id,
        note=row.note,
    )


class TypeDriftOut(_Out):
    target_type: str
    unit: Unit
    compared: int = Field(description="Balances whose target value is known.")
    differing: int
    unknown: int = Field(description="Balances whose target value is not known.")
    total_abs_difference: Decimal
    largest_abs_difference: Decimal


class DriftSummaryOut(_Out):
    rows: int
    compared: int
    differing: int
    unknown: int
    operations: dict[str, int] = Field(description="Rows by operation.")
    by_type: list[TypeDriftOut]


@dataclass
class _TypeTally:
    unit: Unit
    compared: int = 0
    unknown: int = 0
    differences: list[Decimal] = field(default_factory=list)  # |difference| of those differing


def drift_summary(plan: SyncPlan) -> DriftSummaryOut:
    """How many balances of `plan` differ, and by how much, per target leave type."""
    tallies: dict[str, _TypeTally] = {}
    operations: Counter[str] = Counter(row.operation.value for row in plan.rows)
    for row in plan.rows:
        if row.target_type is None or row.target_employee is None or row.after is None:
            continue
        tally = tallies.setdefault(row.target_type, _TypeTally(row.after.unit))
        diff = difference(row)
        if diff is None:
            tally.unknown += 1
            continue
        tally.compared += 1
        if diff.value != 0:
            tally.differences.append(abs(diff.value))
    by_type = [
        TypeDriftOut(
            target_type=name,
            unit=t.unit,
            compared=t.compared,
            differing=len(t.differences),
            unknown=t.unknown,
            total_abs_difference=sum(t.differences, Decimal(0)),
            largest_abs_difference=max(t.differences, default=Decimal(0)),
        )
        for name, t in tallies.items()
    ]
    return DriftSummaryOut(
        rows=len(plan.rows),
        compared=sum(t.compared for t in by_type),
        differing=sum(t.differing for t in by_type),
        unknown=sum(t.unknown for t in by_type),
        operations=dict(sorted(operations.items())),
        by_type=by_type,
    )


class SyncDriftOut(_Out):
    sync: str
    source: str
    target: str
    as_of: date
    error: str | None = Field(description="Set when the sync could not be read at all.")
    summary: DriftSummaryOut
    rows: list[PlanRowOut]


class DriftOut(_Out):
    syncs: list[SyncDriftOut]


def sync_drift_out(plan: SyncPlan, mapping: EmployeeMapping) -> SyncDriftOut:
    return SyncDriftOut(
        sync=plan.sync,
        source=plan.source,
        target=plan.target,
        as_of=plan.as_of,
        error=plan.error,
        summary=drift_summary(plan),
        rows=[row_out(r, mapping) for r in plan.rows],
    )


class PlanOut(_Out):
    plan_id: str = Field(description="Give this to POST /api/syncs/{name}/apply.")
    sync: str
    created_at: datetime
    expires_at: datetime
    as_of: date | None
    error: str | None
    writes: int
    summary: dict[str, int] = Field(description="Rows by operation.")
    guardrail_violations: list[str] = Field(description="Non-empty: the plan cannot be applied.")
    rows: list[PlanRowOut]


class ApplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plan_id: str = Field(pattern=PLAN_ID_PATTERN, description="The id POST .../plan returned.")


class ApplyOut(_Out):
    plan_id: str
    run_id: str | None
    outcome: RunStatus = Field(description="The run's status in the journal.")
    exit_code: int = Field(description="As `balance-gateway sync` would exit.")
    summary: dict[str, int] = Field(description="Operations by outcome.")


# -- runs -------------------------------------------------------------------------------------


class RunOut(_Out):
    run_id: str
    started_at: datetime
    finished_at: datetime | None
    status: RunStatus
    syncs: list[str]
    summary: dict[str, int]
    message: str


def run_out(run: RunRecord) -> RunOut:
    return RunOut(
        run_id=run.run_id,
        started_at=run.started_at,
        finished_at=run.finished_at,
        status=run.status,
        syncs=list(run.syncs),
        summary=dict(run.summary),
        message=run.message,
    )


class UnresolvedOut(_Out):
    system: str
    count: int


class RunsOut(_Out):
    runs: list[RunOut]
    total: int = Field(description="Runs matching the filters, before limit and offset.")
    unresolved: list[UnresolvedOut] = Field(
        description="Operations still unresolved (intent or unknown), per system."
    )


class OperationOut(_Out):
    operation_id: str
    run_id: str
    sync: str
    source_system: str
    source_employee: str | None
    source_type: str | None
    source_value: str | None
    system: str
    employee: str
    leave_type: str
    operation: OperationKind
    status: OpStatus
    unit: Unit | None
    before: Decimal | None
    after: Decimal | None
    as_of: date | None
    verified: bool | None
    note: str
    record_ids: list[str]
    created_at: datetime
    updated_at: datetime


def operation_out(op: OperationRecord) -> OperationOut:
    return OperationOut(
        operation_id=op.operation_id,
        run_id=op.run_id,
        sync=op.sync,
        source_system=op.source_system,
        source_employee=op.source_employee,
        source_type=op.source_type,
        source_value=op.source_value,
        system=op.system,
        employee=op.employee,
        leave_type=op.leave_type,
        operation=op.kind,
        status=op.status,
        unit=op.unit,
        before=op.before,
        after=op.after,
        as_of=op.as_of,
        verified=op.verified,
        note=op.note,
        record_ids=list(op.record_ids),
        created_at=op.created_at,
        updated_at=op.updated_at,
    )


class RunDetailOut(_Out):
    run: RunOut
    operations: list[OperationOut]
    total: int = Field(description="Operations matching the filters, before limit and offset.")


# -- syncs and health -------------------------------------------------------------------------


class AttemptOut(_Out):
    at: datetime
    trigger: Literal["schedule", "api"]
    outcome: str
    run_id: str | None
    message: str


def attempt_out(attempt: Attempt | None) -> AttemptOut | None:
    if attempt is None:
        return None
    trigger: Literal["schedule", "api"] = "schedule" if attempt.trigger == "schedule" else "api"
    return AttemptOut(
        at=attempt.at,
        trigger=trigger,
        outcome=attempt.outcome,
        run_id=attempt.run_id,
        message=attempt.message,
    )


class RunningOut(_Out):
    sync: str
    trigger: str
    since: datetime


def running_out(running: RunningNow | None) -> RunningOut | None:
    if running is None:
        return None
    return RunningOut(sync=running.sync, trigger=running.trigger, since=running.since)


class TypePairOut(_Out):
    source: str
    target: str
    kind: LeaveKind | None


class SyncOut(_Out):
    name: str
    source: str
    target: str
    types: list[TypePairOut]
    schedule: str | None = Field(description="Cron, in `timezone`; None: run by hand only.")
    timezone: str
    next_run: datetime | None
    last_run: RunOut | None = Field(description="The latest run in the journal.")
    last_attempt: AttemptOut | None = Field(
        description="The latest run this process made or tried (also those that could not "
        "start, which the journal does not show)."
    )


class SyncsOut(_Out):
    syncs: list[SyncOut]
    running: RunningOut | None


class HealthOut(_Out):
    status: Literal["ok", "degraded"] = Field(
        description="degraded: the scheduler stopped (answered with 503)."
    )
    version: str
    scheduler: Literal["running", "stopped", "off"] = Field(
        description="off: no sync has a schedule (or the app runs without its scheduler)."
    )
    running: RunningOut | None
