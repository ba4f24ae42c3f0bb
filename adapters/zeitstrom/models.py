"""Zeitstrom wire models: absence transactions, their pages, and the aggregate balances.

Field names are exactly the documented ones. Amounts are days, as `Decimal` (the wire carries
JSON numbers such as `30.0`; pydantic converts them through `str`, so 0.1 is Decimal("0.1")).
Ids are opaque strings when read back (the documentation's own example ids are not hex).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from balance_gateway.adapters._core.models import WireModel

R = TypeVar("R")


class Source(StrEnum):
    """How a transaction was created [seed]; read-only on the wire (the server sets it)."""

    MANUAL = "manual"
    ABSENCE = "absence"
    ONE_TIME_RULE = "one-time-rule"
    REPEATING_RULE = "repeating-rule"


class QuoteMode(StrEnum):
    """The list filter `quote_mode` [seed]: all (default), quota or no-quota.

    ASSUMED: `quota` keeps transactions of absence types that count against a quota (e.g.
    holiday), `no-quota` the others.
    """

    ALL = "all"
    QUOTA = "quota"
    NO_QUOTA = "no-quota"


# ASSUMED sign convention: `absence` transactions debit (days taken), every other source credits.
DEBIT_SOURCES = frozenset({Source.ABSENCE.value})


class AbsenceTransaction(WireModel):
    """One ledger entry [seed]. `amount` is days, always >= 0; whether it credits or debits the
    balance follows from `source` (ASSUMED: `absence` debits, the other sources credit)."""

    id: str
    employee_id: str
    label: str
    missing_type: str
    date: dt.date
    amount: Decimal
    source: str

    @property
    def is_debit(self) -> bool:
        """True for a transaction that takes days off the balance (an `absence`)."""
        return self.source in DEBIT_SOURCES

    @property
    def signed_amount(self) -> Decimal:
        """The transaction's effect on the net balance, in days."""
        return -self.amount if self.is_debit else self.amount


class DRFPage(WireModel, Generic[R]):
    """One page of a Django REST Framework list [docs]: `count` is the total over all pages;
    `next` and `previous` are absolute URLs or null."""

    count: int
    next: str | None = None
    previous: str | None = None
    results: list[R]


class AbsenceTransactionPage(DRFPage[AbsenceTransaction]):
    """One page of the transaction list [seed/docs] (the seed example shows only count and
    results)."""


class Employee(WireModel):
    """One employee of `GET /api/v2/employees/employees/` [docs]: the fields a mapping needs
    are declared (`accounting_number` is the personnel number); the rest are kept as extras."""

    id: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    accounting_number: str | None = None
    external_id: str | None = None
    archived_at: str | None = None


class EmployeePage(DRFPage[Employee]):
    """One page of the employee list [docs]."""


class BalanceAggregate(WireModel):
    """One row of `aggregate/?balance=true`: the net balance of one employee and absence type.

    ASSUMED shape (the aggregate body is undocumented): `credited` is the sum of the crediting
    sources (manual, one-time-rule, repeating-rule), `debited` the sum of `absence`
    transactions, and `balance` = credited - debited, all in days over every date.
    """

    employee_id: str
    missing_type: str
    credited: Decimal
    debited: Decimal
    balance: Decimal


class SourceTotals(WireModel):
    """Gross days per source (ASSUMED shape, see `TotalsAggregate`). Two source names are not
    Python identifiers, hence the aliases."""

    manual: Decimal
    absence: Decimal
    one_time_rule: Decimal = Field(alias="one-time-rule")
    repeating_rule: Decimal = Field(alias="repeating-rule")


class TotalsAggregate(WireModel):
    """One row of `aggregate/?balance=false`: gross totals of one employee and absence type.

    ASSUMED shape: `{"employee_id", "missing_type", "totals": {"manual", "absence",
    "one-time-rule", "repeating-rule"}}`, every total a non-negative number of days.
    """

    employee_id: str
    missing_type: str
    totals: SourceTotals


class BalanceAggregateList(WireModel):
    """`aggregate/?balance=true` (ASSUMED shape): `{"count", "results": [BalanceAggregate]}`,
    one row per employee and absence type that has transactions; not paginated."""

    count: int
    results: list[BalanceAggregate]


class TotalsAggregateList(WireModel):
    """`aggregate/?balance=false` (ASSUMED shape): `{"count", "results": [TotalsAggregate]}`."""

    count: int
    results: list[TotalsAggregate]


class TransactionWrite(BaseModel):
    """The body of a create (POST) or full update (PUT) [seed]. `source` is not part of it:
    the server sets it (`manual` for everything created through the API)."""

    model_config = ConfigDict(extra="forbid")

    employee_id: str
    label: str | None = None
    missing_type: str
    date: dt.date
    amount: Decimal

    def to_json(self) -> dict[str, Any]:
        """The JSON body: the date as `YYYY-MM-DD`, the amount as a JSON number (as the seed
        sends `5.0`); the SDK has already checked the number survives that exactly."""
        body: dict[str, Any] = {
            "employee_id": self.employee_id,
            "missing_type": self.missing_type,
            "date": self.date.isoformat(),
            "amount": float(self.amount),
        }
        if self.label is not None:
            body["label"] = self.label
        return body
