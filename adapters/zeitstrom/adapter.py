"""Zeitstrom <-> canonical balances: a ledger written as deltas, exactly once.

Reading, as of a date: a transaction's `date` is its effective date [seed], so the balance as
of `as_of` nets only the transactions dated on or before it. Per employee and absence type (the
`missing_type`, e.g. "holiday") a canonical `Balance` in days: `entitled` = credited (manual and
rule transactions) on or before `as_of`, `used` = debited (absences) on or before it,
`remaining` = the net, `pending` = absences dated after `as_of` (planned time off, not taken
yet: our reading, so that a target subtracting planned time itself, Kenjo, does not subtract
it twice). Credits dated after `as_of` (next year's entitlement) are not in effect yet and
count nowhere. `as_of` is the date asked for (basis `date`).

Which endpoint answers (the aggregate takes no date filter, ASSUMED, so it nets every date):
1. the aggregate (`balance=true`), and the ledger dated after `as_of` (`daterange`, paged), for
   every employee asked for, read one of three ways (`_Reading`):
   - filtered, for up to `_FILTER_CHUNKS` chunks of 50 employees (200; pipe-separated
     `employee_ids`): two requests per chunk;
   - unfiltered beyond that: the aggregate in one request, the later-dated ledger by
     `daterange` alone, kept to the employees asked for locally. ASSUMED trade: one request
     plus a page per 1,000 later-dated transactions of the whole tenant, where chunks cost
     two requests per 50 employees; a few hundred employees of a much bigger company fetch
     everyone's figures to keep a few, which is why small selections stay filtered. The
     aggregate is not paged (the seed shows `count` and `results` only and documents no
     `limit` for it; the emulator answers every row at once), so unfiltered it is one answer
     of ~130 bytes per pair, and the client refuses an answer over its size cap
     (`max_response_bytes`, 16 MiB: ~125,000 pairs; N = 100,000 x 3 is ~38 MiB);
   - by chunks, when that one answer would pass the cap: the aggregate filtered by chunks of
     as many employees as keep `employee_ids` within `_CHUNK_QUERY_BYTES` (77 UUIDs; a
     request line under 3,200 bytes, see there), concurrently, ids sorted so the rows come
     in the unfiltered answer's order. Decided two ways: beforehand, when the answer for
     those asked for alone (a row per employee and type asked for, `_ROW_BYTES` besides the
     ids) would pass the cap, so that N = 100,000 x 3 never asks the server for an answer
     it cannot take (~1,300 requests instead of one); and afterwards, when the unfiltered
     answer was refused (`ResponseTooLarge`: the tenant is bigger than those asked for),
     which costs that one refused request (up to the cap read and thrown away). Deciding
     only afterwards would waste a ~38 MiB answer at every large run; deciding only from the
     count cannot see the tenant's size, so both are kept. The later-dated ledger stays
     unfiltered in both big readings: it is paged (at most `_LEDGER_PAGE` rows, ~200 KB an
     answer), and one request answers when few transactions are dated later (none at all in
     a ledger booked at the start of the year), where chunks would cost one per chunk; a
     page refused anyway (rows of huge labels) is read again by chunks. A chunk whose answer
     passes the cap is read in halves, down to one employee (whose answer over the cap is
     the error). Left open: a few hundred employees of a tenant too big for one answer still
     page through the whole tenant's later-dated ledger;
2. a pair with no transaction after `as_of`: the aggregate is its balance as of `as_of`
   (pending 0);
3. a pair with transactions after `as_of`: the aggregate cannot answer, and its employee's
   ledger up to `as_of` (`daterange`, paged, 50 employees per request, a chunk whose answer
   passes the cap read in halves) is summed instead.
Writes net the pair's ledger the same way (all its transactions, split by date).

Writing (`WriteKind.LEDGER`): the target remaining balance is reached by a delta.
- Higher: one `manual` transaction crediting the difference, labelled
  `balance-gateway <operation_id>` (ASSUMED label format: our constant prefix, one space, the
  engine's operation id).
  - An operation's first attempt from the engine (`WriteIntent.planned_before` given, in
    days, and the target above it): the credit is `remaining - planned_before`, POSTed alone,
    without reading the ledger. The engine sends each operation id once, after its intent is
    on disk, so no transaction of that operation can exist yet: there is no label to look
    for. ASSUMED: the ledger holds what the plan read. A change made between the plan and the
    write (an absence booked, a credit added by someone) is not seen by that write, and the
    balance ends off the target by that change; verification (the bulk re-read after the
    writes) reports it as not verified, and the next run corrects it.
  - Any other credit (no `planned_before`: a re-attempt of a resolved operation, or a direct
    SDK/adapter user): the adapter first reads the pair's ledger and looks for that label, so
    a retried or resumed operation finds its own earlier transaction and never credits twice
    (`skip`), and the delta is taken from the ledger's net.
- Lower: amounts are >= 0, so a balance can only be lowered by lowering (PUT) or deleting
  manual transactions this project created earlier (found by the label prefix), newest first.
  Nobody else's transaction is ever touched. When those are not enough, the write is
  `blocked` and nothing is written (`WriteBlocked` from `apply_write`). A reduction always
  reads the pair's ledger first (it needs our own transactions' ids and amounts), whatever
  `planned_before` says.
- The ledger reads before a write are shared by the rows written at the same time: one listing
  per group of up to 50 employees (pipe-separated `employee_ids` [seed]), made after each of
  them asked for it.
- Requests: the plan is made from the bulk read (`current`) for a credit or a skip; only a
  reduction reads the ledger (to find our own credits), batched the same way. A run crediting
  N balances of E employees sends its bulk reads (plan and verification), N POSTs, and a
  ledger read only for reductions and for pairs the bulk read did not show.
- Everything is as of `intent.as_of`: the credit is dated `intent.as_of`, and only our own
  credits dated on or before it are lowered (a later one does not change that balance).

Options (`AdapterConfig.options`):
- `step`: a rounding step for amounts in days (e.g. "0.5"); default none (exact days).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import TypeVar

import httpx
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
from balance_gateway.adapters._core.batching import Coalescer
from balance_gateway.adapters._core.concurrency import SharedWhileRunning, gather_limited
from balance_gateway.adapters._core.discovery import (
    ConnectionCheck,
    DirectoryPerson,
    LeaveTypeInfo,
    Listing,
)
from balance_gateway.adapters._core.errors import NotFoundError, ResponseTooLarge
from balance_gateway.adapters._core.options import AdapterOptions, parse_options
from balance_gateway.adapters.zeitstrom.client import AsyncClient
from balance_gateway.adapters.zeitstrom.models import AbsenceTransaction, Source
from balance_gateway.canonical import Balance, Provenance, Quantity, SharedRefs, Unit

CREDENTIAL_KEYS: tuple[tuple[str, ...], ...] = (("token",),)


class Options(AdapterOptions):
    """Zeitstrom's `[systems] options`: `step`, a rounding step for amounts in days."""

    step: Decimal | None = Field(default=None, gt=0)

    @field_validator("step", mode="before")
    @classmethod
    def _exact(cls, value: object) -> object:
        # Through the text: a TOML float 0.1 stays exactly 0.1.
        exact = isinstance(value, float | int) and not isinstance(value, bool)
        return Decimal(str(value)) if exact else value


# ASSUMED label format for every transaction this project creates: prefix + operation id.
LABEL_PREFIX = "balance-gateway "
# Employees per aggregate request: keeps the pipe-joined query well under URL length limits.
_EMPLOYEE_CHUNK = 50
# ASSUMED threshold (module docstring, item 1): more chunks than this, and `read_balances`
# reads the aggregate and the later-dated ledger unfiltered (1 + pages) instead of 2 per chunk.
_FILTER_CHUNKS = 4
# The bulk read's chunks when one unfiltered answer would pass the client's size cap (module
# docstring, item 1): as many employees as keep the percent-encoded, pipe-joined `employee_ids`
# within this many bytes (77 UUIDs). With the path and the other parameters (under 150 bytes)
# the request line stays under 3,200 bytes: below gunicorn's default `limit_request_line`
# (4,094), the tightest default of the servers a Django/DRF API commonly runs behind (uWSGI's
# 4,096-byte header buffer; nginx and Apache allow 8 KiB), and a `next` link, which repeats the
# query with an offset, stays under it too.
_CHUNK_QUERY_BYTES = 3000
# ASSUMED: the bytes of the smallest aggregate row besides its employee id and type,
# `{"employee_id":"","missing_type":"","credited":0.0,"debited":0.0,"balance":0.0},` as DRF's
# compact JSON renders it; used to tell beforehand that an unfiltered answer would be too large.
_ROW_BYTES = 80
# Transactions per page when listing whole ledgers before writes: the documented maximum.
_LEDGER_PAGE = 1000
# ASSUMED ends of an open-ended `daterange` (the filter takes both ends): before and after any
# real ledger entry, and ISO dates with four-digit years as the filter's format demands.
LEDGER_START = date(1900, 1, 1)
LEDGER_END = date(9999, 12, 31)


class _Reading(enum.Enum):
    """How `read_balances` reads its bulk figures (module docstring, item 1)."""

    FILTERED = "filtered"  # up to `_FILTER_CHUNKS` chunks of `_EMPLOYEE_CHUNK`
    UNFILTERED = "unfiltered"  # the tenant's aggregate in one answer, kept to those asked for
    CHUNKED = "chunked"  # the aggregate by `_CHUNK_QUERY_BYTES` chunks: one answer is too large


def _encoded_length(employee_id: str) -> int:
    """Bytes of `employee_id` in a query string, as httpx percent-encodes it."""
    return len(str(httpx.QueryParams({"e": employee_id}))) - len("e=")


_SEPARATOR = _encoded_length("|")


def query_chunks(employee_ids: Sequence[str], budget: int = _CHUNK_QUERY_BYTES) -> list[list[str]]:
    """`employee_ids` in order, cut into chunks whose pipe-joined, percent-encoded text is at
    most `budget` bytes (an id longer than that alone is a chunk of its own)."""
    chunks: list[list[str]] = []
    chunk: list[str] = []
    used = 0
    for employee_id in employee_ids:
        size = _encoded_length(employee_id) + (_SEPARATOR if chunk else 0)
        if chunk and used + size > budget:
            chunks.append(chunk)
            chunk, used, size = [], 0, size - _SEPARATOR
        chunk.append(employee_id)
        used += size
    if chunk:
        chunks.append(chunk)
    return chunks


@dataclass
class _Sums:
    """Days of one employee and absence type: credited and debited on or before `as_of`, and
    debited after it (planned)."""

    credited: Decimal = Decimal(0)
    debited: Decimal = Decimal(0)
    planned: Decimal = Decimal(0)

    def add(self, tx: AbsenceTransaction, as_of: date) -> None:
        if tx.date > as_of:
            if tx.is_debit:
                self.planned += tx.amount
        elif tx.is_debit:
            self.debited += tx.amount
        else:
            self.credited += tx.amount

    def merge(self, other: _Sums) -> None:
        self.credited += other.credited
        self.debited += other.debited
        self.planned += other.planned

    @property
    def net(self) -> Decimal:
        return self.credited - self.debited


def net_as_of(transactions: Iterable[AbsenceTransaction], as_of: date) -> Decimal:
    """The net balance in days of `transactions` (one pair) as of the end of `as_of`."""
    sums = _Sums()
    for tx in transactions:
        sums.add(tx, as_of)
    return sums.net


K = TypeVar("K")
V = TypeVar("V")


# (credited, debited) by (employee, type): what the aggregate says of each pair.
_Figures = dict[tuple[str, str], tuple[Decimal, Decimal]]


def _merged(parts: Iterable[dict[K, V]]) -> dict[K, V]:
    return {key: value for part in parts for key, value in part.items()}


async def _halving(
    read: Callable[[list[str]], Awaitable[dict[K, V]]], chunk: list[str]
) -> dict[K, V]:
    """`read(chunk)`; if its answer passes the size cap, each half of `chunk` read the same
    way, down to one employee (whose answer over the cap is raised)."""
    try:
        return await read(chunk)
    except ResponseTooLarge:
        if len(chunk) == 1:
            raise
    middle = len(chunk) // 2
    return _merged([await _halving(read, chunk[:middle]), await _halving(read, chunk[middle:])])


async def _by_chunks(
    read: Callable[[list[str]], Awaitable[dict[K, V]]], chunks: Sequence[list[str]]
) -> dict[K, V]:
    """`read` of each of `chunks`, concurrently (bounded), merged in chunk order; a chunk whose
    answer passes the size cap is read in halves."""
    return _merged(await gather_limited([partial(_halving, read, c) for c in chunks]))


def label_for(operation_id: str) -> str:
    """The label of the transaction that operation `operation_id` creates."""
    return f"{LABEL_PREFIX}{operation_id}"


def is_own(tx: AbsenceTransaction) -> bool:
    """A manual transaction this project created (and so may lower or delete)."""
    return tx.source == Source.MANUAL.value and tx.label.startswith(LABEL_PREFIX)


def _days(value: Decimal) -> Quantity:
    return Quantity(value, Unit.DAYS)


def _fmt(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


class ZeitstromAdapter:
    """The `BalanceAdapter` for Zeitstrom over its `AsyncClient`."""

    vendor = "zeitstrom"
    capabilities = Capabilities(
        can_read=True, can_write=True, write_kind=WriteKind.LEDGER, lists_every_leave_type=False
    )

    def __init__(self, config: AdapterConfig, client: AsyncClient | None = None) -> None:
        self.system = config.system
        self._config = config
        # A sync reads every balance and lists its people at once: one unfiltered aggregate
        # serves both while it is being read (never an answer read before).
        self._everyone = SharedWhileRunning(partial(self._aggregate_rows, None))
        self._step = parse_options(Options, config.options).step
        self._client = client or AsyncClient(
            config.base_url,
            token=config.credential("token"),
            **config.client_options(),
        )
        self._ledgers: Coalescer[str, list[AbsenceTransaction]] = Coalescer(
            self._employee_ledgers, max_batch=_EMPLOYEE_CHUNK
        )

    def target_unit(self, leave_type_id: str) -> TargetUnit:
        """Days for every absence type; rounded only when the `step` option is set."""
        return TargetUnit(Unit.DAYS, step=self._step)

    # -- reading --------------------------------------------------------------------------------

    def _chunks(self, employee_ids: Sequence[str]) -> list[list[str]]:
        return [
            list(employee_ids[start : start + _EMPLOYEE_CHUNK])
            for start in range(0, len(employee_ids), _EMPLOYEE_CHUNK)
        ]

    async def _aggregate_rows(
        self, chunk: list[str] | None, wanted: Callable[[str, str], bool] | None = None
    ) -> _Figures:
        """(credited, debited) of each aggregate row of `chunk` (None: of everyone) that is
        `wanted` (None: every row), by (employee, type), in the order listed. Each row is kept
        as those two figures as it is reached: the rows' wire models never all live at once."""
        return {
            (row.employee_id, row.missing_type): (row.credited, row.debited)
            async for row in self._client.iter_aggregate_balances(employee_ids=chunk)
            if wanted is None or wanted(row.employee_id, row.missing_type)
        }

    def _reading(self, employee_ids: Sequence[str], leave_type_ids: Sequence[str]) -> _Reading:
        """How to read the bulk figures of `employee_ids` (module docstring, item 1): filtered
        for a few, unfiltered for more, by chunks when the answer for those asked for alone
        (a row per employee and type asked for, `_ROW_BYTES` each besides the ids) would pass
        the client's size cap."""
        if len(employee_ids) <= _FILTER_CHUNKS * _EMPLOYEE_CHUNK:
            return _Reading.FILTERED
        types = max(len(leave_type_ids), 1)
        shortest_type = min((len(t) for t in leave_type_ids), default=1)
        expected = types * sum(len(e) + _ROW_BYTES + shortest_type for e in employee_ids)
        if expected > self._client.max_response_bytes:
            return _Reading.CHUNKED
        return _Reading.UNFILTERED

    async def _aggregate(
        self, employee_ids: Sequence[str], wanted: Callable[[str, str], bool], reading: _Reading
    ) -> _Figures:
        """(credited, debited) of each aggregate row of at least `employee_ids` (more when
        read unfiltered) that is `wanted`, by (employee, type), in the order listed
        (`_aggregate_rows`). An unfiltered answer over the size cap is read again by chunks."""
        if reading is _Reading.UNFILTERED:
            try:
                everyone = await self._everyone()
                if all(wanted(*key) for key in everyone):
                    return everyone  # one dict, not a copy: shared, never changed
                return {key: figures for key, figures in everyone.items() if wanted(*key)}
            except ResponseTooLarge:
                reading = _Reading.CHUNKED  # a tenant larger than those asked for
        # Chunked: sorted ids, so that the chunks' rows come in the unfiltered answer's order.
        chunks = (
            query_chunks(sorted(employee_ids))
            if reading is _Reading.CHUNKED
            else self._chunks(employee_ids)
        )
        return await _by_chunks(partial(self._aggregate_rows, wanted=wanted), chunks)

    async def _ledger_sums(
        self,
        chunk: list[str] | None,
        daterange: tuple[date, date],
        keep: Callable[[str, str], bool],
        as_of: date,
    ) -> dict[tuple[str, str], _Sums]:
        """The sums as of `as_of` of the transactions of `chunk` (None: of everyone) dated in
        `daterange` (inclusive), all pages, of the pairs to `keep`. Kept apart until the last
        page came: a read given up (an answer too large) and read again in halves counts
        nothing twice."""
        found: dict[tuple[str, str], _Sums] = {}
        async for tx in self._client.iter_transactions(
            employee_ids=chunk, daterange=daterange, limit=_LEDGER_PAGE
        ):
            if keep(tx.employee_id, tx.missing_type):
                found.setdefault((tx.employee_id, tx.missing_type), _Sums()).add(tx, as_of)
        return found

    async def _ledger(
        self,
        chunks: Sequence[list[str]],
        daterange: tuple[date, date],
        keep: Callable[[str, str], bool],
        as_of: date,
    ) -> dict[tuple[str, str], _Sums]:
        """`_ledger_sums` of each of `chunks` (`_by_chunks`)."""
        read = partial(self._ledger_sums, daterange=daterange, keep=keep, as_of=as_of)
        return await _by_chunks(read, chunks)

    async def _later(
        self,
        employee_ids: Sequence[str],
        as_of: date,
        wanted: Callable[[str, str], bool],
        reading: _Reading,
    ) -> dict[tuple[str, str], _Sums]:
        """The sums of the `wanted` pairs of `employee_ids` with a transaction dated after
        `as_of`. Read filtered for a few employees, else unfiltered by `daterange` alone
        (pages of `_LEDGER_PAGE`, so an answer stays far under the size cap: module
        docstring, item 1); should a page pass the cap anyway, read again by chunks."""
        if as_of >= LEDGER_END:
            return {}
        later = (as_of + timedelta(days=1), LEDGER_END)
        if reading is _Reading.FILTERED:
            return await self._ledger(self._chunks(employee_ids), later, wanted, as_of)
        try:
            return await self._ledger_sums(None, later, wanted, as_of)
        except ResponseTooLarge:
            return await self._ledger(query_chunks(sorted(employee_ids)), later, wanted, as_of)

    async def read_balances(
        self, employee_ids: Sequence[str], leave_type_ids: Sequence[str], as_of: date
    ) -> list[Balance]:
        """Balances (days) as of the end of `as_of` of the given employees and absence types
        (`missing_type`s); an empty `leave_type_ids` means every type. See the module docstring
        for the figures, for when the aggregate answers and when the ledger does, and for when
        the reads are filtered by employee. Pairs without any transaction are absent."""
        if not employee_ids:
            return []
        ids = list(dict.fromkeys(employee_ids))
        wanted_employees = set(ids)
        wanted_types = set(leave_type_ids)

        def wanted(employee: str, kind: str) -> bool:
            return employee in wanted_employees and (not wanted_types or kind in wanted_types)

        fetched_at = datetime.now(UTC)
        reading = self._reading(ids, leave_type_ids)
        # `dated`: pairs with a transaction after `as_of`; the aggregate (every date) cannot
        # answer them.
        aggregate, dated = await asyncio.gather(
            self._aggregate(ids, wanted, reading), self._later(ids, as_of, wanted, reading)
        )

        if dated:
            # Their ledger up to `as_of`, added to what was dated after it.
            dated_employees = self._chunks(sorted({e for e, _ in dated}))
            earlier = await self._ledger(
                dated_employees, (LEDGER_START, as_of), lambda *key: key in dated, as_of
            )
            for key, sums in earlier.items():
                dated[key].merge(sums)
        balances = []
        refs = SharedRefs(self.system)
        for key, (credited, debited) in aggregate.items():
            if key in dated:
                continue
            balances.append(
                self._balance(refs, key, credited, debited, Decimal(0), as_of, fetched_at)
            )
        for key, sums in sorted(dated.items()):
            balances.append(
                self._balance(
                    refs, key, sums.credited, sums.debited, sums.planned, as_of, fetched_at
                )
            )
        return balances

    # -- discovery ----------------------------------------------------------------------------

    async def check_connection(self) -> ConnectionCheck:
        """The first page of `GET /api/v2/employees/employees/` (the token is checked there)."""
        async for _employee in self._client.iter_employees(limit=1):
            break
        return ConnectionCheck(True, "GET /api/v2/employees/employees/ answered")

    async def list_people(self) -> Listing[DirectoryPerson]:
        """`GET /api/v2/employees/employees/` [docs]: id, name, email and `accounting_number`
        (the personnel number) as the employee number; archived employees are left out."""
        people = [
            DirectoryPerson(
                id=e.id,
                name=" ".join(p for p in (e.first_name, e.last_name) if p) or None,
                email=e.email,
                employee_number=e.accounting_number,
            )
            async for e in self._client.iter_employees(limit=1000)
            if e.archived_at is None
        ]
        return Listing(tuple(people), how="GET /api/v2/employees/employees/ [docs]")

    async def list_leave_types(self) -> Listing[LeaveTypeInfo]:
        """The absence types (`missing_type`) the ledger uses, from the aggregate: the API
        documents no list of absence types, so a type without any transaction is not seen."""
        seen = sorted({row.missing_type async for row in self._client.iter_aggregate_balances()})
        return Listing(
            tuple(LeaveTypeInfo(t, None, Unit.DAYS) for t in seen),
            how=(
                "absence types seen in the ledger (the aggregate endpoint): Zeitstrom documents "
                "no list of absence types, so a type nobody has a transaction for is missing; "
                "find it under its missing_type id (e.g. holiday, sickday) in Zeitstrom's "
                "absence settings"
            ),
            complete=False,
        )

    async def list_employee_ids(self) -> list[str]:
        """Every employee with an absence transaction (the aggregate, unfiltered), in order.

        When that one answer passes the size cap (a tenant of more than ~125,000 pairs), the
        employee directory instead (paged, archived employees left out, as `list_people`):
        one request per 1,000 employees, where telling which of them have a transaction would
        cost the chunked aggregate again (module docstring, item 1). ASSUMED acceptable: the
        plan then shows an unmapped employee without any transaction too (with no value)."""
        try:
            return sorted({employee for employee, _ in await self._everyone()})
        except ResponseTooLarge:
            return sorted(
                {
                    e.id
                    async for e in self._client.iter_employees(limit=_LEDGER_PAGE)
                    if e.archived_at is None
                }
            )

    def _balance(
        self,
        refs: SharedRefs,
        key: tuple[str, str],
        credited: Decimal,
        debited: Decimal,
        planned: Decimal,
        as_of: date,
        fetched_at: datetime,
    ) -> Balance:
        employee_id, missing_type = key
        return Balance.build(
            employee=refs.employee(employee_id),
            leave_type=refs.leave_type(missing_type),
            unit=Unit.DAYS,
            entitled=credited,
            used=debited,
            remaining=credited - debited,
            pending=planned,
            as_of=as_of,
            provenance=Provenance(
                system=self.system,
                record_id=f"{employee_id}/{missing_type}",
                fetched_at=fetched_at,
            ),
        )

    async def _employee_ledgers(
        self, employee_ids: Sequence[str]
    ) -> dict[str, list[AbsenceTransaction]]:
        """Every transaction of each of `employee_ids`, any date and source: one listing
        (pipe-separated `employee_ids` [seed], largest pages [docs]) for them all."""
        found: dict[str, list[AbsenceTransaction]] = {e: [] for e in employee_ids}
        async for tx in self._client.iter_transactions(
            employee_ids=list(employee_ids), limit=_LEDGER_PAGE
        ):
            if tx.employee_id in found:
                found[tx.employee_id].append(tx)
        return found

    async def _pair_ledger(self, employee_id: str, missing_type: str) -> list[AbsenceTransaction]:
        """Every transaction of the pair, any date and source, oldest first (by date, then as
        listed): what the net as of any date and our own manual credits are taken from.
        Read afresh for each call; the rows being planned or written at the same time share
        one listing per employee group (`Coalescer`)."""
        ledger = await self._ledgers.get(employee_id)
        found = [tx for tx in ledger if tx.missing_type == missing_type]
        return sorted(found, key=lambda tx: tx.date)

    @staticmethod
    def _own_until(ledger: Iterable[AbsenceTransaction], as_of: date) -> list[AbsenceTransaction]:
        """Our own manual credits in effect on `as_of` (the only ones lowering can use)."""
        return [tx for tx in ledger if is_own(tx) and tx.date <= as_of]

    @staticmethod
    def _target(intent: WriteIntent) -> Decimal:
        if intent.remaining.unit is not Unit.DAYS:
            raise ValueError(
                f"Zeitstrom stores days; operation {intent.operation_id} asks for "
                f"{intent.remaining} (convert to target_unit() first)"
            )
        return intent.remaining.value

    # -- writing --------------------------------------------------------------------------------

    @staticmethod
    def _blocked_reason(need: Decimal, own: Decimal) -> str:
        return (
            f"would need to remove {_fmt(need)} days, but only {_fmt(own)} days of our own "
            "manual credits exist; other transactions are never touched"
        )

    async def plan_write(self, intent: WriteIntent, current: Balance | None) -> PlannedWrite:
        """credit (target above the net), skip (equal), reduce (below, and our own manual
        credits cover the difference) or blocked (below, and they do not). Writes nothing."""
        target = self._target(intent)
        employee, kind = intent.employee.id, intent.leave_type.id
        ledger: list[AbsenceTransaction] | None = None
        if current is not None and current.remaining is not None and current.unit is Unit.DAYS:
            net = current.remaining
        else:
            ledger = await self._pair_ledger(employee, kind)
            net = net_as_of(ledger, intent.as_of)
        delta = target - net
        before, after = _days(net), _days(target)
        if delta > 0:
            label = label_for(intent.operation_id)
            note = f"credit {_fmt(delta)} days as a manual transaction '{label}'"
            return PlannedWrite(OperationKind.CREDIT, before, after, note)
        if delta == 0:
            return PlannedWrite(OperationKind.SKIP, before, after, "already at the target")
        if ledger is None:
            ledger = await self._pair_ledger(employee, kind)
        own = sum((tx.amount for tx in self._own_until(ledger, intent.as_of)), Decimal(0))
        if own >= -delta:
            note = f"lower our own manual credits by {_fmt(-delta)} days (of {_fmt(own)})"
            return PlannedWrite(OperationKind.REDUCE, before, after, note)
        return PlannedWrite(OperationKind.BLOCKED, before, None, self._blocked_reason(-delta, own))

    async def apply_write(self, intent: WriteIntent) -> WriteOutcome:
        """Bring the net balance to `intent.remaining` (days).

        A credit on an operation's first attempt (`intent.planned_before` given in days, and
        the target above it) is POSTed alone: `remaining - planned_before` days, with no read
        (no transaction of this operation can exist yet, and the ledger is taken to hold what
        the plan read: see the module docstring). Otherwise reads the pair's ledger afresh (one
        listing, shared by the rows written at the same time): reports `skip` if this
        operation's own transaction (label) exists, else nets the ledger as of `intent.as_of`
        and credits or lowers the difference. Raises `WriteBlocked` (nothing written) when our
        own manual credits cannot cover a reduction, and `WriteOutcomeUnknown` when a create
        was sent without an answer: resolve that with `confirm_write`, never by creating
        again."""
        target = self._target(intent)
        employee, kind = intent.employee.id, intent.leave_type.id
        label = label_for(intent.operation_id)
        planned = intent.planned_before
        if (
            intent.first_attempt
            and planned is not None
            and planned.unit is Unit.DAYS
            and target > planned.value
        ):
            return await self._credit(intent, target - planned.value, target)
        ledger = await self._pair_ledger(employee, kind)
        net = net_as_of(ledger, intent.as_of)
        mine = [tx for tx in ledger if tx.source == Source.MANUAL.value and tx.label == label]
        if mine:
            return WriteOutcome(
                OperationKind.SKIP,
                _days(net),
                f"already applied: transaction {mine[0].id} is labelled '{label}'",
                tuple(tx.id for tx in mine),
            )
        delta = target - net
        if delta == 0:
            return WriteOutcome(OperationKind.SKIP, _days(net), "already at the target")
        if delta > 0:
            return await self._credit(intent, delta, target)
        return await self._reduce(intent, self._own_until(ledger, intent.as_of), -delta, target)

    async def _credit(self, intent: WriteIntent, delta: Decimal, target: Decimal) -> WriteOutcome:
        """One manual transaction of `delta` days, dated `intent.as_of`, labelled with the
        operation id."""
        created = await self._client.create_transaction(
            employee_id=intent.employee.id,
            missing_type=intent.leave_type.id,
            date=intent.as_of,
            amount=delta,
            label=label_for(intent.operation_id),
        )
        return WriteOutcome(
            OperationKind.CREDIT,
            _days(target),
            f"credited {_fmt(delta)} days",
            (created.id,),
        )

    async def _reduce(
        self, intent: WriteIntent, own: list[AbsenceTransaction], need: Decimal, target: Decimal
    ) -> WriteOutcome:
        available = sum((tx.amount for tx in own), Decimal(0))
        if available < need:
            raise WriteBlocked(self._blocked_reason(need, available))
        touched: list[str] = []
        left = need
        # Newest first: the latest credits are the ones a lower target most likely undoes.
        for tx in reversed(own):
            if left <= 0:
                break
            if tx.amount <= left:
                # Gone already is fine (e.g. a retried DELETE whose first answer was lost).
                with contextlib.suppress(NotFoundError):
                    await self._client.delete_transaction(tx.id)
                left -= tx.amount
            else:
                await self._client.update_transaction(
                    tx.id,
                    employee_id=tx.employee_id,
                    missing_type=tx.missing_type,
                    date=tx.date,
                    amount=tx.amount - left,
                    label=tx.label,
                )
                left = Decimal(0)
            touched.append(tx.id)
        return WriteOutcome(
            OperationKind.REDUCE,
            _days(target),
            f"lowered our own manual credits by {_fmt(need)} days",
            tuple(touched),
        )

    async def confirm_write(self, intent: WriteIntent) -> Confirmation:
        """APPLIED when this operation's labelled transaction exists (a credit) or the net
        balance as of `intent.as_of` equals the target (a reduce or skip); NOT_APPLIED
        otherwise. Never writes."""
        target = self._target(intent)
        employee, kind = intent.employee.id, intent.leave_type.id
        label = label_for(intent.operation_id)
        ledger = await self._pair_ledger(employee, kind)
        if any(tx.source == Source.MANUAL.value and tx.label == label for tx in ledger):
            return Confirmation.APPLIED
        if net_as_of(ledger, intent.as_of) == target:
            return Confirmation.APPLIED
        return Confirmation.NOT_APPLIED

    async def aclose(self) -> None:
        await self._client.aclose()


def build_adapter(config: AdapterConfig) -> ZeitstromAdapter:
    """The Zeitstrom adapter for `config` (credential `token`; option `step`)."""
    return ZeitstromAdapter(config)
