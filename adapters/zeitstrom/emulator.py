"""An in-memory Zeitstrom: employees, absence types and the absence-transactions ledger.

Faithful to the seed where it speaks (paths, filters, fields, `amount >= 0`, only manual
transactions deletable) and Django-REST-Framework-like where it is silent, every such choice
marked ASSUMED:

- Auth: `Authorization: Token <key>`; 401 `{"detail": "Authentication credentials were not
  provided."}` without one, `{"detail": "Invalid token."}` for an unknown key [docs: DRF].
- Errors: `{"detail": "..."}` for 401/403/404/405, `{"field": ["..."]}` for validation (400).
- Sign (ASSUMED, DIALECTS.md): `absence` debits, `manual`/`one-time-rule`/`repeating-rule`
  credit; the net balance is credits - debits.
- The aggregate body (ASSUMED, undocumented), one row per employee and absence type with
  transactions, sorted by employee then type, not paginated:
      balance=true:  {"count": n, "results": [{"employee_id", "missing_type",
                      "credited", "debited", "balance"}]}
      balance=false: {"count": n, "results": [{"employee_id", "missing_type",
                      "totals": {"manual", "absence", "one-time-rule", "repeating-rule"}}]}
- Amounts are stored as Decimal and rendered as JSON numbers (`30.0`), as the seed shows.
- Amounts are checked like DRF's `DecimalField(max_digits=12, decimal_places=6, min_value=0)`
  (ASSUMED bounds, see `AMOUNT_MAX_DIGITS`): at most 999999.999999 days, so every amount, and
  every sum the aggregate renders, is a finite JSON number. A body that breaks them is a 400
  before anything is stored.
"""

from __future__ import annotations

import datetime as dt
import uuid
from bisect import insort
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, PrivateAttr
from starlette.exceptions import HTTPException as StarletteHTTPException

from balance_gateway.adapters._emulator.base import (
    EmulatedBalance,
    Emulator,
    EmulatorOptions,
)
from balance_gateway.adapters._emulator.bodies import parse_json
from balance_gateway.adapters._emulator.openapi import Operation, declare
from balance_gateway.adapters.zeitstrom.client import (
    AGGREGATE_PATH,
    EMPLOYEES_PATH,
    MAX_LIMIT,
    TRANSACTIONS_PATH,
)
from balance_gateway.adapters.zeitstrom.models import (
    DEBIT_SOURCES,
    AbsenceTransaction,
    AbsenceTransactionPage,
    BalanceAggregateList,
    EmployeePage,
    Source,
    TotalsAggregateList,
    TransactionWrite,
)

# ASSUMED: the amount column, as a DRF DecimalField / Django DecimalField would declare it. The
# seed shows one decimal (30.0) and says only "days, >= 0"; six places carry any fraction of a
# day the gateway sends (0.0625 = 30 min of an 8 h day) and twelve digits allow up to
# 999999.999999 days, far beyond any real ledger entry, while any sum of them stays a finite
# double. The same bounds hold for states loaded through the admin API.
AMOUNT_MAX_DIGITS = 12
AMOUNT_DECIMAL_PLACES = 6
# [docs: DRF] DecimalField refuses longer strings before parsing them.
MAX_NUMBER_STRING = 1000

# [docs] LimitOffsetPagination: default 100, at most 1000.
DEFAULT_LIMIT = 100

NO_CREDENTIALS = "Authentication credentials were not provided."
INVALID_TOKEN = "Invalid token."
NOT_FOUND = "Not found."
REQUIRED = "This field is required."
# ASSUMED: 403 (DRF's permission-denied status) for changing a transaction a rule or an
# absence created; the seed says only manual ones can be deleted, not with which status.
NOT_MANUAL = 'Only transactions with source "manual" can be changed or deleted.'


class Employee(BaseModel):
    """An employee; `email` and `accounting_number` (the personnel number) as the employee
    list shows them [docs]. `first_name`/`last_name` are `name` split at its first space
    unless given."""

    id: str
    name: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    accounting_number: str | None = None

    def wire(self) -> dict[str, Any]:
        first, _, last = self.name.partition(" ")
        return {
            "id": self.id,
            "first_name": self.first_name if self.first_name is not None else first,
            "last_name": self.last_name if self.last_name is not None else last,
            "email": self.email,
            "accounting_number": self.accounting_number,
            "archived_at": None,
        }


class AbsenceType(BaseModel):
    """An absence type; `has_quota` (ASSUMED) says whether it counts against a quota, which is
    what the list filter `quote_mode=quota|no-quota` selects on."""

    missing_type: str
    name: str
    has_quota: bool


class Transaction(BaseModel):
    id: str
    employee_id: str
    label: str = ""
    missing_type: str
    date: dt.date
    amount: Decimal = Field(
        ge=0, max_digits=AMOUNT_MAX_DIGITS, decimal_places=AMOUNT_DECIMAL_PLACES
    )
    source: Source

    def wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "employee_id": self.employee_id,
            "label": self.label,
            "missing_type": self.missing_type,
            "date": self.date.isoformat(),
            "amount": _number(self.amount),
            "source": self.source.value,
        }


@dataclass
class LedgerIndex:
    """What a filtered request needs without scanning the tenant: each employee's transactions
    (with their creation position, in creation order) and the set of employee ids.

    Built from the state's lists and kept in step by `ZeitstromState`'s mutation methods; it
    remembers which list objects it was built from and their lengths, so that a list replaced
    or grown or shrunk behind its back (a test appending to `state.transactions`, a state
    loaded anew) is noticed and the index rebuilt (`ZeitstromState.index`). Replacing an item
    in place (`state.transactions[i] = tx`) is not noticed: use `replace_transaction`."""

    transactions: list[Transaction]
    employees: list[Employee]
    # Lengths of the two lists as the index last saw them.
    transaction_count: int
    employee_count: int
    # employee id -> (creation position, transaction), ascending by position.
    by_employee: dict[str, list[tuple[int, Transaction]]] = field(default_factory=dict)
    employee_ids: set[str] = field(default_factory=set)
    next_position: int = 0

    @classmethod
    def build(cls, state: ZeitstromState) -> LedgerIndex:
        index = cls(
            state.transactions,
            state.employees,
            len(state.transactions),
            len(state.employees),
            employee_ids={e.id for e in state.employees},
            next_position=len(state.transactions),
        )
        for position, tx in enumerate(state.transactions):
            index.by_employee.setdefault(tx.employee_id, []).append((position, tx))
        return index

    def fresh(self, state: ZeitstromState) -> bool:
        return (
            self.transactions is state.transactions
            and self.employees is state.employees
            and self.transaction_count == len(state.transactions)
            and self.employee_count == len(state.employees)
        )

    def of(self, employee_ids: Iterable[str]) -> list[Transaction]:
        """The transactions of `employee_ids`, in creation order (as a scan of the whole
        ledger would meet them)."""
        found = [entry for e in set(employee_ids) for entry in self.by_employee.get(e, ())]
        found.sort(key=lambda entry: entry[0])
        return [tx for _, tx in found]

    def position(self, tx: Transaction) -> int:
        return next(p for p, t in self.by_employee[tx.employee_id] if t is tx)

    def insert(self, position: int, tx: Transaction) -> None:
        insort(self.by_employee.setdefault(tx.employee_id, []), (position, tx), key=_position)

    def discard(self, tx: Transaction) -> None:
        entries = self.by_employee[tx.employee_id]
        entries[:] = [entry for entry in entries if entry[1] is not tx]
        if not entries:
            del self.by_employee[tx.employee_id]


def _position(entry: tuple[int, Transaction]) -> int:
    return entry[0]


class ZeitstromState(BaseModel):
    """One tenant's data. Transactions are kept in creation order.

    The emulator changes the ledger and the employees only through the methods below, which
    keep the `LedgerIndex` in step; a filtered request reads through `index()`, so it costs
    its own employees' transactions, not the tenant's."""

    employees: list[Employee] = Field(default_factory=list)
    absence_types: list[AbsenceType] = Field(default_factory=list)
    transactions: list[Transaction] = Field(default_factory=list)
    _index: LedgerIndex | None = PrivateAttr(default=None)

    def index(self) -> LedgerIndex:
        """The index of the current lists (rebuilt if they changed behind its back)."""
        index = self._index
        if index is None or not index.fresh(self):
            index = self._index = LedgerIndex.build(self)
        return index

    def add_employee(self, employee: Employee) -> None:
        index = self.index()
        self.employees.append(employee)
        index.employee_ids.add(employee.id)
        index.employee_count += 1

    def add_transaction(self, tx: Transaction) -> None:
        """Append `tx` (the newest transaction)."""
        index = self.index()
        self.transactions.append(tx)
        index.insert(index.next_position, tx)
        index.next_position += 1
        index.transaction_count += 1

    def replace_transaction(self, old: Transaction, new: Transaction) -> None:
        """`new` in `old`'s place (its creation position kept), as a PUT replaces it."""
        index = self.index()
        position = index.position(old)
        self.transactions[self.transactions.index(old)] = new
        index.discard(old)
        index.insert(position, new)

    def remove_transaction(self, tx: Transaction) -> None:
        index = self.index()
        self.transactions.remove(tx)
        index.discard(tx)
        index.transaction_count -= 1


class DRFError(Exception):
    """An error answer in Zeitstrom's (DRF's) style."""

    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body
        super().__init__(status)


def _number(value: Decimal) -> float:
    # The seed renders amounts as JSON numbers (30.0); storage stays Decimal. Amounts are
    # bounded (AMOUNT_MAX_DIGITS), so this and every sum of them is a finite double.
    return float(value)


# The seed's example ids, kept verbatim (ids are opaque: these are not hex).
ANNA = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
JONAS = "b2c3d4e5-f6a7-4890-9bcd-ef1234567891"


def sample_transactions() -> list[Transaction]:
    def tx(
        id_: str, employee: str, label: str, kind: str, day: str, amount: str, source: Source
    ) -> Transaction:
        return Transaction(
            id=id_,
            employee_id=employee,
            label=label,
            missing_type=kind,
            date=dt.date.fromisoformat(day),
            amount=Decimal(amount),
            source=source,
        )

    return [
        # [seed] the list example's two transactions, verbatim.
        tx(
            "t1t1t1t1-t2t2-t3t3-t4t4-t5t5t5t5t5t5", ANNA, "Annual vacation entitlement 2024",
            "holiday", "2024-01-01", "30.0", Source.REPEATING_RULE,
        ),
        tx(
            "t2t2t2t2-t3t3-t4t4-t5t5-t6t6t6t6t6t6", ANNA, "Summer vacation",
            "holiday", "2024-06-10", "5.0", Source.ABSENCE,
        ),
        # ASSUMED: the seed's list answer says count 3 but shows two results; this is the third.
        tx(
            "t3t3t3t3-t4t4-t5t5-t6t6-t7t7t7t7t7t7", ANNA, "Autumn break",
            "holiday", "2024-10-14", "3.0", Source.ABSENCE,
        ),
        # Outside the seed's daterange, and a no-quota type: the filters have something to drop.
        tx(
            "5e1f0c2a-7b3d-4c8e-9a6f-2d4b8c0e1f3a", ANNA, "Flu",
            "sickness", "2025-02-03", "2.0", Source.ABSENCE,
        ),
        # Jonas: 25 + 2 - 7 = 20 days of holiday left.
        tx(
            "8c9d0e1f-2a3b-4c5d-8e7f-9a0b1c2d3e4f", JONAS, "Annual vacation entitlement 2024",
            "holiday", "2024-01-01", "25.0", Source.REPEATING_RULE,
        ),
        tx(
            "0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d", JONAS, "Seniority bonus",
            "holiday", "2024-03-01", "2.0", Source.ONE_TIME_RULE,
        ),
        tx(
            "3f4e5d6c-7b8a-4968-8574-635241302f1e", JONAS, "Family trip",
            "holiday", "2024-08-05", "7.0", Source.ABSENCE,
        ),
    ]  # fmt: skip


def sample_dataset() -> ZeitstromState:
    """Two employees (the seed's, and one more), holiday and sickness, and the seed's
    transactions: Anna's holiday net is 30 - 5 - 3 = 22 days, Jonas's 25 + 2 - 7 = 20."""
    return ZeitstromState(
        employees=[
            Employee(
                id=ANNA, name="Anna Becker", email="anna.becker@example.com", accounting_number="1"
            ),
            Employee(
                id=JONAS, name="Jonas Weber", email="jonas.weber@example.com", accounting_number="2"
            ),
        ],
        absence_types=[
            AbsenceType(missing_type="holiday", name="Urlaub", has_quota=True),
            AbsenceType(missing_type="sickness", name="Krankheit", has_quota=False),
        ],
        transactions=sample_transactions(),
    )


# -- pure helpers: query parsing, validation, arithmetic ----------------------------------------


def _choice_error(value: str) -> str:
    return f"Select a valid choice. {value} is not one of the available choices."


def parse_daterange(raw: str) -> tuple[dt.date, dt.date]:
    """`YYYY-MM-DD|YYYY-MM-DD`, start <= end; DRFError 400 otherwise (ASSUMED message)."""
    message = "Enter a valid date range: YYYY-MM-DD|YYYY-MM-DD, start on or before end."
    parts = raw.split("|")
    try:
        if len(parts) != 2 or any(len(p) != 10 for p in parts):
            raise ValueError(raw)
        start, end = (dt.date.fromisoformat(p) for p in parts)
    except ValueError:
        raise DRFError(400, {"daterange": [message]}) from None
    if start > end:
        raise DRFError(400, {"daterange": [message]})
    return start, end


def parse_sources(raw: str) -> set[str]:
    """Comma-separated sources (ASSUMED separator); an unknown one is a 400."""
    allowed = {s.value for s in Source}
    wanted = {part.strip() for part in raw.split(",") if part.strip()}
    bad = sorted(wanted - allowed)
    if bad:
        raise DRFError(400, {"sources": [_choice_error(b) for b in bad]})
    return wanted


def parse_positive(raw: str | None, default: int, *, cutoff: int | None = None) -> int:
    """DRF's LimitOffsetPagination leniency (ASSUMED to match): a value that is not a positive
    integer falls back to the default, and a limit above the maximum is cut to it."""
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        return default
    if value <= 0:
        return default
    return min(value, cutoff) if cutoff is not None else value


def parse_offset(raw: str | None) -> int:
    if raw is None:
        return 0
    try:
        value = int(raw)
    except ValueError:
        return 0
    return max(0, value)


def validate_write(payload: Any, employees: set[str], missing_types: set[str]) -> dict[str, Any]:
    """Check a create/update body like a DRF serializer: every problem at once, per field.

    ASSUMED: employee_id, missing_type, date and amount are required (the seed marks only
    employee_id, but a transaction without the others means nothing); label is optional.
    `id` and `source` are read-only and ignored.
    """
    if not isinstance(payload, dict):
        kind = "list" if isinstance(payload, list) else type(payload).__name__
        raise DRFError(
            400, {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]}
        )
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}

    def text(field: str) -> str | None:
        value = payload.get(field)
        if value is None:
            errors[field] = [REQUIRED if field not in payload else "This field may not be null."]
            return None
        if not isinstance(value, str):
            errors[field] = ["Not a valid string."]
            return None
        if not value:
            errors[field] = ["This field may not be blank."]
            return None
        return value

    employee = text("employee_id")
    if employee is not None:
        if employee in employees:
            clean["employee_id"] = employee
        else:
            errors["employee_id"] = [f'Invalid pk "{employee}" - object does not exist.']
    missing_type = text("missing_type")
    if missing_type is not None:
        if missing_type in missing_types:
            clean["missing_type"] = missing_type
        else:
            errors["missing_type"] = [f'"{missing_type}" is not a valid choice.']
    label = payload.get("label", "")
    if label is None or not isinstance(label, str):
        errors["label"] = ["Not a valid string."]
    else:
        clean["label"] = label
    day = text("date")
    if day is not None:
        try:
            if len(day) != 10:
                raise ValueError(day)
            clean["date"] = dt.date.fromisoformat(day)
        except ValueError:
            errors["date"] = [
                "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
            ]
    if "amount" not in payload or payload["amount"] is None:
        errors["amount"] = [REQUIRED if "amount" not in payload else "This field may not be null."]
    else:
        problem, amount = check_amount(payload["amount"])
        if problem is not None:
            errors["amount"] = [problem]
        else:
            clean["amount"] = amount
    if errors:
        raise DRFError(400, errors)
    return clean


def check_amount(raw: Any) -> tuple[str | None, Decimal]:
    """(problem, amount): `raw` checked as DRF's DecimalField(max_digits=12, decimal_places=6,
    min_value=0) checks it, with DRF's messages; `problem` is None when it is valid.

    Trailing zeros of a fraction (`30.000`) do not count, as pydantic does not count them for
    the stored model: whatever passes here can be stored."""
    if isinstance(raw, bool) or not isinstance(raw, Decimal | int | str):
        return "A valid number is required.", Decimal(0)
    text = str(raw).strip()
    if len(text) > MAX_NUMBER_STRING:
        return "String value too large.", Decimal(0)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return "A valid number is required.", Decimal(0)
    if not amount.is_finite():
        return "A valid number is required.", Decimal(0)
    if amount < 0:
        return "Ensure this value is greater than or equal to 0.", Decimal(0)
    _sign, digit_tuple, exponent = amount.as_tuple()
    assert isinstance(exponent, int)  # finite
    digits = list(digit_tuple)
    while len(digits) > 1 and digits[-1] == 0 and exponent < 0:  # 30.000 counts as 30
        digits.pop()
        exponent += 1
    if amount == 0:
        whole = places = 0
    else:
        places = max(0, -exponent)
        whole = max(0, len(digits) + exponent)
    if whole + places > AMOUNT_MAX_DIGITS:
        return f"Ensure that there are no more than {AMOUNT_MAX_DIGITS} digits in total.", amount
    if places > AMOUNT_DECIMAL_PLACES:
        return (
            f"Ensure that there are no more than {AMOUNT_DECIMAL_PLACES} decimal places.",
            amount,
        )
    whole_limit = AMOUNT_MAX_DIGITS - AMOUNT_DECIMAL_PLACES
    if whole > whole_limit:
        return (
            f"Ensure that there are no more than {whole_limit} digits before the decimal point.",
            amount,
        )
    return None, amount


def aggregate_rows(transactions: Iterable[Transaction], *, balance: bool) -> list[dict[str, Any]]:
    """The aggregate's rows of `transactions` (ASSUMED shape, see the module docstring)."""
    totals: dict[tuple[str, str], dict[str, Decimal]] = {}
    for tx in transactions:
        per_source = totals.setdefault(
            (tx.employee_id, tx.missing_type), {s.value: Decimal(0) for s in Source}
        )
        per_source[tx.source.value] += tx.amount
    rows: list[dict[str, Any]] = []
    for (employee, kind), per_source in sorted(totals.items()):
        if balance:
            debited = sum((v for s, v in per_source.items() if s in DEBIT_SOURCES), Decimal(0))
            credited = sum((v for s, v in per_source.items() if s not in DEBIT_SOURCES), Decimal(0))
            rows.append(
                {
                    "employee_id": employee,
                    "missing_type": kind,
                    "credited": _number(credited),
                    "debited": _number(debited),
                    "balance": _number(credited - debited),
                }
            )
        else:
            rows.append(
                {
                    "employee_id": employee,
                    "missing_type": kind,
                    "totals": {s: _number(v) for s, v in per_source.items()},
                }
            )
    return rows


def _employee_filter(raw: str | None) -> set[str] | None:
    if raw is None:
        return None
    ids = {part for part in raw.split("|") if part}
    return ids or None


_Item = TypeVar("_Item")


def _drf_page(
    request: Request,
    items: Sequence[_Item],
    limit: str | None,
    offset: str | None,
    render: Callable[[_Item], Any] = lambda item: item,
) -> dict[str, Any]:
    """One page of `items` in DRF's limit/offset shape, with absolute `next`/`previous`; only
    the page's items are `render`ed (a tenant's whole ledger, rendered for every page, made
    reading it page by page quadratic)."""
    size = parse_positive(limit, DEFAULT_LIMIT, cutoff=MAX_LIMIT)
    start = parse_offset(offset)
    url = request.url
    following = start + size
    next_url = (
        str(url.include_query_params(limit=size, offset=following))
        if following < len(items)
        else None
    )
    if start <= 0:
        previous_url = None
    elif start - size <= 0:
        previous_url = str(url.include_query_params(limit=size).remove_query_params("offset"))
    else:
        previous_url = str(url.include_query_params(limit=size, offset=start - size))
    return {
        "count": len(items),
        "next": next_url,
        "previous": previous_url,
        "results": [render(item) for item in items[start:following]],
    }


class ZeitstromEmulator(Emulator[ZeitstromState]):
    """Zeitstrom's absence-transactions API over in-memory state, one state per tenant."""

    vendor = "zeitstrom"
    title = "Zeitstrom"

    @classmethod
    def state_model(cls) -> type[ZeitstromState]:
        return ZeitstromState

    def sample_state(self) -> ZeitstromState:
        return sample_dataset()

    def error_body(self, status: int, message: str) -> Any:
        return {"detail": message}

    def credentials_text(self) -> list[str]:
        return [f"token: {self.token}", f"send it as the header  Authorization: Token {self.token}"]

    # -- request helpers ------------------------------------------------------------------------

    def _tenant(self, request: Request) -> ZeitstromState:
        header = request.headers.get("authorization")
        if not header:
            raise DRFError(401, {"detail": NO_CREDENTIALS})
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "token":
            # DRF's TokenAuthentication ignores other schemes: as if no credentials came.
            raise DRFError(401, {"detail": NO_CREDENTIALS})
        key = key.strip()
        if not key or " " in key:
            raise DRFError(401, {"detail": "Invalid token header. No credentials provided."})
        tenant = self.tenant_for(key)
        if tenant is None:
            raise DRFError(401, {"detail": INVALID_TOKEN})
        return self.state_for(tenant)

    def unreadable_body_message(self, reason: str) -> str:
        return f"JSON parse error - {reason}"  # DRF's ParseError

    @staticmethod
    async def _json_body(request: Request) -> Any:
        """The JSON body (`{}` when empty), numbers as Decimal; an unreadable one is a 400."""
        raw = await request.body()
        return parse_json(raw, parse_float=Decimal) if raw else {}

    @staticmethod
    def _find(state: ZeitstromState, transaction_id: str) -> Transaction:
        for tx in state.transactions:
            if tx.id == transaction_id:
                return tx
        raise DRFError(404, {"detail": NOT_FOUND})

    @staticmethod
    def _manual_only(tx: Transaction) -> None:
        if tx.source is not Source.MANUAL:
            raise DRFError(403, {"detail": NOT_MANUAL})

    # -- routes ---------------------------------------------------------------------------------

    def balances(self, state: ZeitstromState, as_of: dt.date) -> list[EmulatedBalance]:
        """Per employee and absence type, the ledger as of `as_of` [seed: `date` is the
        effective date]: credits dated on or before it are entitled, absences on or before it
        used, later absences pending (planned time off); later credits are not in effect yet.
        ASSUMED sign rule: `absence` debits, every other source credits."""
        sums: dict[tuple[str, str], dict[str, Decimal]] = {}
        for tx in state.transactions:
            figures = sums.setdefault(
                (tx.employee_id, tx.missing_type),
                {"entitled": Decimal(0), "used": Decimal(0), "pending": Decimal(0)},
            )
            if tx.source.value in DEBIT_SOURCES:
                figures["used" if tx.date <= as_of else "pending"] += tx.amount
            elif tx.date <= as_of:
                figures["entitled"] += tx.amount
        return [
            EmulatedBalance(
                employee=employee,
                leave_type=kind,
                unit="days",
                remaining=f["entitled"] - f["used"],
                entitled=f["entitled"],
                used=f["used"],
                pending=f["pending"],
            )
            for (employee, kind), f in sums.items()
        ]

    def add_routes(self, app: FastAPI) -> None:
        declare(app, OPENAPI, (BalanceAggregateList, TotalsAggregateList))

        @app.exception_handler(DRFError)
        async def drf_error(request: Request, exc: DRFError) -> JSONResponse:
            headers = {"WWW-Authenticate": 'Token realm="api"'} if exc.status == 401 else None
            return JSONResponse(exc.body, status_code=exc.status, headers=headers)

        @app.exception_handler(RequestValidationError)
        async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
            errors: dict[str, list[str]] = {}
            for error in exc.errors():
                field = str(error["loc"][-1]) if error.get("loc") else "non_field_errors"
                errors.setdefault(field, []).append(str(error.get("msg", "Invalid value.")))
            return JSONResponse(errors, status_code=400)

        @app.exception_handler(StarletteHTTPException)
        async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
            if exc.status_code == 404:
                detail = NOT_FOUND
            elif exc.status_code == 405:
                detail = f'Method "{request.method}" not allowed.'
            else:
                detail = str(exc.detail)
            return JSONResponse({"detail": detail}, status_code=exc.status_code)

        @app.get(TRANSACTIONS_PATH, summary="List all transactions")
        async def list_transactions(
            request: Request,
            employee_ids: str | None = Query(None, description="pipe-separated employee ids"),
            daterange: str | None = Query(None, description="YYYY-MM-DD|YYYY-MM-DD"),
            sources: str | None = Query(None, description="comma-separated (ASSUMED)"),
            quote_mode: str | None = Query(None, description="all | quota | no-quota"),
            limit: str | None = Query(None, description=f"default 100, at most {MAX_LIMIT}"),
            offset: str | None = Query(None),
        ) -> JSONResponse:
            state = self._tenant(request)
            employees = _employee_filter(employee_ids)
            window = parse_daterange(daterange) if daterange else None
            wanted = parse_sources(sources) if sources else None
            mode = quote_mode or "all"
            if mode not in {"all", "quota", "no-quota"}:
                raise DRFError(400, {"quote_mode": [_choice_error(mode)]})
            quota_types = {t.missing_type for t in state.absence_types if t.has_quota}
            # Filtered by employee: only theirs are looked at (the index), in creation order.
            scope = state.transactions if employees is None else state.index().of(employees)
            matches = [
                tx
                for tx in scope
                if (window is None or window[0] <= tx.date <= window[1])
                and (wanted is None or tx.source.value in wanted)
                and (mode == "all" or (mode == "quota") == (tx.missing_type in quota_types))
            ]
            # ASSUMED order: by date, then creation order (the seed's example is in date order).
            matches.sort(key=lambda tx: tx.date)
            return JSONResponse(_drf_page(request, matches, limit, offset, render=Transaction.wire))

        @app.get(EMPLOYEES_PATH, summary="List all employees")
        async def list_employees(
            request: Request,
            limit: str | None = Query(None, description=f"default 100, at most {MAX_LIMIT}"),
            offset: str | None = Query(None),
        ) -> JSONResponse:
            """The organisation's employees [docs], in stored order (ASSUMED)."""
            state = self._tenant(request)
            page = _drf_page(request, state.employees, limit, offset, render=Employee.wire)
            return JSONResponse(page)

        @app.post(TRANSACTIONS_PATH, status_code=201, summary="Create a transaction")
        async def create_transaction(request: Request) -> JSONResponse:
            state = self._tenant(request)
            payload = await self._json_body(request)
            # No await below: the change is atomic on the event loop.
            clean = validate_write(
                payload,
                state.index().employee_ids,
                {t.missing_type for t in state.absence_types},
            )
            tx = Transaction(id=str(uuid.uuid4()), source=Source.MANUAL, **clean)
            # Rendered before it is stored: an answer that failed would leave nothing behind.
            answer = JSONResponse(tx.wire(), status_code=201)
            state.add_transaction(tx)
            # ASSUMED: 201 with the created transaction (DRF's CreateModelMixin).
            return answer

        @app.get(AGGREGATE_PATH, summary="Aggregate balances")
        async def aggregate(
            request: Request,
            employee_ids: str | None = Query(None, description="pipe-separated employee ids"),
            balance: str | None = Query(None, description="true: net balance; false: gross"),
        ) -> JSONResponse:
            state = self._tenant(request)
            flag = (balance or "false").lower()
            # DRF's BooleanField spellings; ASSUMED default false (gross totals).
            if flag in {"true", "1", "yes", "on"}:
                net = True
            elif flag in {"false", "0", "no", "off"}:
                net = False
            else:
                raise DRFError(400, {"balance": ["Must be a valid boolean."]})
            employees = _employee_filter(employee_ids)
            scope = state.transactions if employees is None else state.index().of(employees)
            rows = aggregate_rows(scope, balance=net)
            return JSONResponse({"count": len(rows), "results": rows})

        @app.put(TRANSACTIONS_PATH + "{transaction_id}/", summary="Update a transaction")
        async def update_transaction(transaction_id: str, request: Request) -> JSONResponse:
            state = self._tenant(request)
            payload = await self._json_body(request)
            tx = self._find(state, transaction_id)
            self._manual_only(tx)
            clean = validate_write(
                payload,
                state.index().employee_ids,
                {t.missing_type for t in state.absence_types},
            )
            # Validated again as a whole (model_copy would not), and rendered before stored.
            updated = Transaction.model_validate({**tx.model_dump(), **clean})
            answer = JSONResponse(updated.wire())
            state.replace_transaction(tx, updated)
            return answer

        @app.delete(TRANSACTIONS_PATH + "{transaction_id}/", summary="Delete a transaction")
        async def delete_transaction(transaction_id: str, request: Request) -> Response:
            state = self._tenant(request)
            tx = self._find(state, transaction_id)
            self._manual_only(tx)
            state.remove_transaction(tx)
            return Response(status_code=204)


_ONE = TRANSACTIONS_PATH + "{transaction_id}/"
_SEED_TX = "t1t1t1t1-t2t2-t3t3-t4t4-t5t5t5t5t5t5"  # [seed] a rule transaction: 403 to change
# The answers as the SDK parses them (adapters/zeitstrom/models.py) [seed; the aggregate's
# shapes are ASSUMED]; the write body is the seed's transaction without `source`.
OPENAPI = {
    ("GET", TRANSACTIONS_PATH): Operation({200: AbsenceTransactionPage}),
    ("POST", TRANSACTIONS_PATH): Operation({201: AbsenceTransaction}, request=TransactionWrite),
    ("GET", AGGREGATE_PATH): Operation(
        {
            200: {
                "anyOf": [
                    {"$ref": "#/components/schemas/BalanceAggregateList"},
                    {"$ref": "#/components/schemas/TotalsAggregateList"},
                ]
            }
        }
    ),
    ("PUT", _ONE): Operation(
        {200: AbsenceTransaction}, request=TransactionWrite, examples={"transaction_id": _SEED_TX}
    ),
    ("DELETE", _ONE): Operation({204: None}, examples={"transaction_id": _SEED_TX}),
    ("GET", EMPLOYEES_PATH): Operation({200: EmployeePage}),
}


def build_emulator(options: EmulatorOptions) -> ZeitstromEmulator:
    """A fresh Zeitstrom emulator (the `balance-gateway emulate zeitstrom` entry point)."""
    return ZeitstromEmulator(options)
