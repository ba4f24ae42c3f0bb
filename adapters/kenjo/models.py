"""Kenjo wire models: field names exactly as Kenjo documents them.

Unknown fields are kept (`extra="allow"`) so a field Kenjo adds breaks nothing and stays
visible. Quantities are `Decimal` (pydantic converts a wire float through its repr, as
`Decimal(str(x))` would), dates are `datetime.date`, ids are opaque `str` (formats are checked
only on requests).
Python names differ from the wire only where the wire name is not an identifier (`_id`,
`from`, `X-Expires-After`).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import Field, field_validator

from balance_gateway.adapters._core.models import WireModel

__all__ = [
    "Employee",
    "EmployeeList",
    "ErrorBody",
    "LoginResponse",
    "PageMetadata",
    "SetBalanceRequest",
    "TimeOffBalance",
    "TimeOffRequest",
    "TimeOffRequestPage",
]


class LoginResponse(WireModel):
    """`POST /api/v1/auth/login`: `token` already carries the `Bearer ` prefix [docs]."""

    token: str
    expires_after: datetime = Field(alias="X-Expires-After")


class ErrorBody(WireModel):
    """Kenjo's error body [docs for 400; ASSUMED the same for 401/403/404]."""

    code: int
    message: str


class Employee(WireModel):
    """One entry of `GET /api/v1/employees` [docs: `_id`; the other fields ASSUMED]."""

    id: str = Field(alias="_id")
    email: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    displayName: str | None = None
    isActive: bool | None = None


class EmployeeList(WireModel):
    """`GET /api/v1/employees`: `{"data": [...]}` [docs], not paginated."""

    data: list[Employee]


class TimeOffRequest(WireModel):
    """One time-off request; field names as in Kenjo's create-request body [docs], plus `_id`
    and `status` (ASSUMED for the list)."""

    id: str = Field(alias="_id")
    userId: str = Field(alias="_userId")
    timeOffTypeId: str = Field(alias="_timeOffTypeId")
    from_: date = Field(alias="from")
    to: date
    status: str | None = None
    partOfDayFrom: str | None = None
    partOfDayTo: str | None = None
    description: str | None = None

    @field_validator("from_", "to", mode="before")
    @classmethod
    def _date_part(cls, value: Any) -> Any:
        # ASSUMED: Kenjo may send an ISO datetime (`2025-02-03T00:00:00.000Z`); the day is what
        # counts.
        if isinstance(value, str) and len(value) > 10 and value[10] == "T":
            return value[:10]
        return value


class PageMetadata(WireModel):
    """`metadata` of a paged list [docs]: `offset` is the page number (1-based), `limit` the
    page size, `count` the items on this page and `total` all matching items (ASSUMED)."""

    count: int
    offset: int
    limit: int
    total: int


class TimeOffRequestPage(WireModel):
    """One page of `GET /api/v1/time-off/requests`."""

    data: list[TimeOffRequest]
    metadata: PageMetadata

    def next_offset(self) -> int | None:
        """The page number after this one, or None on the last page."""
        meta = self.metadata
        if not self.data or meta.limit <= 0:
            return None
        return meta.offset + 1 if meta.offset * meta.limit < meta.total else None


class SetBalanceRequest(WireModel):
    """Body of `PUT /api/v1/time-off/set-balance/{timeOffTypeId}/{employeeId}` [seed]:
    `balance` (required, the remaining days or hours, may be negative) and an optional
    `description` (at most 1000 characters)."""

    balance: Decimal
    description: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON body: `balance` as a JSON number, `description` only when given."""
        number = self.balance
        body: dict[str, Any] = {
            "balance": int(number) if number == number.to_integral_value() else float(number)
        }
        if self.description is not None:
            body["description"] = self.description
        return body


class TimeOffBalance(WireModel):
    """The answer to a set-balance.

    ASSUMED: Kenjo documents no response body. We expect the new state of the balance; every
    field is optional so that a different (or empty) body never turns a successful write into
    an error. Figures are in the type's `unit` (days or hours): `balance` is the remaining
    balance that was set, `totalAllowance = balance + taken`, `available = balance - planned`.
    """

    timeOffTypeId: str | None = None
    employeeId: str | None = None
    balance: Decimal | None = None
    totalAllowance: Decimal | None = None
    taken: Decimal | None = None
    planned: Decimal | None = None
    available: Decimal | None = None
    unit: str | None = None
