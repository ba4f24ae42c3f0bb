"""The Zeitstrom SDK: absence transactions (a ledger of day credits and debits) and their
aggregated balances.

    client = Client(token="...")                       # Authorization: Token <key>
    for tx in client.iter_transactions(employee_ids=["a1b2..."], daterange=(start, end)):
        ...
    client.create_transaction(employee_id=..., label=..., missing_type="holiday",
                              date=date(2024, 1, 1), amount=Decimal("5"))

`_ZeitstromBase` holds the pure logic (checks, request building, page cursors); `Client` and
`AsyncClient` are thin loops over it. Every check runs before a request is built, so a refused
call sends nothing and raises `RequestValidationError` naming the field.

A create (POST) is not idempotent: it adds days every time it lands. The client never resends
a POST whose fate is unknown; it raises `WriteOutcomeUnknown`, and the caller must read back
(e.g. look for the transaction by its label) before trying again.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, NotRequired, TypedDict, TypeVar, Unpack

import httpx
import pydantic

from balance_gateway.adapters._core.auth import StaticTokenAuth
from balance_gateway.adapters._core.client import (
    AsyncAPIClient,
    BaseClient,
    ClientOptions,
    SyncAPIClient,
)
from balance_gateway.adapters._core.errors import RequestValidationError
from balance_gateway.adapters._core.operations import Call, Pages, operation, paginated
from balance_gateway.adapters._core.pagination import Page
from balance_gateway.adapters._core.secrets import Secret
from balance_gateway.adapters._core.validation import (
    check_choice,
    check_date,
    check_date_range,
    check_int,
    check_json_number,
    check_number,
    check_pattern,
)
from balance_gateway.adapters.zeitstrom.models import (
    AbsenceTransaction,
    AbsenceTransactionPage,
    BalanceAggregate,
    BalanceAggregateList,
    DRFPage,
    Employee,
    EmployeePage,
    QuoteMode,
    Source,
    TotalsAggregateList,
    TransactionWrite,
)

T = TypeVar("T", bound=pydantic.BaseModel)
DEFAULT_BASE_URL = "https://api.zeitstrom.com"
TRANSACTIONS_PATH = "/api/v2/timestamps/absence-transactions/"
AGGREGATE_PATH = TRANSACTIONS_PATH + "aggregate/"
EMPLOYEES_PATH = "/api/v2/employees/employees/"  # [docs]
# [docs] limit/offset pagination: limit defaults to 100, at most 1000.
MAX_LIMIT = 1000

# Ids are opaque; a path segment only must not break out of its place in the URL.
_PATH_ID = re.compile(r"^[^/?#%\s]+$")
_LIST_ID = re.compile(r"^[^|\s]+$")

QueryValue = str | int | None
DateLike = date | str
Amount = Decimal | int | float | str


class TransactionFilters(TypedDict, total=False):
    """Which transactions a list answers, every filter optional: `employee_ids` a list (sent
    pipe-joined), `daterange` a (start, end) pair of dates, both inclusive and start <= end,
    `sources` a list of `Source`s, `quote_mode` all|quota|no-quota, `limit` (the page size)
    1..1000."""

    employee_ids: Sequence[str] | str | None
    daterange: Sequence[DateLike] | None
    sources: Sequence[Source | str] | Source | str | None
    quote_mode: QuoteMode | str | None
    limit: int | None


class TransactionFields(TypedDict):
    """A transaction as written (a create, or a full replace): `amount` days (>= 0) of
    `missing_type` for `employee_id`, dated `date`, with an optional `label`."""

    employee_id: str
    missing_type: str
    date: DateLike
    amount: Amount
    label: NotRequired[str | None]


def _check_text(field: str, value: object, *, required: bool = True) -> str:
    if not isinstance(value, str):
        raise RequestValidationError(field, f"must be a string, got {type(value).__name__}")
    if required and not value.strip():
        raise RequestValidationError(field, "must not be empty")
    return value


def _check_employee_ids(value: object) -> str:
    """A list of employee ids, pipe-joined [seed]; one id given as a plain string is accepted."""
    ids = [value] if isinstance(value, str) else value
    if not isinstance(ids, Sequence) or not ids:
        raise RequestValidationError("employee_ids", "must be a non-empty list of employee ids")
    checked = [
        check_pattern(
            f"employee_ids[{i}]", item, _LIST_ID, "an employee id without '|' or whitespace"
        )
        for i, item in enumerate(ids)
    ]
    return "|".join(checked)


def _check_daterange(value: object) -> str:
    """Two dates, start <= end, as `YYYY-MM-DD|YYYY-MM-DD` [seed]; both ends inclusive."""
    if isinstance(value, str) or not isinstance(value, Sequence) or len(value) != 2:
        raise RequestValidationError(
            "daterange", f"must be a pair of dates (start, end), got {value!r}"
        )
    start = check_date("daterange", value[0])
    end = check_date("daterange", value[1])
    check_date_range("daterange", start, end)
    return f"{start.isoformat()}|{end.isoformat()}"


def _check_sources(value: object) -> str:
    """Sources as a comma-separated list. ASSUMED: the seed names the parameter `sources` and
    its values but not how several are joined; comma is the django-filter convention."""
    items = [value] if isinstance(value, str | Source) else value
    if not isinstance(items, Sequence) or not items:
        raise RequestValidationError("sources", "must be a non-empty list of sources")
    allowed = {s.value for s in Source}
    return ",".join(check_choice("sources", item, allowed) for item in items)


def _check_amount(value: object) -> Decimal:
    """Days, finite and >= 0 [seed], representable exactly as a JSON number."""
    amount = check_number("amount", value)
    if amount < 0:
        raise RequestValidationError(
            "amount",
            f"must be greater than or equal to 0, got {amount}; a transaction only credits "
            "days: lower a balance by lowering or deleting a manual transaction",
        )
    # The wire carries every amount as a float (the seed sends 5.0): refuse what a double
    # cannot hold, whole numbers included.
    return check_json_number("amount", amount, whole_as_int=False)


def check_transaction_id(value: object) -> str:
    """A transaction id to put in a path: any opaque string that stays one path segment."""
    return check_pattern(
        "transaction_id", value, _PATH_ID, "a transaction id (no '/', '?', '#', '%', whitespace)"
    )


def _next_cursor(page: DRFPage[Any]) -> Hashable | None:
    """The query of the next page, from the `next` link.

    Only the link's query is used; the request goes to this client's own base URL and list path,
    so a `next` link naming another host never receives the token.
    """
    if page.next is None:
        return None
    params = httpx.URL(page.next).params
    return tuple(sorted(params.multi_items()))


class _ZeitstromBase:
    """Pure logic shared by `Client` and `AsyncClient`: nothing here does I/O."""

    vendor = "zeitstrom"

    @staticmethod
    def _list_params(
        *,
        employee_ids: Sequence[str] | str | None = None,
        daterange: Sequence[DateLike] | None = None,
        sources: Sequence[Source | str] | Source | str | None = None,
        quote_mode: QuoteMode | str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> dict[str, QueryValue]:
        params: dict[str, QueryValue] = {}
        if employee_ids is not None:
            params["employee_ids"] = _check_employee_ids(employee_ids)
        if daterange is not None:
            params["daterange"] = _check_daterange(daterange)
        if sources is not None:
            params["sources"] = _check_sources(sources)
        if quote_mode is not None:
            params["quote_mode"] = check_choice(
                "quote_mode", quote_mode, {m.value for m in QuoteMode}
            )
        if limit is not None:
            params["limit"] = check_int("limit", limit, minimum=1, maximum=MAX_LIMIT)
        if offset is not None:
            params["offset"] = check_int("offset", offset, minimum=0)
        return params

    @staticmethod
    def _page_params(
        first: dict[str, QueryValue], cursor: Hashable | None
    ) -> dict[str, QueryValue]:
        if cursor is None:
            return first
        assert isinstance(cursor, tuple)
        return dict(cursor)

    @staticmethod
    def _employee_params(limit: int | None) -> dict[str, QueryValue]:
        if limit is None:
            return {}
        return {"limit": check_int("limit", limit, minimum=1, maximum=MAX_LIMIT)}

    @staticmethod
    def _aggregate_params(
        employee_ids: Sequence[str] | str | None, balance: bool
    ) -> dict[str, QueryValue]:
        params: dict[str, QueryValue] = {"balance": "true" if balance else "false"}
        if employee_ids is not None:
            params = {"employee_ids": _check_employee_ids(employee_ids), **params}
        return params

    @staticmethod
    def _write_body(
        *,
        employee_id: str,
        missing_type: str,
        date: DateLike,
        amount: Amount,
        label: str | None = None,
    ) -> dict[str, Any]:
        body = TransactionWrite(
            employee_id=check_pattern(
                "employee_id", employee_id, _LIST_ID, "an employee id (no '|' or whitespace)"
            ),
            label=None if label is None else _check_text("label", label, required=False),
            missing_type=_check_text("missing_type", missing_type),
            date=check_date("date", date),
            amount=_check_amount(amount),
        )
        return body.to_json()

    @staticmethod
    def _transaction_path(transaction_id: str) -> str:
        return f"{TRANSACTIONS_PATH}{check_transaction_id(transaction_id)}/"


def _auth(token: str | Secret | None) -> StaticTokenAuth:
    if token is None or not (token.reveal() if isinstance(token, Secret) else token):
        raise RequestValidationError(
            "token", "is required: pass the Zeitstrom API token (sent as `Authorization: Token`)"
        )
    return StaticTokenAuth(token, scheme="Token")


class _ZeitstromOperations(_ZeitstromBase, BaseClient):
    """Every Zeitstrom operation, described once (`operations`): `Client` sends them
    blocking, `AsyncClient` awaits them. Amounts are days as `Decimal`.

    Raises `RequestValidationError` (nothing sent) for a broken documented constraint, the
    `APIStatusError` subclasses for error answers (`AuthenticationError` 401,
    `PermissionDeniedError` 403, `NotFoundError` 404, `ValidationError` 400 with DRF's
    `{"field": ["..."]}` in `.body`), and `WriteOutcomeUnknown` for a create whose fate is unknown.
    """

    def __init__(
        self,
        base_url: str | httpx.URL = DEFAULT_BASE_URL,
        *,
        token: str | Secret | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(
            base_url=base_url,
            auth=_auth(token),
            **options,
        )

    @operation
    def list_transactions(
        self, *, offset: int | None = None, **filters: Unpack[TransactionFilters]
    ) -> Call[AbsenceTransactionPage]:
        """One page of absence transactions, from `offset` (>= 0) on; the filters are
        `TransactionFilters`."""
        params = self._list_params(offset=offset, **filters)
        return Call(
            "GET", TRANSACTIONS_PATH, params=params, parse=self.expect(AbsenceTransactionPage)
        )

    @paginated
    def iter_transactions(self, **filters: Unpack[TransactionFilters]) -> Pages[AbsenceTransaction]:
        """Every matching transaction (the filters are `TransactionFilters`), walking the `next`
        links lazily. Raises `PaginationError` if the server links a page twice."""
        first = self._list_params(**filters)
        return self._drf_pages(TRANSACTIONS_PATH, first, AbsenceTransactionPage, AbsenceTransaction)

    @paginated
    def iter_employees(self, *, limit: int | None = None) -> Pages[Employee]:
        """Every employee (`GET /api/v2/employees/employees/` [docs]), archived ones included
        (`archived_at` set), walking the `next` links lazily."""
        return self._drf_pages(EMPLOYEES_PATH, self._employee_params(limit), EmployeePage, Employee)

    @operation
    def create_transaction(self, **fields: Unpack[TransactionFields]) -> Call[AbsenceTransaction]:
        """Credit `amount` days (>= 0) as a `manual` transaction; returns it as created.

        Not idempotent: raises `WriteOutcomeUnknown` when the request was sent but no answer
        came back; read back (e.g. by `label`) before creating again."""
        body = self._write_body(**fields)
        return Call("POST", TRANSACTIONS_PATH, json=body, parse=self.expect(AbsenceTransaction))

    @operation
    def update_transaction(
        self, transaction_id: str, **fields: Unpack[TransactionFields]
    ) -> Call[AbsenceTransaction]:
        """Replace a transaction (PUT, full body). Only `manual` transactions can be changed:
        others answer `PermissionDeniedError` (403, ASSUMED)."""
        body = self._write_body(**fields)
        path = self._transaction_path(transaction_id)
        return Call("PUT", path, json=body, parse=self.expect(AbsenceTransaction))

    @operation
    def delete_transaction(self, transaction_id: str) -> Call[None]:
        """Delete a `manual` transaction (204). Others answer `PermissionDeniedError` (403,
        ASSUMED); an unknown id `NotFoundError`."""
        return Call("DELETE", self._transaction_path(transaction_id), parse=lambda _response: None)

    @operation
    def aggregate_balances(
        self, *, employee_ids: Sequence[str] | str | None = None
    ) -> Call[BalanceAggregateList]:
        """Net balance in days per employee and absence type (`aggregate/?balance=true`):
        credited (manual and rule transactions) - debited (absences). ASSUMED body shape."""
        params = self._aggregate_params(employee_ids, balance=True)
        return Call("GET", AGGREGATE_PATH, params=params, parse=self.expect(BalanceAggregateList))

    @operation
    def aggregate_totals(
        self, *, employee_ids: Sequence[str] | str | None = None
    ) -> Call[TotalsAggregateList]:
        """Gross days per source, per employee and absence type (`aggregate/?balance=false`).
        ASSUMED body shape."""
        params = self._aggregate_params(employee_ids, balance=False)
        return Call("GET", AGGREGATE_PATH, params=params, parse=self.expect(TotalsAggregateList))

    @paginated
    def iter_aggregate_balances(
        self, *, employee_ids: Sequence[str] | str | None = None
    ) -> Pages[BalanceAggregate]:
        """The rows of `aggregate_balances` (one request: the aggregate is not paged), each
        validated as the loop reaches it, so that a long answer never holds every row's wire
        model at once. Raises `ResponseParseError` at a row that is not a `BalanceAggregate`."""
        params = self._aggregate_params(employee_ids, balance=True)

        def page(cursor: Hashable | None) -> Call[Page[BalanceAggregate]]:
            def parse(response: httpx.Response) -> Page[BalanceAggregate]:
                _, rows = self.parse_items(response, BalanceAggregateList, BalanceAggregate)
                return Page(rows)

            return Call("GET", AGGREGATE_PATH, params=params, parse=parse)

        return Pages(page)

    def _drf_pages(
        self, path: str, first: dict[str, QueryValue], model: type[DRFPage[T]], item: type[T]
    ) -> Pages[T]:
        """A DRF list walked by its `next` links (only their query is used: see
        `_next_cursor`), each item validated (an `item`) as the walk reaches it."""

        def page(cursor: Hashable | None) -> Call[Page[T]]:
            def parse(response: httpx.Response) -> Page[T]:
                found, items = self.parse_items(response, model, item)
                return Page(items, _next_cursor(found))

            return Call("GET", path, params=self._page_params(first, cursor), parse=parse)

        return Pages(page)


class Client(_ZeitstromOperations, SyncAPIClient):
    """Blocking Zeitstrom client (every operation: see `_ZeitstromOperations`)."""


class AsyncClient(_ZeitstromOperations, AsyncAPIClient):
    """Asyncio Zeitstrom client: the same operations, awaited; the iterators are async."""
