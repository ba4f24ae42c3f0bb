"""Planning a sync: one row per mapped employee and leave-type pair, and nothing written.

    read source -> canonical figure -> convert to the target's unit (each person's working
    day) and round as the target demands -> read target (or the last written value, for a
    target that cannot be read) -> adapter.plan_write -> PlanRow

The arithmetic (`desired_value`, `current_from_last_written`, the row builders) is pure; only
`plan_sync` awaits the adapters, and it only reads.

Rows whose person has no id in the target are `unmapped`; so is each source leave type that
has balances but no pair (one row per type, when the source reads an empty type list as "every
type"). An adapter may also offer `list_employee_ids()` (see `EmployeeDirectory`): then source
employees missing from the mapping get `unmapped` rows as well.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from balance_gateway.adapters._core.adapter import (
    BalanceAdapter,
    EmployeeDirectory,
    OperationKind,
    PlannedWrite,
    TargetUnit,
    WriteIntent,
)
from balance_gateway.adapters._core.errors import AuthenticationError, GatewayError
from balance_gateway.adapters._core.secrets import scrub
from balance_gateway.canonical import (
    AsOfBasis,
    Balance,
    CanonicalError,
    EmployeeRef,
    Figure,
    InexactConversionError,
    LeaveKind,
    LeaveTypeRef,
    Provenance,
    Quantity,
    RoundingMode,
    SharedRefs,
    WorkSchedule,
    convert,
    convert_rounded,
)
from balance_gateway.gateway.bounded import all_or_none, map_bounded
from balance_gateway.gateway.config import RoundingConfig, SyncConfig
from balance_gateway.gateway.isolation import IsolatingReads, failure_note
from balance_gateway.gateway.journal import Journal, LastWritten, OperationRecord
from balance_gateway.gateway.mapping import EmployeeMapping, Person

WRITE_OPERATIONS = frozenset(
    {OperationKind.SET, OperationKind.IMPORT, OperationKind.CREDIT, OperationKind.REDUCE}
)

Key = tuple[str, str, str]  # (system, employee id, leave type id)
_T = TypeVar("_T")


class NotPlannable(Exception):
    """This row cannot be planned; `reason` says why (it becomes the row's note)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True, slots=True)
class PlanRow:
    """One employee and leave-type pair of a sync.

    `source_value` is the carried figure in the source's unit; `before`/`after` are the target's
    value now (read, or last written for a write-only target) and after the operation, in the
    target's unit. `intent` is what `apply_write` would be given (None for rows that write
    nothing and have no value, e.g. unmapped ones).

    `source_as_of` is the date the source figure is valid for and `source_as_of_basis` what
    that date means (`AsOfBasis`); `source_age_days` is the plan's as-of date minus
    `source_as_of` (negative for a current figure read after the date asked for). All three are
    None when the source gave no balance.
    """

    sync: str
    source_system: str
    target_system: str
    source_employee: str | None
    target_employee: str | None
    source_type: str
    target_type: str | None
    operation: OperationKind
    leave_kind: LeaveKind | None = None
    source_value: Quantity | None = None
    before: Quantity | None = None
    after: Quantity | None = None
    note: str = ""
    intent: WriteIntent | None = None
    schedule: WorkSchedule = field(default_factory=WorkSchedule.default)
    source_as_of: date | None = None
    source_as_of_basis: AsOfBasis | None = None
    source_age_days: int | None = None
    # The employee's line in the mapping CSV (None for rows of no one mapping line).
    mapping_line: int | None = None
    # A vendor error made this row unplannable (its note says which): the plan exits 1.
    failed: bool = False

    @property
    def writes(self) -> bool:
        """True when applying this row sends a write to the target."""
        return self.operation in WRITE_OPERATIONS

    @property
    def employee_label(self) -> str:
        if self.source_employee is None and self.target_employee is None:
            return "(all)"
        src = self.source_employee or "?"
        dst = self.target_employee or "?"
        return src if src == dst else f"{src} -> {dst}"

    @property
    def type_label(self) -> str:
        dst = self.target_type or "?"
        return self.source_type if self.source_type == dst else f"{self.source_type} -> {dst}"


@dataclass(frozen=True)
class SyncPlan:
    """The plan of one sync; `error` is set when the sync could not be planned at all."""

    sync: str
    source: str
    target: str
    as_of: date
    rows: tuple[PlanRow, ...] = ()
    error: str | None = None
    # The system whose credentials were refused (401) when that made the sync unplannable.
    refused_system: str | None = None


def _format_amount(value: Decimal) -> str:
    """A signed amount for notes; a long (non-terminating) one is shown as ~ 6 decimals."""
    sign = "-" if value < 0 else "+"
    text = format(abs(value), "f")
    if "." in text and len(text.split(".")[1]) > 6:
        text = "~" + format(abs(value).quantize(Decimal("0.000001")), "f")
    return sign + text


def rounding_for(
    target: TargetUnit, rounding: RoundingConfig | None
) -> tuple[Decimal, RoundingMode] | None:
    """The step and mode to round to: the sync's `rounding` when configured, else what the
    target demands (`target.step`), else None (exact conversion only)."""
    if rounding is not None:
        return rounding.step, rounding.mode
    if target.step is not None:
        return target.step, target.mode
    return None


def desired_value(
    balance: Balance,
    figure: Figure,
    target: TargetUnit,
    rounding: RoundingConfig | None,
    schedule: WorkSchedule,
) -> tuple[Quantity, Quantity, str]:
    """The value the target should hold: `figure` of `balance`, converted to `target.unit` with
    `schedule` (days <-> hours) and rounded as `rounding_for` says.

    Returns (source quantity in the source's unit, target quantity, note). The note reports any
    rounding difference (in the target's unit); it is empty when nothing was rounded. Raises
    NotPlannable when the source does not give the figure, or when the value has no exact form
    in the target's unit and no rounding step is configured.
    """
    try:
        source_value = balance.quantity(figure)
    except CanonicalError as exc:
        raise NotPlannable(str(exc)) from None
    how = rounding_for(target, rounding)
    if how is None:
        try:
            return source_value, convert(source_value, target.unit, schedule), ""
        except InexactConversionError:
            raise NotPlannable(
                f"{source_value} has no exact value in {target.unit.value} at "
                f"{schedule.hours_per_day} hours per day; set `rounding = {{ step = ... }}` on "
                "this sync"
            ) from None
    step, mode = how
    if target.step is not None and (step / target.step) % 1 != 0:
        raise NotPlannable(
            f"the sync rounds to {format(step, 'f')} {target.unit.value}, but the target stores "
            f"multiples of {format(target.step, 'f')}; use a multiple of that step"
        )
    rounded = convert_rounded(source_value, target.unit, schedule, step, mode)
    note = ""
    if rounded.changed:
        note = (
            f"rounded to a multiple of {format(step, 'f')} {target.unit.value} ({mode.value}): "
            f"{_format_amount(rounded.difference)} "
            f"{target.unit.value}"
        )
    return source_value, rounded.value, note


@dataclass(frozen=True)
class SourceDating:
    """How the date a source figure is valid for relates to the date asked for."""

    age_days: int  # asked as-of minus the figure's as-of; negative: read after the date asked
    note: str  # for the plan row; empty when the figure is simply the balance on that date
    blocked: str | None = None  # why the figure cannot be carried, if it cannot


def _days_text(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


def _period_text(balance: Balance) -> str:
    period = balance.period
    if period is None:
        return f"the period holding {balance.as_of}"
    whole_year = (period.start.month, period.start.day, period.end.month, period.end.day)
    if whole_year == (1, 1, 12, 31) and period.start.year == period.end.year:
        return f"year {period.start.year}"
    return f"{period.start}..{period.end}"


def source_dating(
    balance: Balance, as_of: date, system: str, max_age: timedelta | None = None
) -> SourceDating:
    """What the plan row says about the date of `balance` (read from `system`) for a sync as
    of `as_of`, and whether `max_age` (the sync's `max_source_age`) blocks it.

    A figure dated before `as_of` says how old it is, and is blocked when older than `max_age`;
    one dated after `as_of` on a `date` basis is always blocked (the balance on a date never
    counts what came after it). A `period` figure says which period it is; a `current` one says
    that it is not as of the date asked for, when it was read on another day."""
    age = (as_of - balance.as_of).days
    basis = balance.as_of_basis
    if basis is AsOfBasis.DATE and age < 0:
        return SourceDating(
            age,
            "",
            f"{system} answered with a figure dated {balance.as_of}, after the as-of date "
            f"{as_of}; a balance as of a date never counts what came after it",
        )
    if basis is AsOfBasis.PERIOD:
        note = (
            f"{system} answers per period, not per date: the figures of "
            f"{_period_text(balance)} as {system} holds them"
        )
    elif basis is AsOfBasis.CURRENT and age != 0:
        note = (
            f"{system} keeps no date on this figure: it is the current one (read "
            f"{balance.as_of}), not as of {as_of}"
        )
    elif age > 0:
        note = f"{system}'s figure is dated {balance.as_of}, {_days_text(age)} before {as_of}"
    else:
        note = ""
    if max_age is not None and age > max_age.days:
        blocked = (
            f"the {system} figure is dated {balance.as_of}, {_days_text(age)} before {as_of}: "
            f"older than max_source_age ({_days_text(max_age.days)}); bring {system} up to "
            "date, or raise max_source_age for this sync"
        )
        return SourceDating(age, note, blocked)
    return SourceDating(age, note)


def _dated(row: PlanRow, balance: Balance | None, dating: SourceDating | None) -> PlanRow:
    """`row` with the source figure's date (nothing when there is no source balance)."""
    if balance is None or dating is None:
        return row
    return replace(
        row,
        source_as_of=balance.as_of,
        source_as_of_basis=balance.as_of_basis,
        source_age_days=dating.age_days,
    )


def current_from_last_written(
    last: LastWritten | None,
    employee: EmployeeRef,
    leave_type: LeaveTypeRef,
    target: TargetUnit,
    schedule: WorkSchedule,
    as_of: date,
) -> Balance | None:
    """The value last written (`last`) as a Balance in the target's unit, for a target that
    cannot be read back; None when nothing was written or the recorded unit cannot be converted
    exactly to the target's."""
    if last is None:
        return None
    try:
        quantity = convert(Quantity(last.value, last.unit), target.unit, schedule)
    except CanonicalError:
        return None
    return Balance.build(
        employee=employee,
        leave_type=leave_type,
        unit=target.unit,
        remaining=quantity.value,
        as_of=as_of,
        provenance=Provenance(
            system=f"{employee.system} (last written by balance-gateway)",
            record_id=last.operation_id,
            fetched_at=last.at,
        ),
    )


def _index(balances: Sequence[Balance]) -> dict[tuple[str, str], Balance]:
    return {(b.employee.id, b.leave_type.id): b for b in balances}


async def _employee_ids(adapter: BalanceAdapter) -> list[str]:
    """Every employee `adapter` lists (`EmployeeDirectory`); none when it cannot list them."""
    if isinstance(adapter, EmployeeDirectory):
        return await adapter.list_employee_ids()
    return []


async def _read(
    adapter: BalanceAdapter, ids: Sequence[str], types: Sequence[str], as_of: date
) -> list[Balance]:
    if not ids:
        return []
    return await adapter.read_balances(ids, types, as_of)


class _ReadFailed(GatewayError):
    """Reading one system failed; the message names that system and its role in the sync."""

    def __init__(self, message: str, system: str, cause: BaseException) -> None:
        super().__init__(message)
        self.system = system
        self.refused = isinstance(cause, AuthenticationError)


async def _naming(role: str, system: str, read: Awaitable[_T]) -> _T:
    """`read`, with a read error re-raised naming the system it came from: a sync has two
    systems, and "401" alone does not say whose credential was refused."""
    try:
        return await read
    except (GatewayError, NotImplementedError, CanonicalError, ValueError) as exc:
        # ValueError: an adapter refusing what it was asked for (a leave type it has not).
        raise _ReadFailed(f"{role} system {system!r}: {exc}", system, exc) from exc


async def _told(
    read: Awaitable[list[Balance]], tell: Callable[[str], None], what: str, people: int
) -> list[Balance]:
    """`read`, then `tell` how many balances it gave: "<what>: 40 balances of 20 people"."""
    balances = await read
    tell(f"{what}: {len(balances)} balance(s) of {people} people")
    return balances


async def _read_source(
    adapter: BalanceAdapter, ids: Sequence[str], types: Sequence[str], as_of: date
) -> list[Balance]:
    """The source's balances of `ids`: of every leave type when the adapter reads an empty
    `leave_type_ids` as "every type" (Zeitstrom, CompanyFlow and Journyx do), so that types
    without a pair can be reported; else of the paired `types` only."""
    if not ids:
        return []
    try:
        everything = await adapter.read_balances(ids, [], as_of)
    except (GatewayError, NotImplementedError, CanonicalError, ValueError, KeyError):
        everything = []
    wanted = set(types)
    if any(b.leave_type.id in wanted for b in everything):
        return everything
    return await adapter.read_balances(ids, types, as_of)


def _unpaired_rows(
    sync: SyncConfig, balances: Sequence[Balance], schedule: WorkSchedule
) -> list[PlanRow]:
    """One `unmapped` row per source leave type that has balances but no pair in `sync`."""
    paired = {pair.source for pair in sync.types}
    counts: dict[str, set[str]] = {}
    for balance in balances:
        if balance.leave_type.id not in paired:
            counts.setdefault(balance.leave_type.id, set()).add(balance.employee.id)
    return [
        PlanRow(
            sync=sync.name,
            source_system=sync.source,
            target_system=sync.target,
            source_employee=None,
            target_employee=None,
            source_type=type_id,
            target_type=None,
            operation=OperationKind.UNMAPPED,
            note=(
                f"{sync.source} type {type_id} has balances for {len(employees)} mapped "
                "employee(s) but no pair in this sync"
            ),
            schedule=schedule,
        )
        for type_id, employees in sorted(counts.items())
    ]


@dataclass(frozen=True)
class PlanContext:
    """What planning needs besides the sync and its two adapters; one serves every sync of a
    run (or of one wave).

    `mapping` pairs the people (`default_schedule`: the working day of those it gives none).
    Each write gets `run_id` and an id from `new_operation_id`; `today` gives the as-of date.
    `journal` gives the last written values for a target that cannot be read (None: treat it
    as never written). A target balance with an `unresolved` earlier operation (by
    (system, employee, leave type)) is blocked when `block_unresolved`, else only noted. At
    most `max_concurrent` rows are planned at once. `progress` is told, in a line each, what
    was read from each system and what was planned."""

    mapping: EmployeeMapping
    default_schedule: WorkSchedule
    run_id: str
    new_operation_id: Callable[[], str]
    today: date
    journal: Journal | None = None
    unresolved: Mapping[Key, OperationRecord] = field(default_factory=dict)
    block_unresolved: bool = True
    max_concurrent: int = 16
    progress: Callable[[str], None] | None = None

    def tell(self, line: str) -> None:
        if self.progress is not None:
            self.progress(line)


async def plan_sync(
    sync: SyncConfig, source: BalanceAdapter, target: BalanceAdapter, context: PlanContext
) -> SyncPlan:
    """Plan `sync`: read `source` and `target`, and ask the target adapter what each write
    would be (`context`: see `PlanContext`).

    Writes nothing anywhere. A vendor error while reading makes the whole sync unplannable
    (`SyncPlan.error`), never a crash.
    """
    tell, mapping, default_schedule = context.tell, context.mapping, context.default_schedule

    as_of = sync.as_of_date(context.today)
    plan = SyncPlan(sync=sync.name, source=sync.source, target=sync.target, as_of=as_of)
    people = [p for p in mapping if p.id_in(sync.source) is not None]
    source_types = [pair.source for pair in sync.types]
    target_types = [pair.target for pair in sync.types]
    source_ids = [p.ids[sync.source] for p in people]
    target_ids = [p.ids[sync.target] for p in people if p.id_in(sync.target) is not None]
    can_read_target = target.capabilities.can_read
    # One employee's failed read fails that employee's rows only (gateway.isolation).
    source_reads, target_reads = IsolatingReads(source), IsolatingReads(target)
    try:
        source_read = _told(
            _naming(
                "source", sync.source, _read_source(source_reads, source_ids, source_types, as_of)
            ),
            tell,
            f"read {sync.source} for {sync.name}",
            len(source_ids),
        )
        # The source's people (for its unmapped ones) are listed while the balances are read;
        # the first read to fail leaves none of the others running.
        listing = _naming("source", sync.source, _employee_ids(source))
        if not can_read_target:
            tell(f"{sync.target} cannot be read: {sync.name} compares with the values last written")
        async with all_or_none() as reads:
            source_task = reads.create_task(source_read)
            target_task = (
                reads.create_task(
                    _told(
                        _naming(
                            "target",
                            sync.target,
                            _read(target_reads, target_ids, target_types, as_of),
                        ),
                        tell,
                        f"read {sync.target} for {sync.name}",
                        len(target_ids),
                    )
                )
                if can_read_target
                else None
            )
            listing_task = reads.create_task(listing)
        source_balances, listed = source_task.result(), listing_task.result()
        target_balances = [] if target_task is None else target_task.result()
        del source_task, target_task, listing_task  # a task holds its result: see below
        known = set(source_ids)
        extra_ids = [i for i in listed if i not in known]
    except (GatewayError, NotImplementedError, CanonicalError) as exc:
        tell(f"{sync.name}: could not be planned (the error is reported at the end)")
        return SyncPlan(
            sync=plan.sync,
            source=plan.source,
            target=plan.target,
            as_of=as_of,
            error=scrub(f"could not read balances: {exc}"),
            refused_system=exc.system if isinstance(exc, _ReadFailed) and exc.refused else None,
        )
    # What the rows need of the reads, and no more: the unpaired types counted now, and each
    # person's balances dropped from the indexes once that person's rows are planned, so the
    # reads' Balances go while the rows grow instead of living until the plan ends.
    unpaired = _unpaired_rows(sync, source_balances, default_schedule)
    source_index = _index(source_balances)
    target_index = _index(target_balances)
    del source_balances, target_balances
    intent_refs = SharedRefs(sync.target)  # one ref per target employee and type

    async def plan_one(
        person_ids: Mapping[str, str], schedule: WorkSchedule, line: int
    ) -> list[PlanRow]:
        rows = []
        source_id = person_ids[sync.source]
        target_id = person_ids.get(sync.target)
        where = f"{mapping.file}, line {line}"
        read_failure = None
        if source_id in source_reads.failures:
            exc = source_reads.failures[source_id]
            read_failure = failure_note("source", sync.source, exc, where)
        elif target_id is not None and target_id in target_reads.failures:
            exc = target_reads.failures[target_id]
            read_failure = failure_note("target", sync.target, exc, where)
        for pair in sync.types:
            # A row whose read failed carries no source figure.
            balance = (
                None if read_failure is not None else source_index.get((source_id, pair.source))
            )
            dating = (
                None
                if balance is None
                else source_dating(balance, as_of, sync.source, sync.max_source_age)
            )
            # Built once with the source figure and its date (a copy per field set cost more
            # than the rest of the row's planning).
            base = PlanRow(
                sync=sync.name,
                source_system=sync.source,
                target_system=sync.target,
                source_employee=source_id,
                target_employee=target_id,
                source_type=pair.source,
                target_type=pair.target,
                leave_kind=pair.kind,
                operation=OperationKind.UNMAPPED,
                source_value=None if balance is None else _figure_or_none(balance, sync.figure),
                schedule=schedule,
                source_as_of=None if balance is None else balance.as_of,
                source_as_of_basis=None if balance is None else balance.as_of_basis,
                source_age_days=None if dating is None else dating.age_days,
                mapping_line=line,
            )
            if read_failure is not None:
                rows.append(
                    _with(base, operation=OperationKind.BLOCKED, note=read_failure, failed=True)
                )
                continue
            if target_id is None:
                rows.append(
                    _with(
                        base,
                        note=f"no {sync.target} id for this person in the mapping (line {line})",
                    )
                )
                continue
            rows.append(
                await _plan_pair(
                    base,
                    sync,
                    target,
                    context,
                    balance=balance,
                    dating=dating,
                    current_read=target_index.get((target_id, pair.target)),
                    as_of=as_of,
                    refs=intent_refs,
                )
            )
        return rows

    async def plan_person(person: Person) -> list[PlanRow]:
        rows = await plan_one(person.ids, mapping.schedule(person, default_schedule), person.line)
        # Ids are unique per system in the mapping: no one else's rows read these again.
        source_id, target_id = person.ids[sync.source], person.ids.get(sync.target)
        for pair in sync.types:
            source_index.pop((source_id, pair.source), None)
            if target_id is not None:
                target_index.pop((target_id, pair.target), None)
        return rows

    # One person's pairs are planned one after another, so at most `max_concurrent` at once.
    by_person = await map_bounded(people, plan_person, context.max_concurrent)
    planned = [row for rows in by_person for row in rows]
    for extra in sorted(extra_ids):
        for pair in sync.types:
            balance = source_index.get((extra, pair.source))
            dating = (
                None
                if balance is None
                else source_dating(balance, as_of, sync.source, sync.max_source_age)
            )
            planned.append(
                _dated(
                    PlanRow(
                        sync=sync.name,
                        source_system=sync.source,
                        target_system=sync.target,
                        source_employee=extra,
                        target_employee=None,
                        source_type=pair.source,
                        target_type=pair.target,
                        leave_kind=pair.kind,
                        operation=OperationKind.UNMAPPED,
                        source_value=None
                        if balance is None
                        else _figure_or_none(balance, sync.figure),
                        note=f"{sync.source} employee {extra} is not in the mapping",
                        schedule=default_schedule,
                    ),
                    balance,
                    dating,
                )
            )
    planned.extend(unpaired)
    writes = sum(1 for row in planned if row.writes)
    tell(f"planned {sync.name}: {len(planned)} row(s), {writes} to write")
    return SyncPlan(
        sync=plan.sync, source=plan.source, target=plan.target, as_of=as_of, rows=tuple(planned)
    )


def _with(row: PlanRow, **changes: Any) -> PlanRow:
    return replace(row, **changes)


def _figure_or_none(balance: Balance, figure: Figure) -> Quantity | None:
    value = balance.figure(figure)
    return None if value is None else Quantity(value, balance.unit)


def join_notes(*notes: str) -> str:
    """The non-empty notes, joined as one row's note, each part once: an adapter's write
    often says what its plan said ("new import dated 2026-12-04"), which is not news twice."""
    given = [n for n in notes if n]
    if len(given) <= 1:
        return given[0] if given else ""  # the note itself, not a copy
    parts = dict.fromkeys(part for note in given for part in note.split("; "))  # in order
    return "; ".join(parts)


async def _plan_pair(
    base: PlanRow,
    sync: SyncConfig,
    target: BalanceAdapter,
    context: PlanContext,
    *,
    balance: Balance | None,
    dating: SourceDating | None,
    current_read: Balance | None,
    as_of: date,
    refs: SharedRefs,
) -> PlanRow:
    """The row of one mapped (employee, type) pair, from its source `balance` (dated as
    `dating` says) and what the target shows (`current_read`; the value last written when it
    cannot be read); the intent's refs come from `refs` (the sync's target)."""
    assert base.target_employee is not None
    assert base.target_type is not None
    # Taken first, as every pair of a mapped person always took one: ids stay as they were.
    operation_id = context.new_operation_id()
    journal = context.journal
    unresolved = context.unresolved.get((sync.target, base.target_employee, base.target_type))
    if balance is None:
        return _with(
            base,
            operation=OperationKind.SKIP,
            note=f"{sync.source} has no balance of type {base.source_type} for this employee",
        )
    dating_note = "" if dating is None else dating.note
    if dating is not None and dating.blocked is not None:
        return _with(base, operation=OperationKind.BLOCKED, note=dating.blocked)
    try:
        target_unit = target.target_unit(base.target_type)
        _, value, rounding_note = desired_value(
            balance, sync.figure, target_unit, sync.rounding, base.schedule
        )
    except NotPlannable as exc:
        return _with(base, operation=OperationKind.BLOCKED, note=exc.reason)
    except (GatewayError, CanonicalError, KeyError, ValueError) as exc:
        return _with(base, operation=OperationKind.BLOCKED, note=scrub(str(exc)))
    employee = refs.employee(base.target_employee)
    leave_type = refs.leave_type(base.target_type, base.leave_kind)
    intent = WriteIntent(
        operation_id=operation_id,
        run_id=context.run_id,
        employee=employee,
        leave_type=leave_type,
        remaining=value,
        as_of=as_of,
        source=sync.source,
        allow_below_threshold=sync.allow_below_threshold,
        target_record=None if current_read is None else current_read.provenance.record_id,
    )
    current = current_read
    if not target.capabilities.can_read:
        last = (
            None
            if journal is None
            else journal.last_written(sync.target, base.target_employee, base.target_type)
        )
        current = current_from_last_written(
            last, employee, leave_type, target_unit, base.schedule, as_of
        )
    pending_note = ""
    if unresolved is not None:
        pending_note = (
            f"operation {unresolved.operation_id} (run {unresolved.run_id}) is still "
            f"{unresolved.status.value}"
        )
        if context.block_unresolved:
            return _with(
                base,
                operation=OperationKind.BLOCKED,
                before=_remaining(current),
                after=value,
                intent=intent,
                note=join_notes(
                    pending_note,
                    "the target could not tell whether it took effect; check the target and "
                    "run again",
                ),
            )
        pending_note += "; sync resolves it before writing"
    try:
        planned: PlannedWrite = await target.plan_write(intent, current)
    except GatewayError as exc:
        where = "" if base.mapping_line is None else f" (mapping line {base.mapping_line})"
        return _with(
            base,
            operation=OperationKind.BLOCKED,
            before=_remaining(current),
            after=value,
            intent=intent,
            note=f"could not plan the write{where}: {exc}",
            failed=True,
        )
    return _with(
        base,
        operation=planned.kind,
        before=planned.before if planned.before is not None else _remaining(current),
        after=planned.after if planned.after is not None else value,
        intent=intent,
        note=join_notes(dating_note, rounding_note, planned.note, pending_note),
    )


def _remaining(balance: Balance | None) -> Quantity | None:
    if balance is None or balance.remaining is None:
        return None
    return Quantity(balance.remaining, balance.unit)


def utc_today() -> date:
    return datetime.now(UTC).date()
