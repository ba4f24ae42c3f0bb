"""Journyx <-> canonical balances: each accrual is one balance in HOURS.

- Employee id: the accrual's `id_user`. Leave type id: the accrual's `pname` (e.g. "Vacation").
  Hidden accruals (`status_code` "h") are not read. Two visible accruals with the same user
  and `pname` are ambiguous and raise `GatewayError`.
- Read: `remaining` = `hours_left`. An accrual has no as-of date [seed]: Journyx can only say
  what the balance is now, whatever `as_of` is asked for. So `as_of` is the date of the read
  (UTC), with basis `current`, and `provenance.fetched_at` its time; the plan says on the row
  when that is not the date asked for.
- Write (`WriteKind.SET`): PATCH `hours_left` to the intended remaining balance (an absolute
  value, so retried like a PUT). A value below the accrual's enforced hard threshold
  (`use_hard_threshold` and value < `hard_threshold`) is blocked unless
  `intent.allow_below_threshold`. An accrual must already exist: creating one needs its pay
  types, which a balance does not say.
- Bulk in, one write out: `read_balances` keeps the accruals it listed (id and thresholds, by
  user and accrual name). `plan_write` plans from that snapshot when it is given the balance
  the bulk read produced, and `apply_write` PATCHes the accrual found there: the write is sent
  alone (an absolute, idempotent value needs nothing read first). A write planned in another
  process (a distributed work unit) PATCHes the accrual its plan saw (`intent.target_record`),
  also alone. Without either (a resumed write, an intent built by hand) the accrual is looked
  up by a filtered GET, as before.
- A bulk listing asks for its later pages `LISTING_PAGES_AT_ONCE` at a time, by `$skip`, once
  the first page gives `$count` and `$top` [docs: both are in a collection's body]; assumption:
  the server pages by `$skip` as its own `@nextLink` does (the seed shows no other cursor).
  The next listing asks for the pages the last one's figures give together with its first
  (a sync's read back lists what its plan listed); assumption: a tenant rarely shrinks between
  two listings, and when it has, the pages past its new end, cancelled, may have been sent in
  vain (at most `LISTING_PAGES_AT_ONCE` requests).
- Listing the leave types reads every accrual (the names are the accruals' `pname`s). A sync
  lists them to check its configuration while it reads the balances and lists its people: the
  first read and the first people listing within `LISTING_REUSE_SECONDS` of a type listing,
  with no write in between, use what that listing read (joining it while it runs) instead of
  reading every accrual again (assumption: a listing seconds old is as good as a read made
  then; the seed says nothing about how fast accruals change).

Credentials: `username` + `api_key` (HTTP Basic), or `username` + `password` (cookie login).
Options (`config.options`):
- `step` (str/number, optional): the rounding step in hours the target demands (none by default).
- `page_size` (int, optional): `$top` when listing accruals (server default otherwise).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from pydantic import Field, field_validator

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
from balance_gateway.adapters._core.discovery import (
    ConnectionCheck,
    DirectoryPerson,
    LeaveTypeInfo,
    Listing,
)
from balance_gateway.adapters._core.errors import GatewayError, NotFoundError
from balance_gateway.adapters._core.options import AdapterOptions, parse_options
from balance_gateway.adapters.journyx.client import MAX_TOP, AccrualItems, AsyncClient
from balance_gateway.adapters.journyx.models import Accrual
from balance_gateway.canonical import (
    AsOfBasis,
    Balance,
    Provenance,
    Quantity,
    SharedRefs,
    Unit,
    interned,
)

VENDOR = "journyx"
CREDENTIAL_KEYS: tuple[tuple[str, ...], ...] = (("username", "api_key"), ("username", "password"))


class Options(AdapterOptions):
    """Journyx's `[systems] options` (see the module docstring)."""

    step: Decimal | None = None
    page_size: int | None = Field(default=None, ge=1)

    @field_validator("step", mode="before")
    @classmethod
    def _positive_hours(cls, value: object) -> object:
        if value is None:
            return None
        try:  # through the text: a TOML float 0.1 stays exactly 0.1
            step = Decimal(str(value))
        except ArithmeticError:
            step = Decimal("NaN")
        if not step.is_finite() or step <= 0:
            raise ValueError("must be a positive number of hours")
        return step


# The fields a balance needs; asking only for them keeps list pages small.
_READ_KEYS = (
    "id",
    "id_user",
    "pname",
    "hours_left",
    "hard_threshold",
    "use_hard_threshold",
    "status_code",
)


@dataclass(frozen=True, slots=True)
class SeenAccrual:
    """What planning and writing need of an accrual a bulk read listed. Kept instead of the
    wire model (some 35 fields, most of them empty): a sync holds one per balance."""

    id: str | None
    hours_left: Decimal | None
    hard_threshold: Decimal | None
    use_hard_threshold: bool | None

    @classmethod
    def of(cls, accrual: Accrual) -> SeenAccrual:
        # Figures repeat across accruals (one threshold for all): one Decimal per value.
        hours_left, threshold = accrual.hours_left, accrual.hard_threshold
        return cls(
            accrual.id,
            None if hours_left is None else interned(hours_left),
            None if threshold is None else interned(threshold),
            accrual.use_hard_threshold,
        )


@dataclass(frozen=True, slots=True)
class ListedAccrual:
    """A visible accrual of a bulk read, as it is kept: whose it is (`id_user`, `pname`) and
    what planning needs of it (`seen`). Each page's wire models are let go as soon as the page
    is converted to these, so that a read holds one page of them at a time."""

    id_user: str | None
    pname: str | None
    seen: SeenAccrual


def below_hard_threshold(accrual: Accrual | SeenAccrual, value: Decimal) -> bool:
    """Whether `value` (hours) is below the accrual's enforced hard threshold."""
    return (
        bool(accrual.use_hard_threshold)
        and accrual.hard_threshold is not None
        and value < accrual.hard_threshold
    )


def _blocked_note(accrual: Accrual | SeenAccrual, value: Decimal) -> str:
    return (
        f"{value} hours is below the enforced hard threshold of {accrual.hard_threshold} hours "
        f"of accrual {accrual.id}; allow it with allow_below_threshold"
    )


_T = TypeVar("_T")

# Balances handed over at a time by `iter_balances`.
BALANCE_PAGE = 500

# How long the accruals a type listing read may stand in for the next bulk read (see above).
LISTING_REUSE_SECONDS = 10.0

# Pages of a bulk listing asked for at once, once its first page says how many there are.
LISTING_PAGES_AT_ONCE = 4


@dataclass(frozen=True)
class _Recent(Generic[_T]):
    """What a listing started at `at` gives (or will give) its next reader."""

    at: float
    value: asyncio.Future[_T]


def _users(accruals: list[ListedAccrual]) -> list[str]:
    return sorted({a.id_user for a in accruals if a.id_user is not None})


async def _users_of(listing: asyncio.Future[list[ListedAccrual]]) -> list[str]:
    return _users(await asyncio.shield(listing))


def _quiet(task: asyncio.Task[_T]) -> asyncio.Task[_T]:
    """`task`, its failure retrieved when no one awaits it (no "never retrieved" log)."""
    task.add_done_callback(lambda done: done.cancelled() or done.exception())
    return task


def _cancelled(
    tasks: dict[int, asyncio.Task[AccrualItems]], which: Callable[[int], bool]
) -> list[asyncio.Task[AccrualItems]]:
    """The tasks of `tasks` (by `$skip`) that `which` picks, cancelled and taken out."""
    picked = [tasks.pop(skip) for skip in [k for k in tasks if which(k)]]
    for task in picked:
        task.cancel()
    return picked


def _being_cancelled() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class JournyxAdapter:
    """`BalanceAdapter` over the Journyx `AsyncClient`; see the module docstring."""

    vendor = VENDOR
    capabilities = Capabilities(can_read=True, can_write=True, write_kind=WriteKind.SET)

    def __init__(
        self,
        system: str,
        client: AsyncClient,
        *,
        step: Decimal | None = None,
        page_size: int | None = None,
    ) -> None:
        self.system = system
        self.client = client
        self.step = step
        self.page_size = page_size
        # The accruals the last bulk reads listed, by (user, accrual name): see the docstring.
        self._seen: dict[tuple[str, str], SeenAccrual] = {}
        # The last type listing, when it started (`clock`), and its accruals (a task, maybe
        # still running: a sync checks its types while it reads), for the next read only; and
        # the users it found, for the next people listing only.
        self._listed: _Recent[list[ListedAccrual]] | None = None
        self._listed_users: _Recent[list[str]] | None = None
        # `$count` and `$top` of the last listing: the next one asks for the pages they give
        # at once with its first (`_listing`).
        self._last_paging: tuple[int, int] | None = None
        self.clock = time.monotonic

    def target_unit(self, leave_type_id: str) -> TargetUnit:
        """Hours, for every accrual; rounded to `step` only when configured."""
        return TargetUnit(Unit.HOURS, step=self.step)

    async def _accruals(self) -> list[ListedAccrual]:
        """Every visible accrual, each kept as a `ListedAccrual` as its page arrives."""
        return [accrual async for accrual in self._each_accrual()]

    async def _each_accrual(self, *, reuse_listing: bool = False) -> AsyncIterator[ListedAccrual]:
        """Every visible accrual as a `ListedAccrual`, page by page (the page's wire models go
        with the page); from the last type listing instead when `reuse_listing` and it is
        recent enough."""
        accruals = None
        if reuse_listing:
            listed, self._listed = self._listed, None
            accruals = await self._recent(listed)
        if accruals is not None:
            for accrual in accruals:
                yield accrual
            return
        async for wire in self._listing():
            if wire.status_code != "h":
                yield ListedAccrual(wire.id_user, wire.pname, SeenAccrual.of(wire))

    async def _listing(self) -> AsyncIterator[Accrual]:
        """Every accrual, in the order `iter_accruals` walks them: the first page, then the
        others by `$skip`, up to `LISTING_PAGES_AT_ONCE` of them asked for at once, which the
        first page's `$count` and `$top` say (one after the other, each request waits for a
        round trip: a read of 100,000 people is 300 pages). The pages the last listing's
        figures give are asked for with the first (a sync's read back lists what its plan
        listed); those the first page shows to lie past the end go unread. Pages past `$count`
        (accruals added meanwhile) are followed as `@nextLink` says. A server answering
        without those figures is walked by `@nextLink` from the start (its first page asked
        for twice)."""
        asked: dict[int, asyncio.Task[AccrualItems]] = {}  # by $skip
        dropped: list[asyncio.Task[AccrualItems]] = []
        remembered, self._last_paging = self._last_paging, None
        if remembered is not None:
            count, step = remembered
            for skip in itertools.islice(range(step, count, step), LISTING_PAGES_AT_ONCE):
                asked[skip] = asyncio.ensure_future(self._page_at(skip, step))
        try:
            first = await self.client.list_accruals_lazily(keys=_READ_KEYS, top=self.page_size)
            paging = first.page
            if None in (paging.next_link, paging.count, paging.skip) or not paging.top:
                dropped.extend(_cancelled(asked, lambda _: True))
            if paging.next_link is None:
                for accrual in first.accruals:
                    yield accrual
                return
            if paging.count is None or paging.skip is None or not paging.top:
                async for accrual in self.client.iter_accruals(
                    keys=_READ_KEYS, page_size=self.page_size
                ):
                    yield accrual
                return
            step = min(paging.top, MAX_TOP)
            self._last_paging = (paging.count, step)
            offsets = range(paging.skip + step, paging.count, step)
            # Pages asked for by the last listing's figures that this one has not: in vain.
            same_step = remembered is not None and remembered[1] == step
            dropped.extend(_cancelled(asked, lambda skip: not same_step or skip not in offsets))
            pending = iter(offsets)
            order: deque[int] = deque()

            def ask_next() -> None:
                for skip in itertools.islice(pending, 1):
                    if skip not in asked:
                        asked[skip] = asyncio.ensure_future(self._page_at(skip, step))
                    order.append(skip)

            for _ in range(LISTING_PAGES_AT_ONCE):
                ask_next()
            for accrual in first.accruals:
                yield accrual
            last = first
            while order:
                last = await asked.pop(order.popleft())
                ask_next()
                for accrual in last.accruals:
                    yield accrual
        finally:
            # The walk stopped early (an error, or the reader let go), or pages went unread.
            dropped.extend(_cancelled(asked, lambda _: True))
            await asyncio.gather(*dropped, return_exceptions=True)
        while last.page.next_link is not None and last.page.skip is not None:
            following = last.page.skip + step
            last = await self._page_at(following, step)
            walked = 0
            for accrual in last.accruals:
                walked += 1
                yield accrual
            if not walked:  # an empty page still pointing on: nothing more to follow
                return

    async def _page_at(self, skip: int, top: int) -> AccrualItems:
        return await self.client.list_accruals_lazily(keys=_READ_KEYS, skip=skip, top=top)

    # -- discovery ----------------------------------------------------------------------------

    async def check_connection(self) -> ConnectionCheck:
        """One accrual of `GET /api/v1/accruals?$top=1` (HTTP Basic, or the login cookie)."""
        async for _accrual in self.client.iter_accruals(keys=("id",), page_size=1):
            break
        return ConnectionCheck(True, "GET /api/v1/accruals answered")

    async def list_people(self) -> Listing[DirectoryPerson]:
        """The users holding a visible accrual, from `$keys=id_user_properties` [seed]: name
        and email (Journyx shows no employee number there). Users without an accrual have no
        balance to sync and are not listed."""
        people: dict[str, DirectoryPerson] = {}
        async for accrual in self.client.iter_accruals(
            keys=("id_user", "status_code", "id_user_properties"), page_size=self.page_size
        ):
            if accrual.status_code == "h" or accrual.id_user is None:
                continue
            user = accrual.id_user_properties
            name = (
                None
                if user is None
                else " ".join(p for p in (user.first_name, user.last_name) if p)
            )
            people.setdefault(
                accrual.id_user,
                DirectoryPerson(
                    id=accrual.id_user,
                    name=name or None,
                    email=None if user is None else user.email,
                ),
            )
        return Listing(
            tuple(people.values()),
            how="users holding an accrual (GET /api/v1/accruals with $keys=id_user_properties)",
        )

    async def _recent(self, recent: _Recent[_T] | None) -> _T | None:
        """What `recent` (a listing's) holds once it is done, when it started no more than
        `LISTING_REUSE_SECONDS` ago and did not fail: None when the caller must list afresh."""
        if recent is None or self.clock() - recent.at > LISTING_REUSE_SECONDS:
            return None
        try:
            # Shielded: this reader cancelled must not cancel the listing for the others.
            return await asyncio.shield(recent.value)
        except asyncio.CancelledError:
            if recent.value.cancelled() and not _being_cancelled():
                return None
            raise
        except Exception:  # the listing failed: the fresh read says whether that lasts
            return None

    async def list_leave_types(self) -> Listing[LeaveTypeInfo]:
        """The accrual names (`pname`) in use: a balance's leave type id is its accrual name."""
        listing = asyncio.ensure_future(self._accruals())
        at = self.clock()
        self._listed = _Recent(at, listing)
        self._listed_users = _Recent(at, _quiet(asyncio.ensure_future(_users_of(listing))))
        try:
            accruals = await listing
        except BaseException:
            listing.cancel()
            raise
        names = sorted({a.pname for a in accruals if a.pname})
        return Listing(
            tuple(LeaveTypeInfo(name, name, Unit.HOURS) for name in names),
            how="accrual names (pname) of the visible accruals",
        )

    async def list_employee_ids(self) -> list[str]:
        """Every user with a visible accrual, in order: those of a type listing made just
        before (a sync lists the types and then its people), as a read uses its accruals."""
        listed, self._listed_users = self._listed_users, None
        users = await self._recent(listed)
        if users is not None:
            return users
        return _users(await self._accruals())

    async def _find(self, employee_id: str, leave_type_id: str) -> Accrual | None:
        # Quoted per the $filter subset: a ' inside a value is doubled.
        user = employee_id.replace("'", "''")
        name = leave_type_id.replace("'", "''")
        matches = [
            a
            async for a in self.client.iter_accruals(
                filter=f"id_user eq '{user}' and pname eq '{name}'",
                keys=_READ_KEYS,
                page_size=self.page_size,
            )
            if a.status_code != "h"
        ]
        return _single(matches, employee_id, leave_type_id)

    async def read_balances(
        self, employee_ids: Sequence[str], leave_type_ids: Sequence[str], as_of: date
    ) -> list[Balance]:
        """The `hours_left` of every visible accrual of the given users and accrual names,
        as `remaining` in hours, dated the day of the read (accruals carry no date); an empty
        `leave_type_ids` means every accrual name."""
        return [
            balance
            async for page in self.iter_balances(employee_ids, leave_type_ids, as_of)
            for balance in page
        ]

    async def iter_balances(
        self, employee_ids: Sequence[str], leave_type_ids: Sequence[str], as_of: date
    ) -> AsyncIterator[list[Balance]]:
        """`read_balances`, `BALANCE_PAGE` balances at a time (`PagedReads`). The accruals are
        listed (and checked for two of one name) first, kept as `SeenAccrual`s; a page's
        Balances are built only when it is handed over."""
        employees, types = set(employee_ids), set(leave_type_ids)
        fetched_at = datetime.now(UTC)
        found: dict[tuple[str, str], SeenAccrual] = {}
        twice: dict[tuple[str, str], list[SeenAccrual]] = {}
        async for candidate in self._each_accrual(reuse_listing=True):
            user, pname = candidate.id_user, candidate.pname
            if user in employees and pname is not None and (not types or pname in types):
                key = (user, pname)
                if key in found:
                    twice.setdefault(key, [found[key]]).append(candidate.seen)
                else:
                    found[key] = candidate.seen
        for employee_id in employees:
            for pname in types:
                self._seen.pop((employee_id, pname), None)  # gone since an earlier read
        for (employee_id, pname), accruals in twice.items():
            _single(accruals, employee_id, pname)  # raises: two visible accruals of one name
        refs = SharedRefs(self.system)
        page: list[Balance] = []
        for (employee_id, pname), accrual in found.items():
            if accrual.hours_left is None:
                continue
            employee, leave_type = refs.employee(employee_id), refs.leave_type(pname)
            self._seen[(employee.id, leave_type.id)] = accrual
            page.append(
                Balance.build(
                    employee=employee,
                    leave_type=leave_type,
                    unit=Unit.HOURS,
                    remaining=accrual.hours_left,
                    as_of=fetched_at.date(),
                    as_of_basis=AsOfBasis.CURRENT,
                    provenance=Provenance(self.system, accrual.id, fetched_at),
                )
            )
            if len(page) == BALANCE_PAGE:
                yield page
                page = []
        if page:
            yield page

    def _hours(self, intent: WriteIntent) -> Decimal:
        if intent.remaining.unit is not Unit.HOURS:
            raise ValueError(
                f"journyx stores hours; the intent for {intent.employee} / {intent.leave_type} "
                f"is in {intent.remaining.unit.value} (convert with the employee's WorkSchedule)"
            )
        return intent.remaining.value

    def _snapshot(self, intent: WriteIntent, current: Balance | None) -> SeenAccrual | None:
        """The accrual the bulk read that produced `current` listed, if it is the one."""
        if current is None:
            return None
        accrual = self._seen.get((intent.employee.id, intent.leave_type.id))
        if accrual is None or accrual.id != current.provenance.record_id:
            return None
        return accrual

    async def plan_write(self, intent: WriteIntent, current: Balance | None) -> PlannedWrite:
        """set, skip (already equal), or blocked (no accrual, or below the hard threshold).
        Planned from the bulk read that gave `current` (no request); else one filtered GET."""
        value = self._hours(intent)
        after = intent.remaining  # in hours (`_hours`): the row keeps this one, not a copy
        accrual: Accrual | SeenAccrual | None = self._snapshot(intent, current)
        if accrual is None:
            accrual = await self._find(intent.employee.id, intent.leave_type.id)
        if accrual is None or accrual.hours_left is None:
            return PlannedWrite(
                OperationKind.BLOCKED,
                None,
                after,
                f"no accrual {intent.leave_type.id!r} for user {intent.employee.id}; "
                "create it in Journyx with its pay types first",
            )
        before = Quantity(accrual.hours_left, Unit.HOURS)
        if accrual.hours_left == value:
            return PlannedWrite(OperationKind.SKIP, before, after, "already equal")
        if below_hard_threshold(accrual, value) and not intent.allow_below_threshold:
            return PlannedWrite(OperationKind.BLOCKED, before, after, _blocked_note(accrual, value))
        return PlannedWrite(OperationKind.SET, before, after, f"hours_left of accrual {accrual.id}")

    async def apply_write(self, intent: WriteIntent) -> WriteOutcome:
        """PATCH `hours_left`; `WriteBlocked` when there is no accrual or the value is below
        an enforced hard threshold (and that is not allowed).

        The accrual (id and thresholds) comes from the latest bulk read when it listed it, or
        its id from `intent.target_record` (planned elsewhere), and the PATCH is then the only
        request: setting an absolute value twice is harmless, so nothing is read first.
        Otherwise one filtered GET finds it (and skips an equal value)."""
        value = self._hours(intent)
        # A listing from before a write no longer stands for a read.
        self._listed = self._listed_users = None
        seen = self._seen.get((intent.employee.id, intent.leave_type.id))
        if seen is not None and seen.id is not None:
            if below_hard_threshold(seen, value) and not intent.allow_below_threshold:
                raise WriteBlocked(_blocked_note(seen, value))
            return await self._patch(intent, seen.id, value)
        if intent.target_record is not None:
            # Planned in another process from its bulk read, which checked the thresholds.
            return await self._patch(intent, intent.target_record, value)
        accrual = await self._find(intent.employee.id, intent.leave_type.id)
        if accrual is None or accrual.id is None:
            raise WriteBlocked(f"no accrual {intent.leave_type.id!r} for user {intent.employee.id}")
        if accrual.hours_left == value:
            return WriteOutcome(
                OperationKind.SKIP, Quantity(value, Unit.HOURS), "already equal", (accrual.id,)
            )
        if below_hard_threshold(accrual, value) and not intent.allow_below_threshold:
            raise WriteBlocked(_blocked_note(accrual, value))
        return await self._patch(intent, accrual.id, value)

    async def _patch(self, intent: WriteIntent, accrual_id: str, value: Decimal) -> WriteOutcome:
        try:
            updated = await self.client.update_accrual(accrual_id, hours_left=value)
        except NotFoundError as exc:
            self._seen.pop((intent.employee.id, intent.leave_type.id), None)
            raise WriteBlocked(
                f"accrual {accrual_id} ({intent.leave_type.id!r} of user {intent.employee.id}) "
                "no longer exists; plan again"
            ) from exc
        written = updated.hours_left if updated.hours_left is not None else value
        return WriteOutcome(
            OperationKind.SET,
            Quantity(written, Unit.HOURS),
            f"hours_left of accrual {accrual_id}",
            (accrual_id,),
        )

    async def confirm_write(self, intent: WriteIntent) -> Confirmation:
        """APPLIED when the accrual reads back with exactly the intended hours."""
        value = self._hours(intent)
        accrual = await self._find(intent.employee.id, intent.leave_type.id)
        if accrual is not None and accrual.hours_left == value:
            return Confirmation.APPLIED
        return Confirmation.NOT_APPLIED

    async def aclose(self) -> None:
        await self.client.aclose()


_A = TypeVar("_A", Accrual, SeenAccrual)


def _single(accruals: list[_A], employee_id: str, pname: str) -> _A | None:
    if len(accruals) > 1:
        ids = ", ".join(a.id or "?" for a in accruals)
        raise GatewayError(
            f"user {employee_id} has {len(accruals)} visible accruals named {pname!r} ({ids}); "
            "rename or hide all but one"
        )
    return accruals[0] if accruals else None


def _option_step(raw: Any) -> Decimal | None:
    return parse_options(Options, {"step": raw}).step


def build_adapter(config: AdapterConfig) -> JournyxAdapter:
    """A Journyx adapter for `config` (credentials and options: see the module docstring)."""
    username = config.credential("username").reveal()
    common = config.client_options()
    if "api_key" in config.credentials or "password" not in config.credentials:
        client = AsyncClient(
            config.base_url, username=username, api_key=config.credential("api_key"), **common
        )
    else:
        client = AsyncClient(
            config.base_url, username=username, password=config.credential("password"), **common
        )
    page_size = parse_options(Options, config.options).page_size
    return JournyxAdapter(
        config.system,
        client,
        step=_option_step(config.options.get("step")),
        page_size=int(page_size) if page_size is not None else None,
    )


__all__ = ["CREDENTIAL_KEYS", "JournyxAdapter", "Options", "build_adapter"]
