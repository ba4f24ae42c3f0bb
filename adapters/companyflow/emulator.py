"""An in-memory CompanyFlow: companies, employees with roles, leave types and yearly balances.

Routes (the vendor's own, documented in OpenAPI):

    POST /auth/login                              {email, password} -> signed JWT (24 h)
    GET  /leave-balance/{leave_type_id}?year=     the caller's own breakdown [seed]
    GET  /leave-balance?leaveTypeId=&year=        the caller's own available days
    GET  /employees/{employee_id}/leave-balances?year=   every balance of one employee
    GET  /companies/{company_id}/leave-types?page=&pageSize=
    GET  /companies/{company_id}/employees?page=&page_size=

Auth: `POST /auth/login` checks the password against the emulator's credentials (the
`--token` value is the shared password of every sample user of the default tenant; each extra
tenant credential is the password of that tenant's users) and answers a real HS256 JWT whose
`sub` is the employee id, with `role`, `company_id` and `exp`. Every other route verifies the
signature and expiry, and answers for the JWT's employee only: `GET /leave-balance/{id}` can
never show another employee's balance.

Arithmetic [seed]: total = days_allowed + carried_forward; available = total - used - pending;
days are stored with one decimal place [docs: DECIMAL(6,1)] and rendered as JSON integers when
whole (`22`), decimals otherwise (`1.5`), as the seed's example shows.

Errors everywhere (FastAPI's own included) are `{"success": false, "error": "..."}`: 401 for
a missing, invalid or expired token and for role failures [docs]; 400 for a bad year, id or
body; 404 for an unknown leave type, employee, company or balance (ASSUMED status).
"""

from __future__ import annotations

import math
import re
import secrets
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Literal, TypeVar

import jwt
from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from balance_gateway.adapters._emulator import (
    DEFAULT_TENANT,
    EmulatedBalance,
    Emulator,
    EmulatorOptions,
)
from balance_gateway.adapters._emulator.fields import UtcDatetime
from balance_gateway.adapters._emulator.openapi import Operation, declare
from balance_gateway.adapters.companyflow.models import (
    AvailableResponse,
    BalanceListResponse,
    BalanceResponse,
    EmployeePage,
    LeaveTypePage,
    LoginResponse,
)

TOKEN_LIFETIME = timedelta(hours=24)  # [docs] a JWT is valid 24 h
JWT_ALGORITHM = "HS256"
MIN_YEAR, MAX_YEAR = 2020, 2100  # [seed]
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 10, 100  # [docs]
ONE_DECIMAL = Decimal("0.1")
MAX_STORED_DAYS = Decimal(100_000)  # DECIMAL(6,1) [docs]: |days| <= 99999.9
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_INTEGER = re.compile(r"^-?\d{1,9}$")

# The seed's example, reproduced by the sample dataset.
SEED_EMPLOYEE_ID = "987e6543-e21b-12d3-a456-426614174000"
ANNUAL_LEAVE_ID = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
SICK_LEAVE_ID = "b2c3d4e5-f6a7-4890-bcde-f12345678901"
COMPANY_ID = "5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
SECOND_EMPLOYEE_ID = "3c9d1e7a-2b4f-4a6c-9d8e-1f2a3b4c5d6e"
MANAGER_ID = "7a1b2c3d-4e5f-4061-8273-94a5b6c7d8e9"
ADMIN_ID = "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"

Role = Literal["employee", "manager", "admin"]


def _one_decimal(value: Decimal) -> Decimal:
    # DECIMAL(6,1) [docs]: whatever is stored keeps one decimal place.
    return value.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def _stored_days(value: Decimal) -> Decimal:
    """A DECIMAL(6,1) column [docs]: one decimal place, at most 99999.9 either way; more is a
    `ValueError` (so loading such a state is a 400, never a failed quantize)."""
    if not value.is_finite() or abs(value) >= MAX_STORED_DAYS:
        raise ValueError(f"must fit DECIMAL(6,1), between -99999.9 and 99999.9, got {value}")
    days = _one_decimal(value)
    if abs(days) >= MAX_STORED_DAYS:  # 99999.95 rounds up out of the column
        raise ValueError(f"must fit DECIMAL(6,1), between -99999.9 and 99999.9, got {value}")
    return days


Days = Annotated[Decimal, AfterValidator(_stored_days)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Company(_Record):
    id: str
    name: str


class Employee(_Record):
    id: str
    company_id: str
    email: str
    first_name: str
    last_name: str
    role: Role
    employee_code: str | None = None
    status: str = "active"


class LeaveTypeRecord(_Record):
    id: str
    company_id: str
    name: str
    code: str
    days_allowed: Days
    is_paid: bool
    color_code: str


class BalanceRecord(_Record):
    """What is stored per employee, leave type and year; totals are derived when rendered."""

    id: str
    employee_id: str
    leave_type_id: str
    year: int
    carried_forward_days: Days = Decimal("0.0")
    used_days: Days = Decimal("0.0")
    pending_days: Days = Decimal("0.0")
    created_at: UtcDatetime
    updated_at: UtcDatetime


class CompanyFlowState(_Record):
    """One tenant's data (the admin API's state for a tenant)."""

    companies: list[Company] = Field(default_factory=list)
    employees: list[Employee] = Field(default_factory=list)
    leave_types: list[LeaveTypeRecord] = Field(default_factory=list)
    balances: list[BalanceRecord] = Field(default_factory=list)


class LoginBody(BaseModel):
    """`POST /auth/login` body [docs]; unknown fields are ignored."""

    email: str
    password: str


# -- rendering --------------------------------------------------------------------------------


def render_days(value: Decimal) -> int | float:
    """A JSON number as the vendor writes it: `22` when whole, `1.5` otherwise."""
    value = _one_decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def _timestamp(value: datetime) -> str:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def balance_figures(balance: BalanceRecord, leave_type: LeaveTypeRecord) -> dict[str, Decimal]:
    """The seed's arithmetic: total = allowed + carried forward; available = total - used -
    pending (days, one decimal)."""
    total = _one_decimal(leave_type.days_allowed + balance.carried_forward_days)
    available = _one_decimal(total - balance.used_days - balance.pending_days)
    return {
        "total_days": total,
        "used_days": balance.used_days,
        "pending_days": balance.pending_days,
        "available_days": available,
        "carried_forward_days": balance.carried_forward_days,
    }


def render_employee(employee: Employee) -> dict[str, Any]:
    """An employee as the employee list shows it [docs]: the fields this emulator keeps."""
    return {
        "id": employee.id,
        "company_id": employee.company_id,
        "email": employee.email,
        "first_name": employee.first_name,
        "last_name": employee.last_name,
        "employee_code": employee.employee_code,
        "status": employee.status,
    }


def render_leave_type(leave_type: LeaveTypeRecord) -> dict[str, Any]:
    return {
        "id": leave_type.id,
        "name": leave_type.name,
        "code": leave_type.code,
        "days_allowed": render_days(leave_type.days_allowed),
        "is_paid": leave_type.is_paid,
        "color_code": leave_type.color_code,
    }


def render_balance(balance: BalanceRecord, leave_type: LeaveTypeRecord) -> dict[str, Any]:
    """A balance object in the seed's field order."""
    figures = balance_figures(balance, leave_type)
    return {
        "id": balance.id,
        "employee_id": balance.employee_id,
        "leave_type_id": balance.leave_type_id,
        "year": balance.year,
        **{name: render_days(value) for name, value in figures.items()},
        "leave_type": render_leave_type(leave_type),
        "created_at": _timestamp(balance.created_at),
        "updated_at": _timestamp(balance.updated_at),
    }


class ApiError(Exception):
    """A vendor error answer raised inside a handler."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(message)


def _parse_year(raw: str | None) -> int:
    if raw is None or raw == "":
        raise ApiError(400, "Year is required")
    if not _INTEGER.fullmatch(raw) or not MIN_YEAR <= int(raw) <= MAX_YEAR:
        raise ApiError(400, f"Year must be an integer between {MIN_YEAR} and {MAX_YEAR}")
    return int(raw)


def _parse_uuid(raw: str | None, what: str) -> str:
    if not raw:
        raise ApiError(400, f"{what} is required")
    if not _UUID.fullmatch(raw):
        # ASSUMED: a malformed id is a 400 (the docs only say "UUID format").
        raise ApiError(400, f"Invalid {what} format")
    return raw


def _parse_positive(raw: str | None, name: str, default: int, maximum: int | None) -> int:
    if raw is None or raw == "":
        return default
    upper = maximum if maximum is not None else 10**9
    if not _INTEGER.fullmatch(raw) or not 1 <= int(raw) <= upper:
        bound = f" and {maximum}" if maximum is not None else ""
        raise ApiError(400, f"{name} must be an integer of at least 1{bound}")
    return int(raw)


_bearer = HTTPBearer(auto_error=False, description="A JWT from POST /auth/login")
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


class CompanyFlowEmulator(Emulator[CompanyFlowState]):
    """The CompanyFlow leave-balance API, with signed JWTs whose subject is the employee."""

    vendor = "companyflow"
    title = "CompanyFlow"
    default_token = "demo-token"  # the sample users' password

    def __init__(self, options: EmulatorOptions | None = None) -> None:
        # Signing key of this emulator's JWTs: a restarted emulator refuses old tokens.
        self._jwt_key = secrets.token_hex(32)
        super().__init__(options)

    # -- Emulator hooks -----------------------------------------------------------------------

    @classmethod
    def state_model(cls) -> type[CompanyFlowState]:
        return CompanyFlowState

    def sample_state(self) -> CompanyFlowState:
        """The seed's example (employee 987e6543-..., Annual Leave, 2025: 22/5/1.5/15.5/2), a
        second employee with a different balance, a manager, an admin and a Sick Leave type."""
        created = datetime(2025, 1, 1, tzinfo=UTC)

        def balance(
            id_: str,
            employee: str,
            leave_type: str,
            year: int,
            carried: str,
            used: str,
            pending: str,
            updated: datetime,
        ) -> BalanceRecord:
            return BalanceRecord(
                id=id_,
                employee_id=employee,
                leave_type_id=leave_type,
                year=year,
                carried_forward_days=Decimal(carried),
                used_days=Decimal(used),
                pending_days=Decimal(pending),
                created_at=created if year == 2025 else datetime(year, 1, 1, tzinfo=UTC),
                updated_at=updated,
            )

        march = datetime(2025, 3, 3, 10, 30, tzinfo=UTC)
        february = datetime(2025, 2, 14, 9, 0, tzinfo=UTC)
        december = datetime(2024, 12, 20, 16, 0, tzinfo=UTC)
        seed, second = SEED_EMPLOYEE_ID, SECOND_EMPLOYEE_ID
        annual, sick = ANNUAL_LEAVE_ID, SICK_LEAVE_ID
        return CompanyFlowState(
            companies=[Company(id=COMPANY_ID, name="Northwind Oy")],
            employees=[
                Employee(
                    id=SEED_EMPLOYEE_ID,
                    company_id=COMPANY_ID,
                    employee_code="EMP001",
                    email="jane.doe@example.com",
                    first_name="Jane",
                    last_name="Doe",
                    role="employee",
                ),
                Employee(
                    id=SECOND_EMPLOYEE_ID,
                    company_id=COMPANY_ID,
                    employee_code="EMP002",
                    email="john.smith@example.com",
                    first_name="John",
                    last_name="Smith",
                    role="employee",
                ),
                Employee(
                    id=MANAGER_ID,
                    company_id=COMPANY_ID,
                    employee_code="EMP003",
                    email="maria.manager@example.com",
                    first_name="Maria",
                    last_name="Manager",
                    role="manager",
                ),
                Employee(
                    id=ADMIN_ID,
                    company_id=COMPANY_ID,
                    employee_code="EMP004",
                    email="admin@example.com",
                    first_name="Alex",
                    last_name="Admin",
                    role="admin",
                ),
            ],
            leave_types=[
                LeaveTypeRecord(
                    id=ANNUAL_LEAVE_ID,
                    company_id=COMPANY_ID,
                    name="Annual Leave",
                    code="AL",
                    days_allowed=Decimal(20),
                    is_paid=True,
                    color_code="#3B82F6",
                ),
                LeaveTypeRecord(
                    id=SICK_LEAVE_ID,
                    company_id=COMPANY_ID,
                    name="Sick Leave",
                    code="SL",
                    days_allowed=Decimal(10),
                    is_paid=True,
                    color_code="#EF4444",
                ),
            ],
            balances=[
                # id, employee, leave type, year, carried forward, used, pending, updated
                balance("bal-001-uuid", seed, annual, 2025, "2", "5", "1.5", march),
                balance("bal-002-uuid", seed, sick, 2025, "0", "1", "0", february),
                balance("bal-003-uuid", second, annual, 2025, "3.5", "8", "2", march),
                balance("bal-004-uuid", second, sick, 2025, "0", "2.5", "0", february),
                balance("bal-005-uuid", MANAGER_ID, annual, 2025, "0", "3", "0.5", february),
                balance("bal-006-uuid", ADMIN_ID, annual, 2025, "1", "0", "0", february),
                balance("bal-000-uuid", seed, annual, 2024, "1", "19", "0", december),
            ],
        )

    def error_body(self, status: int, message: str) -> Any:
        return {"success": False, "error": message}

    def client_credentials(self) -> dict[str, str]:
        """The seed's example employee's login (the token is every sample user's password)."""
        state = self.state_for(DEFAULT_TENANT)
        employee = next((e for e in state.employees if e.id == SEED_EMPLOYEE_ID), None)
        email = employee.email if employee is not None else state.employees[0].email
        return {"email": email, "password": self.token}

    def credentials_text(self) -> list[str]:
        """How to log in: each sample user of the default tenant, the seed's employee first."""
        state = self.state_for(DEFAULT_TENANT)
        users = sorted(state.employees, key=lambda e: e.id != SEED_EMPLOYEE_ID)
        lines = [
            'login: POST /auth/login {"email": ..., "password": ...}, then send '
            '"Authorization: Bearer <token>"'
        ]
        for user in users:
            note = "  (the seed's example employee)" if user.id == SEED_EMPLOYEE_ID else ""
            lines.append(
                f"  {user.role:<8} email: {user.email}  password: {self.token}  "
                f"employee_id: {user.id}{note}"
            )
        return lines

    # -- tokens -------------------------------------------------------------------------------

    def mint_token(
        self,
        employee_id: str,
        *,
        tenant: str = DEFAULT_TENANT,
        lifetime: timedelta = TOKEN_LIFETIME,
    ) -> str:
        """A signed JWT for `employee_id` of `tenant`, as `POST /auth/login` issues (a negative
        `lifetime` gives an already expired one). `KeyError` if there is no such employee."""
        employee = _find(self.state_for(tenant).employees, employee_id)
        if employee is None:
            raise KeyError(f"no employee {employee_id!r} in tenant {tenant!r}")
        return self._issue(employee, tenant, lifetime)

    def _issue(self, employee: Employee, tenant: str, lifetime: timedelta) -> str:
        now = datetime.now(UTC)
        claims = {
            "sub": employee.id,
            "email": employee.email,
            "role": employee.role,
            "company_id": employee.company_id,
            "iat": int(now.timestamp()),
            "exp": int((now + lifetime).timestamp()),
            "jti": secrets.token_hex(8),
        }
        token = jwt.encode(claims, self._jwt_key, algorithm=JWT_ALGORITHM)
        self.session_tenants[token] = tenant  # a session, never a password
        return token

    def _caller(self, credentials: HTTPAuthorizationCredentials | None) -> tuple[str, Employee]:
        """The tenant and employee a bearer token belongs to; 401 otherwise."""
        if credentials is None or not credentials.credentials:
            raise ApiError(401, "Access denied. No token provided.")
        token = credentials.credentials
        try:
            claims = jwt.decode(
                token,
                self._jwt_key,
                algorithms=[JWT_ALGORITHM],
                options={"require": ["sub", "exp"]},
            )
        except jwt.ExpiredSignatureError:
            raise ApiError(401, "Token expired") from None
        except jwt.PyJWTError:
            raise ApiError(401, "Invalid token") from None
        tenant = self.session_tenant(token)
        employee = (
            None if tenant is None else _find(self.state_for(tenant).employees, claims["sub"])
        )
        if tenant is None or employee is None:
            raise ApiError(401, "Invalid token")
        return tenant, employee

    # -- routes -------------------------------------------------------------------------------

    def balances(self, state: CompanyFlowState, as_of: date) -> list[EmulatedBalance]:
        """The balances of `as_of`'s year [seed: per year]: entitled = total, remaining =
        total - used, pending as kept."""
        types = {t.id: t for t in state.leave_types}
        found = []
        for record in state.balances:
            leave_type = types.get(record.leave_type_id)
            if record.year != as_of.year or leave_type is None:
                continue
            figures = balance_figures(record, leave_type)
            found.append(
                EmulatedBalance(
                    employee=record.employee_id,
                    leave_type=record.leave_type_id,
                    unit="days",
                    remaining=figures["total_days"] - figures["used_days"],
                    entitled=figures["total_days"],
                    used=figures["used_days"],
                    pending=figures["pending_days"],
                )
            )
        return found

    def add_routes(self, app: FastAPI) -> None:
        declare(app, OPENAPI)

        async def api_error(request: Request, exc: Exception) -> JSONResponse:
            assert isinstance(exc, ApiError)
            return JSONResponse(self.error_body(exc.status, exc.message), status_code=exc.status)

        async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
            assert isinstance(exc, RequestValidationError)
            problems = exc.errors()
            first = problems[0] if problems else {}
            where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
            text = f"{where}: {first.get('msg', 'invalid')}" if where else first.get("msg", "")
            return JSONResponse(self.error_body(400, f"Invalid request: {text}"), status_code=400)

        async def http_error(request: Request, exc: Exception) -> JSONResponse:
            assert isinstance(exc, StarletteHTTPException)
            message = {404: "Route not found", 405: "Method not allowed"}.get(
                exc.status_code, str(exc.detail)
            )
            return JSONResponse(
                self.error_body(exc.status_code, message),
                status_code=exc.status_code,
                headers=exc.headers,
            )

        app.add_exception_handler(ApiError, api_error)
        app.add_exception_handler(RequestValidationError, invalid_request)
        app.add_exception_handler(StarletteHTTPException, http_error)

        @app.post("/auth/login", tags=["auth"])
        async def login(body: LoginBody) -> JSONResponse:
            """Exchange email and password for a JWT valid 24 hours."""
            tenant = self.tenant_for(body.password)
            employee = None
            if tenant is not None:
                wanted = body.email.strip().lower()
                employee = next(
                    (e for e in self.state_for(tenant).employees if e.email.lower() == wanted),
                    None,
                )
            if tenant is None or employee is None:
                raise ApiError(401, "Invalid email or password")
            token = self._issue(employee, tenant, TOKEN_LIFETIME)
            # ASSUMED: the login body; the docs only say a JWT valid 24 h is returned.
            data = {
                "token": token,
                "expires_in": int(TOKEN_LIFETIME.total_seconds()),
                "user": {
                    "id": employee.id,
                    "email": employee.email,
                    "first_name": employee.first_name,
                    "last_name": employee.last_name,
                    "role": employee.role,
                    "company_id": employee.company_id,
                },
            }
            return JSONResponse({"success": True, "data": data})

        @app.get("/leave-balance/{leave_type_id}", tags=["leave-balance"])
        async def get_balance(
            leave_type_id: str,
            credentials: BearerCredentials,
            year: Annotated[str | None, Query(description="2020..2100, required")] = None,
        ) -> JSONResponse:
            """The authenticated employee's balance breakdown for one leave type and year."""
            tenant, caller = self._caller(credentials)
            state = self.state_for(tenant)
            leave_type, record = self._own_balance(state, caller, leave_type_id, year)
            return JSONResponse({"success": True, "data": render_balance(record, leave_type)})

        @app.get("/leave-balance", tags=["leave-balance"])
        async def check_balance(
            credentials: BearerCredentials,
            leaveTypeId: Annotated[str | None, Query()] = None,
            year: Annotated[str | None, Query(description="2020..2100, required")] = None,
        ) -> JSONResponse:
            """The authenticated employee's available days for one leave type and year."""
            tenant, caller = self._caller(credentials)
            state = self.state_for(tenant)
            leave_type, record = self._own_balance(state, caller, leaveTypeId, year)
            available = balance_figures(record, leave_type)["available_days"]
            return JSONResponse({"success": True, "data": render_days(available)})

        @app.get("/employees/{employee_id}/leave-balances", tags=["leave-balance"])
        async def employee_balances(
            employee_id: str,
            credentials: BearerCredentials,
            year: Annotated[str | None, Query(description="2020..2100, required")] = None,
        ) -> JSONResponse:
            """Every balance of one employee for a year (manager/admin, or the employee)."""
            tenant, caller = self._caller(credentials)
            state = self.state_for(tenant)
            wanted = _parse_uuid(employee_id, "employee ID")
            # ASSUMED: year required here too, as on the per-type endpoint.
            year_ = _parse_year(year)
            # ASSUMED: an employee may read their own balances here; anyone else's needs the
            # manager or admin role, and a role failure is a 401 as everywhere [docs].
            if caller.role == "employee" and wanted != caller.id:
                raise ApiError(401, "Insufficient permissions")
            employee = _find(state.employees, wanted)
            if employee is None or employee.company_id != caller.company_id:
                raise ApiError(404, "Employee not found")
            types = {t.id: t for t in state.leave_types}
            data = [
                render_balance(b, types[b.leave_type_id])
                for b in state.balances
                if b.employee_id == wanted and b.year == year_ and b.leave_type_id in types
            ]
            return JSONResponse({"success": True, "data": data})

        @app.get("/companies/{company_id}/employees", tags=["employees"])
        async def employees(
            company_id: str,
            credentials: BearerCredentials,
            page: Annotated[str | None, Query(description="from 1")] = None,
            page_size: Annotated[str | None, Query(description="1..100, default 10")] = None,
        ) -> JSONResponse:
            """One page of a company's employees [docs]. The docs name the roles super_admin
            and hr_manager; ASSUMED: this emulator's manager and admin stand for them."""
            tenant, caller = self._caller(credentials)
            state = self.state_for(tenant)
            wanted = _parse_uuid(company_id, "company ID")
            page_ = _parse_positive(page, "page", 1, None)
            size = _parse_positive(page_size, "page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
            if _find(state.companies, wanted) is None:
                raise ApiError(404, "Company not found")
            if wanted != caller.company_id or caller.role == "employee":
                raise ApiError(401, "Insufficient permissions")
            people = [e for e in state.employees if e.company_id == wanted]
            start = (page_ - 1) * size
            return JSONResponse(
                {
                    "success": True,
                    "data": {
                        "employees": [render_employee(e) for e in people[start : start + size]],
                        "pagination": {
                            "page": page_,
                            "page_size": size,
                            "total_items": len(people),
                            "total_pages": math.ceil(len(people) / size),
                        },
                    },
                }
            )

        @app.get("/companies/{company_id}/leave-types", tags=["leave-types"])
        async def leave_types(
            company_id: str,
            credentials: BearerCredentials,
            page: Annotated[str | None, Query(description="from 1")] = None,
            pageSize: Annotated[str | None, Query(description="1..100, default 10")] = None,
        ) -> JSONResponse:
            """One page of a company's leave types."""
            tenant, caller = self._caller(credentials)
            state = self.state_for(tenant)
            wanted = _parse_uuid(company_id, "company ID")
            page_ = _parse_positive(page, "page", 1, None)
            size = _parse_positive(pageSize, "pageSize", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
            if _find(state.companies, wanted) is None:
                raise ApiError(404, "Company not found")
            if wanted != caller.company_id:
                raise ApiError(401, "Insufficient permissions")
            types = [t for t in state.leave_types if t.company_id == wanted]
            start = (page_ - 1) * size
            # ASSUMED: the pagination object beside data.
            return JSONResponse(
                {
                    "success": True,
                    "data": [render_leave_type(t) for t in types[start : start + size]],
                    "pagination": {
                        "page": page_,
                        "pageSize": size,
                        "total": len(types),
                        "totalPages": math.ceil(len(types) / size),
                    },
                }
            )

    def _own_balance(
        self,
        state: CompanyFlowState,
        caller: Employee,
        leave_type_id: str | None,
        year: str | None,
    ) -> tuple[LeaveTypeRecord, BalanceRecord]:
        """The caller's own balance; the employee id comes from the token only [seed]."""
        # [seed] available to Employee and Manager: any other role is a role failure (401).
        if caller.role not in ("employee", "manager"):
            raise ApiError(401, "Insufficient permissions")
        wanted = _parse_uuid(leave_type_id, "leave type ID")
        year_ = _parse_year(year)
        leave_type = _find(state.leave_types, wanted)
        if leave_type is None or leave_type.company_id != caller.company_id:
            raise ApiError(404, "Leave type not found")  # ASSUMED status
        record = next(
            (
                b
                for b in state.balances
                if b.employee_id == caller.id and b.leave_type_id == wanted and b.year == year_
            ),
            None,
        )
        if record is None:
            raise ApiError(404, "Leave balance not found")  # ASSUMED status
        return leave_type, record


R = TypeVar("R", Company, Employee, LeaveTypeRecord)


def _find(records: list[R], id_: str) -> R | None:
    return next((r for r in records if r.id == id_), None)


# The answers as the SDK parses them (adapters/companyflow/models.py); the login body is
# declared by its route.
OPENAPI = {
    ("POST", "/auth/login"): Operation({200: LoginResponse}),
    ("GET", "/leave-balance/{leave_type_id}"): Operation(
        {200: BalanceResponse}, examples={"leave_type_id": ANNUAL_LEAVE_ID, "year": 2025}
    ),
    ("GET", "/leave-balance"): Operation(
        {200: AvailableResponse}, examples={"leaveTypeId": ANNUAL_LEAVE_ID, "year": 2025}
    ),
    ("GET", "/employees/{employee_id}/leave-balances"): Operation(
        {200: BalanceListResponse}, examples={"employee_id": SEED_EMPLOYEE_ID, "year": 2025}
    ),
    ("GET", "/companies/{company_id}/leave-types"): Operation(
        {200: LeaveTypePage}, examples={"company_id": COMPANY_ID}
    ),
    ("GET", "/companies/{company_id}/employees"): Operation(
        {200: EmployeePage}, examples={"company_id": COMPANY_ID}
    ),
}


def build_emulator(options: EmulatorOptions) -> CompanyFlowEmulator:
    """A fresh CompanyFlow emulator (`balance-gateway emulate companyflow`)."""
    return CompanyFlowEmulator(options)


__all__ = [
    "ANNUAL_LEAVE_ID",
    "COMPANY_ID",
    "SEED_EMPLOYEE_ID",
    "BalanceRecord",
    "Company",
    "CompanyFlowEmulator",
    "CompanyFlowState",
    "Employee",
    "LeaveTypeRecord",
    "build_emulator",
    "render_balance",
    "render_days",
]
