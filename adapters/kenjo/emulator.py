"""An in-memory Kenjo: login, employees, time-off requests and set-balance.

State per tenant (`KenjoState`): employees, time-off types (unit days or hours), assignments of
employees to types (total allowance, taken, planned), time-off requests and the time-off
history. Setting a balance does what the seed says: the value set is the remaining balance,
`totalAllowance = balance + taken`, `available = balance - planned`, and a history entry
records the change with its description.

Credentials: `--token T` (default `kenjo-api-key`) is the API key of the default tenant's
integration user; `POST /api/v1/auth/login {"apiKey": T}` gives a session token (48 h) sent as
`Authorization: Bearer ...`. Every API key K also has a read-only twin `K-readonly` whose
sessions lack the time-off-balance permission (set-balance answers 403).

Checks run in the order a NestJS-style API runs them (ASSUMED): authentication (401), the
permission (403), the body (400), then the resources (404).

Admin reads (not Kenjo API, which documents no balance read):
    GET /_emulator/balances/{timeOffTypeId}/{employeeId}?tenant=   the balance as Kenjo keeps it
    GET /_emulator/history?tenant=&employeeId=&timeOffTypeId=      the time-off history
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from balance_gateway.adapters._emulator import (
    DEFAULT_TENANT,
    EmulatedBalance,
    Emulator,
    EmulatorOptions,
)
from balance_gateway.adapters._emulator.bodies import parse_json
from balance_gateway.adapters._emulator.fields import UtcDatetime, exceeds
from balance_gateway.adapters._emulator.openapi import Operation, declare
from balance_gateway.adapters.kenjo.models import (
    EmployeeList,
    LoginResponse,
    TimeOffBalance,
    TimeOffRequestPage,
)

__all__ = [
    "Assignment",
    "EmployeeRecord",
    "HistoryEntry",
    "KenjoEmulator",
    "KenjoState",
    "RequestRecord",
    "TimeOffTypeRecord",
    "build_emulator",
]

SESSION_LIFETIME = timedelta(hours=48)  # [docs, inferred from an example]
MAX_DESCRIPTION_LENGTH = 1000
MAX_WINDOW_DAYS = 92
PAGE_LIMITS = (25, 50, 100)
# ASSUMED: a sanity bound on every balance figure (either sign), far beyond any real allowance
# in days or hours; set-balance refuses more with a 400, and loaded states keep to it, so the
# arithmetic never leaves Decimal's exponent range and every figure renders.
MAX_ABS_FIGURE = Decimal(10) ** 9
READONLY_SUFFIX = "-readonly"

_OBJECT_ID = re.compile(r"^[0-9a-fA-F]{24}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# The sample dataset's ids (fixtures and the README use them).
VACATION_TYPE_ID = "65f1a0c0e4b0a1b2c3d4e501"
OVERTIME_TYPE_ID = "65f1a0c0e4b0a1b2c3d4e502"
EMPLOYEE_TAKEN_ID = "65f1a0c0e4b0a1b2c3d4e511"  # 4 vacation days taken
EMPLOYEE_PLANNED_ID = "65f1a0c0e4b0a1b2c3d4e512"  # 4 vacation days planned
EMPLOYEE_UNASSIGNED_ID = "65f1a0c0e4b0a1b2c3d4e513"  # not assigned to vacation


# -- state ------------------------------------------------------------------------------------


# A stored figure (allowance, taken, planned) and a history figure (a balance: allowance -
# taken, so up to twice the bound).
Figure = Annotated[Decimal, Field(ge=-MAX_ABS_FIGURE, le=MAX_ABS_FIGURE)]
HistoryFigure = Annotated[Decimal, Field(ge=-2 * MAX_ABS_FIGURE, le=2 * MAX_ABS_FIGURE)]


class _StateModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EmployeeRecord(_StateModel):
    id: str
    email: str
    first_name: str
    last_name: str
    is_active: bool = True


class TimeOffTypeRecord(_StateModel):
    id: str
    name: str
    unit: Literal["days", "hours"] = "days"


class Assignment(_StateModel):
    """An employee assigned to a time-off type, with the figures Kenjo keeps for it.

    ASSUMED: `taken` and `planned` are kept as figures here rather than derived from requests
    (working days, half days and hours would need a calendar the seed does not describe).
    """

    employee_id: str
    time_off_type_id: str
    total_allowance: Figure
    taken: Figure = Decimal(0)
    planned: Figure = Decimal(0)

    @property
    def balance(self) -> Decimal:
        """The remaining balance: what set-balance sets."""
        return self.total_allowance - self.taken

    @property
    def available(self) -> Decimal:
        return self.balance - self.planned


class RequestRecord(_StateModel):
    id: str
    user_id: str
    time_off_type_id: str
    start: date
    end: date
    status: str
    part_of_day_from: str = "StartOfDay"
    part_of_day_to: str = "EndOfDay"
    description: str | None = None


class HistoryEntry(_StateModel):
    id: str
    employee_id: str
    time_off_type_id: str
    previous_balance: HistoryFigure
    new_balance: HistoryFigure
    description: str | None = None
    created_at: UtcDatetime


class KenjoState(_StateModel):
    """One company's data. Every field has a default so a fixture can give only what it needs."""

    employees: list[EmployeeRecord] = Field(default_factory=list)
    time_off_types: list[TimeOffTypeRecord] = Field(default_factory=list)
    assignments: list[Assignment] = Field(default_factory=list)
    requests: list[RequestRecord] = Field(default_factory=list)
    history: list[HistoryEntry] = Field(default_factory=list)
    # ASSUMED: whether the company's integration user (the tenant's API key) has the
    # permission to adjust time-off balances; the `-readonly` keys never have it.
    set_balance_permission: bool = True

    def employee(self, employee_id: str) -> EmployeeRecord | None:
        return next((e for e in self.employees if e.id == employee_id), None)

    def time_off_type(self, type_id: str) -> TimeOffTypeRecord | None:
        return next((t for t in self.time_off_types if t.id == type_id), None)

    def assignment(self, type_id: str, employee_id: str) -> Assignment | None:
        return next(
            (
                a
                for a in self.assignments
                if a.time_off_type_id == type_id and a.employee_id == employee_id
            ),
            None,
        )


def sample_state() -> KenjoState:
    """Two time-off types; an employee with 4 vacation days taken, one with 4 planned, and one
    not assigned to vacation, as in the seed's examples."""
    return KenjoState(
        employees=[
            EmployeeRecord(
                id=EMPLOYEE_TAKEN_ID, email="ana.garcia@example.com", first_name="Ana",
                last_name="Garcia",
            ),
            EmployeeRecord(
                id=EMPLOYEE_PLANNED_ID, email="ben.weber@example.com", first_name="Ben",
                last_name="Weber",
            ),
            EmployeeRecord(
                id=EMPLOYEE_UNASSIGNED_ID, email="chloe.martin@example.com",
                first_name="Chloe", last_name="Martin",
            ),
        ],
        time_off_types=[
            TimeOffTypeRecord(id=VACATION_TYPE_ID, name="Vacation", unit="days"),
            TimeOffTypeRecord(id=OVERTIME_TYPE_ID, name="Overtime compensation", unit="hours"),
        ],
        assignments=[
            Assignment(
                employee_id=EMPLOYEE_TAKEN_ID, time_off_type_id=VACATION_TYPE_ID,
                total_allowance=Decimal(30), taken=Decimal(4),
            ),
            Assignment(
                employee_id=EMPLOYEE_PLANNED_ID, time_off_type_id=VACATION_TYPE_ID,
                total_allowance=Decimal(30), planned=Decimal(4),
            ),
            Assignment(
                employee_id=EMPLOYEE_UNASSIGNED_ID, time_off_type_id=OVERTIME_TYPE_ID,
                total_allowance=Decimal(16),
            ),
        ],
        requests=[
            RequestRecord(
                id="65f1a0c0e4b0a1b2c3d4e521", user_id=EMPLOYEE_TAKEN_ID,
                time_off_type_id=VACATION_TYPE_ID, start=date(2025, 2, 3), end=date(2025, 2, 6),
                status="Approved", description="Ski trip",
            ),
            RequestRecord(
                id="65f1a0c0e4b0a1b2c3d4e522", user_id=EMPLOYEE_PLANNED_ID,
                time_off_type_id=VACATION_TYPE_ID, start=date(2025, 8, 4), end=date(2025, 8, 7),
                status="Pending", description=None,
            ),
        ],
    )  # fmt: skip


# -- wire rendering ---------------------------------------------------------------------------


def _number(value: Decimal) -> int | float:
    """A Decimal as a JSON number: an integer when it is whole."""
    return int(value) if value == value.to_integral_value() else float(value)


def _employee_json(e: EmployeeRecord) -> dict[str, Any]:
    return {
        "_id": e.id,
        "email": e.email,
        "firstName": e.first_name,
        "lastName": e.last_name,
        "displayName": f"{e.first_name} {e.last_name}",
        "isActive": e.is_active,
    }


def _request_json(r: RequestRecord) -> dict[str, Any]:
    return {
        "_id": r.id,
        "_userId": r.user_id,
        "_timeOffTypeId": r.time_off_type_id,
        "from": r.start.isoformat(),
        "to": r.end.isoformat(),
        "partOfDayFrom": r.part_of_day_from,
        "partOfDayTo": r.part_of_day_to,
        "status": r.status,
        "description": r.description,
    }


def _balance_json(a: Assignment, unit: str) -> dict[str, Any]:
    """ASSUMED: the set-balance answer (Kenjo documents none), also the admin read."""
    return {
        "timeOffTypeId": a.time_off_type_id,
        "employeeId": a.employee_id,
        "balance": _number(a.balance),
        "totalAllowance": _number(a.total_allowance),
        "taken": _number(a.taken),
        "planned": _number(a.planned),
        "available": _number(a.available),
        "unit": unit,
    }


def _history_json(h: HistoryEntry) -> dict[str, Any]:
    return {
        "_id": h.id,
        "employeeId": h.employee_id,
        "timeOffTypeId": h.time_off_type_id,
        "previousBalance": _number(h.previous_balance),
        "newBalance": _number(h.new_balance),
        "description": h.description,
        "createdAt": _iso(h.created_at),
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _object_id() -> str:
    return secrets.token_hex(12)


def _jwtish() -> str:
    """A random token shaped like a JWT (Kenjo's are); nothing reads its parts."""

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")

    header = part(b'{"alg":"HS256","typ":"JWT"}')
    payload = part(json.dumps({"jti": secrets.token_hex(8)}).encode())
    return f"{header}.{payload}.{part(secrets.token_bytes(32))}"


class _BadRequest(Exception):
    """A 400 with Kenjo's `{"code": 400, "message": ...}` body."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _json_body(raw: bytes) -> Any:
    """The request body as JSON, numbers as Decimal (exact), NaN/Infinity refused; an
    unreadable body is a 400 (`KenjoEmulator.unreadable_body_message`)."""
    return parse_json(raw, parse_float=Decimal, parse_constant=_reject_constant)


# -- the emulator -----------------------------------------------------------------------------


@dataclass
class Session:
    tenant: str
    expires_at: datetime
    readonly: bool


_SET_BALANCE_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["balance"],
                "properties": {
                    "balance": {
                        "type": "number",
                        "description": "the new remaining balance in the type's unit",
                    },
                    "description": {"type": "string", "maxLength": MAX_DESCRIPTION_LENGTH},
                },
            }
        }
    },
}
_LOGIN_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["apiKey"],
                "properties": {"apiKey": {"type": "string"}},
            }
        }
    },
}


class KenjoEmulator(Emulator[KenjoState]):
    """Kenjo's login, employees, time-off requests and set-balance, in memory."""

    vendor = "kenjo"
    title = "Kenjo API"
    default_token = "kenjo-api-key"

    def __init__(
        self, options: EmulatorOptions | None = None, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.sessions: dict[str, Session] = {}
        self.readonly_keys: set[str] = set()
        super().__init__(options)
        for key, tenant in list(self.credentials.items()):
            self.add_api_key(key + READONLY_SUFFIX, tenant, readonly=True)

    # -- what the base asks for ---------------------------------------------------------------

    @classmethod
    def state_model(cls) -> type[KenjoState]:
        return KenjoState

    def sample_state(self) -> KenjoState:
        return sample_state()

    def error_body(self, status: int, message: str) -> Any:
        return {"code": status, "message": message}

    def unreadable_body_message(self, reason: str) -> str:
        return "the request body is not valid JSON"

    def credentials_text(self) -> list[str]:
        return [
            f"api key: {self.token}  (POST /api/v1/auth/login with "
            f'{{"apiKey": "{self.token}"}} gives a session token, valid 48 h)',
            f"read-only api key (no time-off-balance permission): {self.token}{READONLY_SUFFIX}",
        ]

    def client_credentials(self) -> dict[str, str]:
        return {"api_key": self.token}  # the SDK client logs in with it

    # -- credentials --------------------------------------------------------------------------

    def add_api_key(
        self, key: str, tenant: str = DEFAULT_TENANT, *, readonly: bool = False
    ) -> None:
        """Accept `key` at login for `tenant` (a read-only key lacks the balance permission)."""
        self.credentials[key] = tenant
        if readonly:
            self.readonly_keys.add(key)
        self.state_for(tenant)

    def login(self, api_key: str) -> tuple[str, datetime] | None:
        """A new session for `api_key`: (token with its `Bearer ` prefix, expiry), or None."""
        tenant = self.tenant_for(api_key)
        if tenant is None:
            return None
        token = _jwtish()
        expires_at = self.clock() + SESSION_LIFETIME
        self.sessions[token] = Session(tenant, expires_at, api_key in self.readonly_keys)
        return "Bearer " + token, expires_at

    def session_for(self, authorization: str | None) -> Session | None:
        """The live session an `Authorization` header names, or None (-> 401)."""
        if authorization is None or not authorization.startswith("Bearer "):
            return None
        token = authorization[len("Bearer ") :].strip()
        session = self.sessions.get(token)
        if session is None:
            return None
        if self.clock() >= session.expires_at:
            del self.sessions[token]
            return None
        return session

    # -- routes -------------------------------------------------------------------------------

    def _error(self, status: int, message: str) -> JSONResponse:
        return JSONResponse(self.error_body(status, message), status_code=status)

    def _unauthorized(self) -> JSONResponse:
        return self._error(
            401, "Unauthorized: the Authorization header is missing, wrong or expired"
        )

    def balances(self, state: KenjoState, as_of: date) -> list[EmulatedBalance]:
        """Each assignment: remaining = totalAllowance - taken [seed], pending = planned.
        Kenjo keeps only the current figures: `as_of` does not change them."""
        units = {t.id: t.unit for t in state.time_off_types}
        return [
            EmulatedBalance(
                employee=a.employee_id,
                leave_type=a.time_off_type_id,
                unit=units.get(a.time_off_type_id, "days"),
                remaining=a.balance,
                entitled=a.total_allowance,
                used=a.taken,
                pending=a.planned,
            )
            for a in state.assignments
        ]

    def add_routes(self, app: FastAPI) -> None:
        declare(app, OPENAPI)

        @app.exception_handler(RequestValidationError)
        async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5]
            )
            return self._error(400, problems or "invalid request")

        @app.exception_handler(StarletteHTTPException)
        async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
            return JSONResponse(
                self.error_body(exc.status_code, str(exc.detail)),
                status_code=exc.status_code,
                headers=exc.headers,
            )

        @app.exception_handler(_BadRequest)
        async def bad_request(request: Request, exc: _BadRequest) -> JSONResponse:
            return self._error(400, str(exc))

        self._add_auth_routes(app)
        self._add_read_routes(app)
        self._add_set_balance_route(app)
        self._add_admin_reads(app)

    def _add_auth_routes(self, app: FastAPI) -> None:
        @app.post("/api/v1/auth/login", openapi_extra={"requestBody": _LOGIN_BODY})
        async def login(request: Request) -> JSONResponse:
            """Exchange an API key for a session token (48 h)."""
            body = _json_body(await request.body())
            api_key = body.get("apiKey") if isinstance(body, dict) else None
            if not isinstance(api_key, str) or not api_key:
                raise _BadRequest("apiKey is required and must be a string")
            granted = self.login(api_key)
            if granted is None:
                return self._error(401, "Unauthorized: invalid API key")
            token, expires_at = granted
            return JSONResponse({"token": token, "X-Expires-After": _iso(expires_at)})

        @app.post("/api/v1/auth/logout", status_code=204)
        async def logout(request: Request) -> Response:
            """End the session of the token in `Authorization` (ASSUMED: 204, no body)."""
            authorization = request.headers.get("authorization")
            if self.session_for(authorization) is None:
                return self._unauthorized()
            assert authorization is not None
            self.sessions.pop(authorization[len("Bearer ") :].strip(), None)
            return Response(status_code=204)

    def _add_read_routes(self, app: FastAPI) -> None:
        @app.get("/api/v1/employees")
        async def list_employees(request: Request) -> JSONResponse:
            """Every employee of the company: `{"data": [...]}`."""
            session = self.session_for(request.headers.get("authorization"))
            if session is None:
                return self._unauthorized()
            state = self.state_for(session.tenant)
            return JSONResponse({"data": [_employee_json(e) for e in state.employees]})

        @app.get("/api/v1/time-off/requests")
        async def list_requests(
            request: Request,
            from_: str | None = Query(None, alias="from", description="YYYY-MM-DD"),
            to: str | None = Query(None, description="YYYY-MM-DD, at most 92 days after from"),
            userId: str | None = Query(None),
            timeOffTypeId: str | None = Query(None),
            status: str | None = Query(None),
            offset: str | None = Query(None, description="page number, default 1"),
            limit: str | None = Query(None, description="25, 50 (default) or 100"),
        ) -> JSONResponse:
            """Time-off requests overlapping `from`..`to`, a page at a time."""
            session = self.session_for(request.headers.get("authorization"))
            if session is None:
                return self._unauthorized()
            start = _query_day("from", from_)
            end = _query_day("to", to)
            if start > end:
                raise _BadRequest("from must not be after to")
            if (end - start).days + 1 > MAX_WINDOW_DAYS:
                raise _BadRequest(f"the range from..to must not exceed {MAX_WINDOW_DAYS} days")
            for name, value in (("userId", userId), ("timeOffTypeId", timeOffTypeId)):
                if value is not None and not _OBJECT_ID.fullmatch(value):
                    raise _BadRequest(f"{name} must be a valid ObjectId")
            page = _query_int("offset", offset, 1)
            if page < 1:
                raise _BadRequest("offset must be 1 or greater")
            size = _query_int("limit", limit, 50)
            if size not in PAGE_LIMITS:
                raise _BadRequest("limit must be one of 25, 50, 100")
            state = self.state_for(session.tenant)
            matching = sorted(
                (
                    r
                    for r in state.requests
                    if r.start <= end
                    and r.end >= start
                    and (userId is None or r.user_id == userId)
                    and (timeOffTypeId is None or r.time_off_type_id == timeOffTypeId)
                    and (status is None or r.status == status)
                ),
                key=lambda r: (r.start, r.id),
            )
            chunk = matching[(page - 1) * size : page * size]
            return JSONResponse(
                {
                    "data": [_request_json(r) for r in chunk],
                    "metadata": {
                        "count": len(chunk),
                        "offset": page,
                        "limit": size,
                        "total": len(matching),
                    },
                }
            )

    def _add_set_balance_route(self, app: FastAPI) -> None:
        @app.put(
            "/api/v1/time-off/set-balance/{timeOffTypeId}/{employeeId}",
            openapi_extra={"requestBody": _SET_BALANCE_BODY},
        )
        async def set_balance(
            timeOffTypeId: str, employeeId: str, request: Request
        ) -> JSONResponse:
            """Set the remaining balance: `totalAllowance = balance + taken`,
            `available = balance - planned`; the change goes to the time-off history."""
            session = self.session_for(request.headers.get("authorization"))
            if session is None:
                return self._unauthorized()
            raw = await request.body()
            # No awaits from here on: the change below is atomic on the event loop.
            state = self.state_for(session.tenant)
            if session.readonly or not state.set_balance_permission:
                return self._error(
                    403, "Forbidden: insufficient permissions to adjust time off balances"
                )
            balance, description = _set_balance_body(_json_body(raw))
            # ASSUMED: malformed ids answer 404 like unknown ones.
            time_off_type = state.time_off_type(timeOffTypeId)
            if time_off_type is None:
                return self._error(404, "Not found: time off type not found")
            if state.employee(employeeId) is None:
                return self._error(404, "Not found: employee not found")
            assignment = state.assignment(timeOffTypeId, employeeId)
            if assignment is None:
                return self._error(
                    404, "Not found: employee not assigned to the specified time off type"
                )
            total = balance + assignment.taken
            if abs(total) > MAX_ABS_FIGURE:
                raise _BadRequest(
                    f"balance {balance} would make the total allowance ({total}) leave "
                    f"-{MAX_ABS_FIGURE}..{MAX_ABS_FIGURE}"
                )
            previous = assignment.balance
            assignment.total_allowance = total
            state.history.append(
                HistoryEntry(
                    id=_object_id(),
                    employee_id=employeeId,
                    time_off_type_id=timeOffTypeId,
                    previous_balance=previous,
                    new_balance=balance,
                    description=description,
                    created_at=self.clock(),
                )
            )
            return JSONResponse(_balance_json(assignment, time_off_type.unit))

    def _add_admin_reads(self, app: FastAPI) -> None:
        @app.get("/_emulator/balances/{timeOffTypeId}/{employeeId}", include_in_schema=False)
        async def admin_balance(
            timeOffTypeId: str, employeeId: str, tenant: str = DEFAULT_TENANT
        ) -> JSONResponse:
            state = self.tenants.get(tenant)
            if state is None:
                return self._error(404, f"no tenant {tenant!r}")
            assignment = state.assignment(timeOffTypeId, employeeId)
            time_off_type = state.time_off_type(timeOffTypeId)
            if assignment is None or time_off_type is None:
                return self._error(404, "employee not assigned to this time off type")
            return JSONResponse(_balance_json(assignment, time_off_type.unit))

        @app.get("/_emulator/history", include_in_schema=False)
        async def admin_history(
            tenant: str = DEFAULT_TENANT,
            employeeId: str | None = None,
            timeOffTypeId: str | None = None,
        ) -> JSONResponse:
            state = self.tenants.get(tenant)
            if state is None:
                return self._error(404, f"no tenant {tenant!r}")
            entries = [
                _history_json(h)
                for h in state.history
                if (employeeId is None or h.employee_id == employeeId)
                and (timeOffTypeId is None or h.time_off_type_id == timeOffTypeId)
            ]
            return JSONResponse({"data": entries})


def _query_day(name: str, value: str | None) -> date:
    if value is None:
        raise _BadRequest(f"{name} is required (YYYY-MM-DD)")
    if _DAY.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _BadRequest(f"{name} must be a date in format YYYY-MM-DD")


def _query_int(name: str, value: str | None, default: int) -> int:
    if value is None:
        return default
    if not re.fullmatch(r"-?\d{1,9}", value):
        raise _BadRequest(f"{name} must be an integer")
    return int(value)


def _set_balance_body(body: Any) -> tuple[Decimal, str | None]:
    """`balance` (a finite number, required) and `description` (optional, <= 1000 chars)."""
    if not isinstance(body, dict):
        raise _BadRequest("the request body must be a JSON object")
    if "balance" not in body or body["balance"] is None:
        raise _BadRequest("balance is required")
    balance = body["balance"]
    if isinstance(balance, bool) or not isinstance(balance, int | Decimal):
        raise _BadRequest("balance must be a number")
    number = Decimal(balance)
    if not number.is_finite():
        raise _BadRequest("balance must be a finite number")
    if exceeds(number, MAX_ABS_FIGURE):
        raise _BadRequest(f"balance must be between -{MAX_ABS_FIGURE} and {MAX_ABS_FIGURE}")
    description = body.get("description")
    if description is not None:
        if not isinstance(description, str):
            raise _BadRequest("description must be a string")
        if len(description) > MAX_DESCRIPTION_LENGTH:
            raise _BadRequest(
                f"description must be shorter than or equal to {MAX_DESCRIPTION_LENGTH} characters"
            )
    return number, description


# The answers as the SDK parses them (adapters/kenjo/models.py); the login and set-balance
# bodies are declared on their routes.
OPENAPI = {
    ("POST", "/api/v1/auth/login"): Operation({200: LoginResponse}),
    ("POST", "/api/v1/auth/logout"): Operation({204: None}),
    ("GET", "/api/v1/employees"): Operation({200: EmployeeList}),
    ("GET", "/api/v1/time-off/requests"): Operation({200: TimeOffRequestPage}),
    ("PUT", "/api/v1/time-off/set-balance/{timeOffTypeId}/{employeeId}"): Operation(
        {200: TimeOffBalance},
        examples={"timeOffTypeId": VACATION_TYPE_ID, "employeeId": EMPLOYEE_TAKEN_ID},
    ),
}


def build_emulator(options: EmulatorOptions) -> KenjoEmulator:
    """A fresh Kenjo emulator (what `balance-gateway emulate kenjo` serves)."""
    return KenjoEmulator(options)
