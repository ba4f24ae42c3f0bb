"""Bezala as a balance system: canonical `Balance`s in, dated imports out.

Leave type ids are Bezala's balance types:
    vacation    days, fractions allowed (no rounding step)
    work_time   minutes, whole minutes only (`target_unit` asks for step 1)

Reading as of a date gives, per employee (a Bezala user id) and balance type, the latest import
dated on or before that date as a `Balance` whose `remaining` is the imported value and `as_of`
the import's date (the value holds at the END of that date [seed]); imports dated after it are
ignored. Among imports on one date, the one with the highest id counts. Both types of a user
come from one listing of the user's imports (the listing's `balance_type` filter is optional
and its answer holds both types [seed]), newest date first, read only until both types are
settled: one request per user. One type alone comes from its `latest` import (one request)
when that is dated on or before `as_of`, else from the listing of that type walked back.

Writing is `WriteKind.IMPORT`: the intended remaining balance is imported dated `intent.as_of`.
An import for the same user, type and date that already holds the value makes the write a
`skip`. One that holds another value is replaced (deleted, then posted again) only when this
project made it; an import made by anyone else is never deleted, and the write is `blocked`
with the reason (ASSUMED: blocked rather than posting a second import beside it, so that a
person's correction is never silently overridden).

Requests: the plan is made from the bulk read (`plan_write` is given the import that holds on
`as_of`). With no import dated `as_of` itself the write is a new import, and when the import
that counts on that date already holds the value it is a skip: nothing more is read. Only an
import on that very date holding another value (to replace or refuse) needs the date's
imports listed. An import is a POST that creates a record, so it must never land beside one
already on the date (someone's correction, or an earlier attempt of the same write): the
first attempt of an operation planned by this adapter acts on what the plan saw on the date
(nothing there: the POST alone; our imports there: their DELETEs, then the POST), since the
engine sends it once, after its intent is durable, so nothing of it can be on Bezala yet.
Every other write (a re-attempt, a direct call without `first_attempt` or `planned_before`, a
plan made in another process) lists the date's imports first. What the plan saw holds while
the engine's re-read after a confirmation shows the same import holding the balance; an import
someone adds on the date between the plan and the write (seconds, without a prompt) is not
seen, as an absolute target's write does not see a change made since its plan. Bezala's paths
are per user, so no read covers more than one user.

"Made by this project" (ASSUMED): an import whose `creator_id` is the Bezala user the adapter
authenticates as. Bezala has no label or note on an import, so that user id is the only mark;
give it as the option `creator_id` (the emulator prints it at start). Without it no import
counts as ours, and a differing import on the date blocks the write. Use a dedicated API user
for the gateway, so that its imports are told apart from people's.

Options (`AdapterConfig.options`):
    creator_id   the Bezala user id the credentials act as (int or digits); see above.
Credentials (`CREDENTIAL_KEYS`): `token`, or `email` and `password` (login).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from pydantic import field_validator

from balance_gateway.adapters._core.adapter import (
    AdapterConfig,
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
from balance_gateway.adapters._core.concurrency import gather_limited
from balance_gateway.adapters._core.discovery import (
    ConnectionCheck,
    DirectoryPerson,
    LeaveTypeInfo,
    Listing,
)
from balance_gateway.adapters._core.errors import NotFoundError, RequestValidationError
from balance_gateway.adapters._core.options import AdapterOptions, parse_options
from balance_gateway.adapters._core.validation import check_integer_id
from balance_gateway.adapters.bezala.client import AsyncClient
from balance_gateway.adapters.bezala.models import BalanceType, SortOrder, TimeBalance
from balance_gateway.canonical import (
    Balance,
    EmployeeRef,
    LeaveKind,
    LeaveTypeRef,
    Provenance,
    Quantity,
    RoundingMode,
    Unit,
)

CREDENTIAL_KEYS: tuple[tuple[str, ...], ...] = (("token",), ("email", "password"))


class Options(AdapterOptions):
    """Bezala's `[systems] options`: `creator_id`, the Bezala user id the credentials act as
    (an int or its digits; see the module docstring)."""

    creator_id: str | None = None

    @field_validator("creator_id", mode="before")
    @classmethod
    def _integer_id(cls, value: object) -> object:
        return None if value is None else str(check_integer_id("options.creator_id", value))


TARGET_UNITS: dict[BalanceType, TargetUnit] = {
    BalanceType.VACATION: TargetUnit(Unit.DAYS),
    BalanceType.WORK_TIME: TargetUnit(Unit.MINUTES, step=Decimal(1), mode=RoundingMode.HALF_EVEN),
}
LEAVE_KINDS: dict[BalanceType, LeaveKind] = {
    BalanceType.VACATION: LeaveKind.VACATION,
    BalanceType.WORK_TIME: LeaveKind.WORK_TIME,
}


def _record_order(record: TimeBalance) -> tuple[dt.date, int]:
    # Bezala ids are integers [seed]; among imports on one date the newest one counts.
    return record.date, int(record.id) if record.id.lstrip("-").isdigit() else -1


@dataclass(frozen=True)
class ImportDecision:
    """What writing `value` as of a date means, given the imports already on that date."""

    kind: OperationKind
    note: str
    replaces: tuple[TimeBalance, ...] = field(default_factory=tuple)


def decide_import(
    value: Decimal, day: dt.date, on_date: Sequence[TimeBalance], creator_id: str | None
) -> ImportDecision:
    """Skip, import (replacing our own imports on `day`), or blocked by someone else's."""
    if not on_date:
        return ImportDecision(OperationKind.IMPORT, f"new import dated {day}")
    effective = max(on_date, key=_record_order)
    if effective.value == value:
        return ImportDecision(
            OperationKind.SKIP, f"import #{effective.id} dated {day} already holds {value}"
        )
    foreign = [r for r in on_date if creator_id is None or r.creator_id != creator_id]
    if foreign:
        other = foreign[0]
        mine = "no creator_id option is set" if creator_id is None else f"ours is {creator_id}"
        return ImportDecision(
            OperationKind.BLOCKED,
            f"import #{other.id} dated {day} (value {other.value}) was made by user "
            f"{other.creator_id} ({other.creator_name}), not by this project ({mine}); "
            "balance-gateway replaces only its own imports: delete that import in Bezala, "
            "or sync as of another date",
        )
    ids = ", ".join(f"#{r.id}" for r in on_date)
    return ImportDecision(
        OperationKind.IMPORT, f"replaces our import {ids} dated {day}", tuple(on_date)
    )


# At most this many plans are remembered for their writes (see `BezalaAdapter.plan_write`), about
# 200 bytes each (20 MB at most); a write planned beyond that lists the date's imports first, as
# a write without a plan does. Each is taken by its write, so a run holds only those not yet sent.
MAX_REMEMBERED_PLANS = 100_000


@dataclass(frozen=True, slots=True)
class _Planned:
    """What `plan_write` saw for one operation, for its first attempt (`apply_write`)."""

    operation_id: str
    record_id: str | None  # the import the plan saw holding on the date
    replaces: tuple[TimeBalance, ...]  # our imports on the date (empty: there was none)


_PairKey = tuple[int, str, dt.date]  # (user id, balance type, date)


class BezalaAdapter:
    """The `BalanceAdapter` of one configured Bezala system; see the module docstring."""

    vendor = "bezala"
    capabilities = Capabilities(can_read=True, can_write=True, write_kind=WriteKind.IMPORT)

    def __init__(
        self,
        *,
        system: str,
        client: AsyncClient,
        creator_id: str | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.system = system
        self.client = client
        self.creator_id = creator_id
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._planned: dict[_PairKey, _Planned] = {}

    # -- units ------------------------------------------------------------------------------

    @staticmethod
    def balance_type(leave_type_id: str) -> BalanceType:
        """The balance type named by `leave_type_id`; ValueError naming the known ones."""
        try:
            return BalanceType(leave_type_id)
        except ValueError:
            known = ", ".join(t.value for t in BalanceType)
            raise ValueError(
                f"bezala has no balance type {leave_type_id!r}; leave type ids are: {known}"
            ) from None

    def target_unit(self, leave_type_id: str) -> TargetUnit:
        """Days for vacation; whole minutes (step 1) for work_time."""
        return TARGET_UNITS[self.balance_type(leave_type_id)]

    # -- reading ----------------------------------------------------------------------------

    def _balance(self, record: TimeBalance, kind: BalanceType) -> Balance:
        return Balance.build(
            employee=EmployeeRef(self.system, record.user_id),
            leave_type=LeaveTypeRef(self.system, kind.value, LEAVE_KINDS[kind]),
            unit=TARGET_UNITS[kind].unit,
            remaining=record.value,
            as_of=record.date,
            provenance=Provenance(self.system, record.id, self._clock()),
        )

    async def read_balances(
        self, employee_ids: Sequence[str], leave_type_ids: Sequence[str], as_of: dt.date
    ) -> list[Balance]:
        """Per employee and balance type, the latest import dated on or before `as_of` (its
        own date as the balance's `as_of`); pairs with no such import are absent; an empty
        `leave_type_ids` means both types. Raises `NotFoundError` for an unknown user.

        One type: its `latest` import (one request per employee, a walk back through the list
        when that import is dated after `as_of`). Both types: one listing of the user's imports
        of every type, newest date first, read only as far as both types are settled (one
        request per employee while the first page holds, for each type, an import on or before
        `as_of` and one of an earlier date after it, or is the last page) [seed: the listing's
        `balance_type` filter is optional, and its example lists both types in one answer]."""
        kinds = [self.balance_type(t) for t in leave_type_ids] or list(BalanceType)
        kinds = list(dict.fromkeys(kinds))
        users = [check_integer_id("employee id", e) for e in employee_ids]
        if len(kinds) == 1:
            calls = [partial(self._latest_one, u, kinds[0], as_of) for u in users]
        else:
            calls = [partial(self._holding_per_type, u, kinds, as_of) for u in users]
        # One read per employee, independent of each other: read concurrently (bounded).
        found = await gather_limited(calls)
        balances = [
            self._balance(record, kind)
            for per_type in found
            for kind in kinds
            if (record := per_type.get(kind)) is not None
        ]
        self._forget_changed(users, kinds, as_of, found)
        return balances

    async def _latest_one(
        self, user_id: int, kind: BalanceType, as_of: dt.date
    ) -> dict[BalanceType, TimeBalance | None]:
        return {kind: await self._latest_until(user_id, kind, as_of)}

    async def _latest_until(
        self, user_id: int, kind: BalanceType, as_of: dt.date
    ) -> TimeBalance | None:
        """The import that holds on `as_of`: the latest one dated on or before it."""
        latest = await self.client.latest_time_balance(user_id, balance_type=kind)
        if latest is None or latest.date <= as_of:
            return latest
        # The latest import is dated after `as_of`: walk back through the list, newest first.
        on_day: list[TimeBalance] = []
        records = self.client.iter_time_balances(
            user_id, balance_type=kind, sort_by="date", order=SortOrder.DESC
        )
        async for record in records:
            if record.date > as_of:
                continue
            if on_day and record.date < on_day[0].date:
                break  # past the newest date on or before `as_of`: nothing more can count
            on_day.append(record)
        return max(on_day, key=_record_order) if on_day else None

    async def _holding_per_type(
        self, user_id: int, kinds: Sequence[BalanceType], as_of: dt.date
    ) -> dict[BalanceType, TimeBalance | None]:
        """Per type of `kinds`, the import that holds on `as_of`, from one walk through the
        user's imports of every type, newest date first, stopped once every type has its
        newest date on or before `as_of` and the walk has passed that date (nothing later in
        the list can count)."""
        on_day: dict[str, list[TimeBalance]] = {}
        wanted = {kind.value for kind in kinds}
        records = self.client.iter_time_balances(user_id, sort_by="date", order=SortOrder.DESC)
        async for record in records:
            if record.date > as_of:
                continue
            if len(on_day) == len(wanted) and all(
                record.date < group[0].date for group in on_day.values()
            ):
                break  # every type settled: the rest is older
            if record.balance_type not in wanted:
                continue
            group = on_day.setdefault(record.balance_type, [record])
            if group[0] is not record and record.date == group[0].date:
                group.append(record)
        return {
            kind: max(on_day[kind.value], key=_record_order) if kind.value in on_day else None
            for kind in kinds
        }

    async def _imports_on(self, intent: WriteIntent) -> list[TimeBalance]:
        """The user's imports of the intent's type dated `intent.as_of`."""
        user_id = check_integer_id("employee id", intent.employee.id)
        kind = self.balance_type(intent.leave_type.id)
        found = []
        records = self.client.iter_time_balances(
            user_id, balance_type=kind, sort_by="date", order=SortOrder.DESC
        )
        async for record in records:
            if record.date < intent.as_of:
                break  # newest first: nothing older can be on the date
            if record.date == intent.as_of:
                found.append(record)
        return found

    # -- writing ----------------------------------------------------------------------------

    def _check_intent(self, intent: WriteIntent) -> str | None:
        """Why the intent cannot be imported as it is, or None."""
        target = self.target_unit(intent.leave_type.id)
        if intent.remaining.unit is not target.unit:
            raise ValueError(
                f"{intent.leave_type.id} is stored in {target.unit.value}, the intent is in "
                f"{intent.remaining.unit.value}: convert with target_unit() first"
            )
        value = intent.remaining.value
        if target.step is not None and value % target.step != 0:
            return (
                f"{intent.leave_type.id} takes multiples of {target.step} {target.unit.value}, "
                f"got {value}: round with target_unit()'s step first"
            )
        return None

    async def _decide(self, intent: WriteIntent) -> ImportDecision:
        problem = self._check_intent(intent)
        if problem is not None:
            return ImportDecision(OperationKind.BLOCKED, problem)
        on_date = await self._imports_on(intent)
        return decide_import(intent.remaining.value, intent.as_of, on_date, self.creator_id)

    async def _decide_from(self, intent: WriteIntent, current: Balance | None) -> ImportDecision:
        """`_decide`, without a request when the bulk read shows no import dated `intent.as_of`
        (the import holding on that date is older, or there is none: a new import), or shows
        that the import counting on that date already holds the value (a skip)."""
        problem = self._check_intent(intent)
        if problem is not None:
            return ImportDecision(OperationKind.BLOCKED, problem)
        if current is None or current.as_of < intent.as_of:
            return decide_import(intent.remaining.value, intent.as_of, [], self.creator_id)
        if current.as_of == intent.as_of and current.remaining == intent.remaining.value:
            # The import that counts on the date already holds the value.
            return ImportDecision(
                OperationKind.SKIP,
                f"import #{current.provenance.record_id} dated {intent.as_of} already holds "
                f"{intent.remaining.value}",
            )
        return await self._decide(intent)

    async def plan_write(self, intent: WriteIntent, current: Balance | None) -> PlannedWrite:
        """`import`, `skip` or `blocked` (see the module docstring); never writes. `current`
        is the import that holds on `intent.as_of` (the bulk read), or None when there is none:
        unless it is dated `intent.as_of` itself, nothing is read.

        An import planned is remembered (by user, type and date, at most
        `MAX_REMEMBERED_PLANS`) for the operation's first attempt: what the plan saw on the
        date (nothing, or our imports to replace) is what that attempt acts on, without
        listing the date again (see `apply_write`)."""
        decision = await self._decide_from(intent, current)
        # A user id that is not an integer: not remembered (its write raises, as it did).
        with contextlib.suppress(RequestValidationError):
            key = self._pair_key(intent)
            self._planned.pop(key, None)
            if decision.kind is OperationKind.IMPORT and len(self._planned) < MAX_REMEMBERED_PLANS:
                record_id = None if current is None else current.provenance.record_id
                self._planned[key] = _Planned(intent.operation_id, record_id, decision.replaces)
        before = None
        if current is not None and current.remaining is not None:
            before = Quantity(current.remaining, current.unit)
        after = before if decision.kind is OperationKind.BLOCKED else intent.remaining
        return PlannedWrite(decision.kind, before, after, decision.note)

    def _pair_key(self, intent: WriteIntent) -> _PairKey:
        user_id = check_integer_id("employee id", intent.employee.id)
        return user_id, self.balance_type(intent.leave_type.id).value, intent.as_of

    def _planned_decision(self, intent: WriteIntent) -> ImportDecision | None:
        """The plan's decision, when `intent` is its operation's first attempt (the engine
        gives `first_attempt` and `planned_before` to that one only) on the record the plan
        saw; None: read. Taken once: a later write of the same balance reads first."""
        planned = self._planned.pop(self._pair_key(intent), None)
        if (
            planned is None
            or not (intent.first_attempt or intent.planned_before is not None)
            or planned.operation_id != intent.operation_id
            or planned.record_id != intent.target_record
        ):
            return None
        problem = self._check_intent(intent)
        if problem is not None:
            return ImportDecision(OperationKind.BLOCKED, problem)
        value, day = intent.remaining.value, intent.as_of
        return decide_import(value, day, planned.replaces, self.creator_id)

    def _forget_changed(
        self,
        users: Sequence[int],
        kinds: Sequence[BalanceType],
        as_of: dt.date,
        found: Sequence[dict[BalanceType, TimeBalance | None]],
    ) -> None:
        """Forget the plans of pairs that a read (the engine's re-read after a confirmation)
        shows held by another import than the plan saw: their writes list the date again."""
        if not self._planned:
            return
        for user_id, per_type in zip(users, found, strict=True):
            for kind in kinds:
                key = (user_id, kind.value, as_of)
                planned = self._planned.get(key)
                record = per_type.get(kind)
                if planned is not None and planned.record_id != (record and record.id):
                    del self._planned[key]

    async def apply_write(self, intent: WriteIntent) -> WriteOutcome:
        """Import `intent.remaining` dated `intent.as_of`, replacing our own imports on that
        date. Raises `WriteBlocked` for someone else's import on the date, and
        `WriteOutcomeUnknown` when the import's answer was lost (use `confirm_write`).

        The date's imports are listed first, so that an import never lands beside one already
        on the date, except on an operation's first attempt planned by this adapter (the
        intent's `first_attempt` set or `planned_before` given, its `target_record` the import
        the plan saw, and no read since showing another): nothing of the operation can be on
        Bezala yet, and the plan saw what is on the date, so the import is posted at once
        (after deleting the imports of ours that the plan saw there)."""
        decision = self._planned_decision(intent) or await self._decide(intent)
        if decision.kind is OperationKind.SKIP:
            return WriteOutcome(OperationKind.SKIP, intent.remaining, decision.note)
        if decision.kind is OperationKind.BLOCKED:
            raise WriteBlocked(decision.note)
        user_id = check_integer_id("employee id", intent.employee.id)
        for record in decision.replaces:
            # Already gone (an earlier attempt, or someone else) is as good as deleted.
            with contextlib.suppress(NotFoundError):
                await self.client.delete_time_balance(user_id, record.id)
        created = await self.client.import_time_balance(
            user_id,
            balance_type=self.balance_type(intent.leave_type.id),
            date=intent.as_of,
            value=intent.remaining.value,
        )
        return WriteOutcome(
            OperationKind.IMPORT,
            Quantity(created.value, intent.remaining.unit),
            decision.note,
            record_ids=(created.id,),
        )

    async def confirm_write(self, intent: WriteIntent) -> Confirmation:
        """APPLIED when the import that counts on `intent.as_of` holds `intent.remaining`."""
        on_date = await self._imports_on(intent)
        if not on_date:
            return Confirmation.NOT_APPLIED
        effective = max(on_date, key=_record_order)
        applied = effective.value == intent.remaining.value
        return Confirmation.APPLIED if applied else Confirmation.NOT_APPLIED

    # -- discovery ----------------------------------------------------------------------------

    async def check_connection(self) -> ConnectionCheck:
        """A login (with email and password), then the first page of `GET /api/users`."""
        async for _user in self.client.iter_users(per_page=1):
            break
        return ConnectionCheck(True, "GET /api/users answered")

    async def list_people(self) -> Listing[DirectoryPerson]:
        """`GET /api/users` (ASSUMED endpoint): id, name, email, and `external_id` as the
        employee number."""
        people = [
            DirectoryPerson(id=u.id, name=u.name, email=u.email, employee_number=u.external_id)
            async for u in self.client.iter_users(per_page=100)
        ]
        return Listing(tuple(people), how="GET /api/users (ASSUMED: not in the seed)")

    async def list_leave_types(self) -> Listing[LeaveTypeInfo]:
        """Bezala's two balance types [seed]: they are fixed, so nothing is requested."""
        types = tuple(
            LeaveTypeInfo(kind.value, name, TARGET_UNITS[kind].unit)
            for kind, name in (
                (BalanceType.VACATION, "Vacation balance (days)"),
                (BalanceType.WORK_TIME, "Work time balance (whole minutes)"),
            )
        )
        return Listing(types, how="fixed by Bezala's time_balances API [seed]")

    async def aclose(self) -> None:
        self._planned.clear()
        await self.client.aclose()


def _creator_id(value: object) -> str | None:
    return parse_options(Options, {"creator_id": value}).creator_id


def build_adapter(config: AdapterConfig) -> BezalaAdapter:
    """A Bezala adapter for `config` (credentials `token`, or `email` + `password`)."""
    if "token" in config.credentials or "email" not in config.credentials:
        token = config.credential("token")  # a KeyError naming what is missing, if so
        email, password = None, None
    else:
        token, email = None, config.credential("email").reveal()
        password = config.credential("password")
    client = AsyncClient(
        config.base_url,
        token=token,
        email=email,
        password=password,
        **config.client_options(),
    )
    return BezalaAdapter(
        system=config.system,
        client=client,
        creator_id=_creator_id(config.options.get("creator_id")),
    )
