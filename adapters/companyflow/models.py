"""CompanyFlow wire models (pydantic v2), field names exactly as CompanyFlow documents them.

Every successful response is an envelope `{"success": true, "data": ...}`; errors are
`{"success": false, "error": "..."}`. The `*Response` models are those envelopes; the client
unwraps them and returns `data`. Quantities are days with one decimal place, as `Decimal`.

Sources: the seed (`GET /leave-balance/{leave_type_id}`), the vendor's public docs (check
balance, employee balances, leave types, login), and assumptions marked `ASSUMED` below.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Generic, TypeVar

from pydantic import SecretStr

from balance_gateway.adapters._core.models import WireModel

D = TypeVar("D")


class LeaveType(WireModel):
    """A leave type as embedded in a balance [seed] and listed per company [docs].

    `days_allowed` is the base yearly allocation in days.
    """

    id: str
    name: str
    code: str
    days_allowed: Decimal
    is_paid: bool
    color_code: str


class LeaveBalance(WireModel):
    """One employee's balance for one leave type and year [seed]. All figures are days.

    `total_days` = `days_allowed` + `carried_forward_days`;
    `available_days` = `total_days` - `used_days` - `pending_days`.
    """

    id: str
    employee_id: str
    leave_type_id: str
    year: int
    total_days: Decimal
    used_days: Decimal
    pending_days: Decimal
    available_days: Decimal
    carried_forward_days: Decimal
    leave_type: LeaveType
    created_at: datetime
    updated_at: datetime


class Pagination(WireModel):
    """Page-number pagination of a list [docs: page, pageSize; ASSUMED: this object's shape]."""

    page: int
    pageSize: int
    total: int
    totalPages: int

    def next_page(self) -> int | None:
        """The page after this one, or None on the last page."""
        return self.page + 1 if self.page < self.totalPages else None


class EmployeeRecord(WireModel):
    """One employee of `GET /companies/{company_id}/employees` [docs]; the fields a mapping
    needs are declared, the rest (phone, department, dates...) are kept as extras."""

    id: str
    company_id: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    employee_code: str | None = None
    status: str | None = None


class EmployeePagination(WireModel):
    """The employee list's pagination [docs]: `page`, `page_size`, `total_items`,
    `total_pages` (unlike the leave types' `pageSize`/`totalPages`)."""

    page: int
    page_size: int
    total_items: int
    total_pages: int

    def next_page(self) -> int | None:
        return self.page + 1 if self.page < self.total_pages else None


class EmployeeListData(WireModel):
    employees: list[EmployeeRecord]
    pagination: EmployeePagination


class EmployeePage(WireModel):
    """`GET /companies/{company_id}/employees?page=&page_size=` [docs]: roles super_admin and
    hr_manager; `{"success": true, "data": {"employees": [...], "pagination": {...}}}`."""

    success: bool
    data: EmployeeListData


class LoginUser(WireModel):
    """The user a login answers with. ASSUMED: the docs do not show this object."""

    id: str
    email: str
    first_name: str
    last_name: str
    role: str
    company_id: str


class LoginData(WireModel):
    """A login grant: a JWT valid `expires_in` seconds (24 h [docs]). ASSUMED: this shape.

    `token` is a `SecretStr`: it never shows in a repr or a log; `token.get_secret_value()`
    reveals it.
    """

    token: SecretStr
    expires_in: int
    user: LoginUser


# -- envelopes --------------------------------------------------------------------------------


class Envelope(WireModel, Generic[D]):
    """CompanyFlow's answer envelope [seed/docs]: `{"success": true, "data": ...}`."""

    success: bool
    data: D


class BalanceResponse(Envelope[LeaveBalance]):
    """`GET /leave-balance/{leave_type_id}?year=` [seed]."""


class BalanceListResponse(Envelope[list[LeaveBalance]]):
    """`GET /employees/{employee_id}/leave-balances?year=` [docs: an unpaginated array]."""


class AvailableResponse(Envelope[Decimal]):
    """`GET /leave-balance?leaveTypeId=&year=` [docs]: the available days only."""


class LeaveTypePage(WireModel):
    """`GET /companies/{company_id}/leave-types?page=&pageSize=`: one page of leave types.

    ASSUMED: `pagination` beside `data` in the envelope.
    """

    success: bool
    data: list[LeaveType]
    pagination: Pagination

    @property
    def items(self) -> list[LeaveType]:
        return self.data

    def next_page(self) -> int | None:
        """The number of the next page, or None on the last page."""
        return self.pagination.next_page()


class LoginResponse(WireModel):
    """`POST /auth/login` [docs]; ASSUMED: the body shape."""

    success: bool
    data: LoginData


class ErrorResponse(WireModel):
    """Every error body [docs]: `{"success": false, "error": "..."}`."""

    success: bool
    error: str


__all__ = [
    "AvailableResponse",
    "BalanceListResponse",
    "BalanceResponse",
    "ErrorResponse",
    "LeaveBalance",
    "LeaveType",
    "LeaveTypePage",
    "LoginData",
    "LoginResponse",
    "LoginUser",
    "Pagination",
]
