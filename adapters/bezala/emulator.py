"""An in-memory emulator of Bezala's time_balances API (seed `001_717343f4c3b4e9bd.txt`).

    balance-gateway emulate bezala --port 8000 --token demo-token

Routes (the documented ones, plus the login the docs describe):
    POST   /api/auth/token                          {"email", "password"} -> a session token
    GET    /api/users/{user_id}/time_balances        filters, sorting and pagination
    GET    /api/users/{user_id}/time_balances/latest `{}` when there is none
    POST   /api/users/{user_id}/time_balances        JSON `{"time_balance": {...}}` or form
                                                    fields `time_balance[balance_type]` etc.
    DELETE /api/users/{user_id}/time_balances/{id}

Errors are Bezala's `{"error": "..."}`; validation failures are 422 with field detail
(`{"error": "Validation failed", "errors": {"value": ["..."]}}`, ASSUMED shape). Unknown users
and records answer 404 (Bezala prefers 404 over 403). A fresh emulator holds user 819 with
exactly the two records of the seed's example, so the example answers verbatim.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from balance_gateway.adapters._emulator import (
    DEFAULT_TENANT,
    EmulatedBalance,
    Emulator,
    EmulatorOptions,
)
from balance_gateway.adapters._emulator.bodies import parse_json
from balance_gateway.adapters._emulator.fields import exceeds
from balance_gateway.adapters._emulator.openapi import Operation, declare
from balance_gateway.adapters.bezala.models import (
    AuthToken,
    BalanceType,
    SortOrder,
    TimeBalance,
    TimeBalancePage,
    TimeBalanceParams,
    UserList,
)

# ASSUMED: the login answer's lifetime; the docs name no figure. Sessions are not expired.
SESSION_SECONDS = 86_400
# ASSUMED: a sanity bound on imported values (either sign), far beyond any real balance; it
# keeps every value representable as a JSON number.
MAX_ABS_VALUE = Decimal(10) ** 9
# ASSUMED: the fields `sort_by` accepts (the docs say only "a String", default `date`).
SORT_FIELDS = (
    "id", "user_id", "balance_type", "date", "value", "units", "creator_id", "creator_name",
)  # fmt: skip
_FORM_KEY = re.compile(r"^(\w+)\[(\w+)\]$")


# -- state ------------------------------------------------------------------------------------


class EmulatedUser(BaseModel):
    """A Bezala user. `email`/`password` make it a login user (placeholders, not secrets).
    `external_id` is the organisation's own id for the person (its employee number)."""

    id: int
    name: str
    email: str | None = None
    password: str | None = None
    external_id: str | None = None

    def render(self) -> dict[str, Any]:
        """The user as `GET /api/users` lists it (ASSUMED fields; never the password)."""
        return {
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "external_id": self.external_id,
        }


class StoredTimeBalance(BaseModel):
    """An imported balance as the emulator stores it."""

    id: int
    user_id: int
    balance_type: BalanceType
    date: dt.date
    # The bound imports are checked against, also for loaded states: rendering stays finite.
    value: Decimal = Field(ge=-MAX_ABS_VALUE, le=MAX_ABS_VALUE)
    creator_id: int
    creator_name: str

    @property
    def units(self) -> str:
        return self.balance_type.units

    def render(self) -> dict[str, Any]:
        """The record as Bezala answers it: vacation values as JSON floats (`5.0`), work_time
        values as JSON integers (`75`), as in the seed's example."""
        value: int | float = (
            int(self.value) if self.balance_type is BalanceType.WORK_TIME else float(self.value)
        )
        return {
            "id": self.id,
            "user_id": self.user_id,
            "balance_type": self.balance_type.value,
            "date": self.date.isoformat(),
            "value": value,
            "units": self.units,
            "creator_id": self.creator_id,
            "creator_name": self.creator_name,
        }

    def sort_key(self, field: str) -> Any:
        return self.units if field == "units" else getattr(self, field)


class BezalaState(BaseModel):
    """One tenant: its users, imported balances, and who a static token acts as."""

    users: list[EmulatedUser]
    time_balances: list[StoredTimeBalance] = Field(default_factory=list)
    next_id: int = 1
    # The user a static token acts as: the creator of everything imported with it.
    token_user_id: int = 42

    def user(self, user_id: int) -> EmulatedUser | None:
        return next((u for u in self.users if u.id == user_id), None)

    def new_id(self) -> int:
        """Ids increase per tenant, also past ids loaded from a state file."""
        new = max([self.next_id, *(b.id + 1 for b in self.time_balances)])
        self.next_id = new + 1
        return new


def sample_state() -> BezalaState:
    """John Smith (42), the API and login user, and employee 819 with the seed's two records."""
    return BezalaState(
        users=[
            EmulatedUser(
                id=42, name="John Smith", email="admin@example.com", password="demo-password"
            ),
            EmulatedUser(
                id=819, name="Aino Virtanen", email="aino.virtanen@example.com", external_id="1001"
            ),
        ],
        time_balances=[
            StoredTimeBalance(
                id=1,
                user_id=819,
                balance_type=BalanceType.WORK_TIME,
                date=dt.date(2025, 3, 15),
                value=Decimal(75),
                creator_id=42,
                creator_name="John Smith",
            ),
            StoredTimeBalance(
                id=2,
                user_id=819,
                balance_type=BalanceType.VACATION,
                date=dt.date(2025, 3, 31),
                value=Decimal("5.0"),
                creator_id=42,
                creator_name="John Smith",
            ),
        ],
        next_id=3,
        token_user_id=42,
    )


# -- errors and input -------------------------------------------------------------------------


class BezalaAPIError(Exception):
    """An answer in Bezala's error style; `errors` holds 422 field detail."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def _invalid(errors: dict[str, list[str]]) -> BezalaAPIError:
    return BezalaAPIError(422, "Validation failed", errors)


async def _read_fields(request: Request) -> dict[str, Any]:
    """The request body as a dict: a JSON object, or form fields with Rails-style
    `outer[inner]` keys nested (`time_balance[value]=4` -> {"time_balance": {"value": "4"}})."""
    raw = await request.body()
    if not raw.strip():
        return {}
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
        except (UnicodeDecodeError, ValueError):
            raise BezalaAPIError(400, "malformed form body") from None
        fields: dict[str, Any] = {}
        for key, value in pairs:
            match = _FORM_KEY.match(key)
            if match is None:
                fields[key] = value
                continue
            inner = fields.setdefault(match[1], {})
            if isinstance(inner, dict):
                inner[match[2]] = value
        return fields
    body = parse_json(raw)  # unreadable -> 400 (`unreadable_body_message`)
    return body if isinstance(body, dict) else {}


def _check_import(raw: Any) -> tuple[BalanceType, dt.date, Decimal]:
    """The `time_balance` hash checked as the docs describe; every problem in one 422."""
    if not isinstance(raw, dict):
        problem = "is missing" if raw is None else "must be a Hash"
        raise _invalid({"time_balance": [problem]})
    errors: dict[str, list[str]] = {}
    kind_raw, date_raw, value_raw = (raw.get(k) for k in ("balance_type", "date", "value"))

    kind: BalanceType | None = None
    if kind_raw is None or kind_raw == "":
        errors["balance_type"] = ["can't be blank"]
    elif not isinstance(kind_raw, str) or kind_raw not in {t.value for t in BalanceType}:
        errors["balance_type"] = ["must be one of: work_time, vacation"]
    else:
        kind = BalanceType(kind_raw)

    day: dt.date | None = None
    if date_raw is None or date_raw == "":
        errors["date"] = ["can't be blank"]
    elif not isinstance(date_raw, str):
        errors["date"] = ["must be a String"]
    else:
        try:
            day = dt.date.fromisoformat(date_raw) if len(date_raw) == 10 else None
        except ValueError:
            day = None
        if day is None:
            errors["date"] = ["is not a valid date (YYYY-MM-DD)"]

    value = _check_value(value_raw, kind, errors)
    if errors or kind is None or day is None or value is None:
        raise _invalid(errors)
    return kind, day, value


def _check_value(
    raw: Any, kind: BalanceType | None, errors: dict[str, list[str]]
) -> Decimal | None:
    if raw is None or raw == "":
        errors["value"] = ["can't be blank"]
        return None
    value: Decimal | None = None
    if isinstance(raw, int | float | str) and not isinstance(raw, bool):
        try:
            value = Decimal(str(raw).strip())
        except InvalidOperation:
            value = None
    if value is None or not value.is_finite():
        errors["value"] = ["must be a Numeric"]
        return None
    if exceeds(value, MAX_ABS_VALUE):
        errors["value"] = [f"must be between -{MAX_ABS_VALUE} and {MAX_ABS_VALUE}"]
        return None
    if kind is BalanceType.WORK_TIME:
        if value != value.to_integral_value():
            errors["value"] = ["must be an integer number of minutes for work_time"]
            return None
        value = Decimal(int(value))
    return value


def _param_problem(error: Mapping[str, Any]) -> str:
    """A parameter problem in the wording of the docs' validations ("Must be a Integer")."""
    kind, ctx = error.get("type"), error.get("ctx") or {}
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "must be an Integer"
    if kind == "greater_than_equal":
        return f"must be at least {ctx.get('ge')}"
    if kind == "enum":
        return "must be one of: " + ", ".join(re.findall(r"'([^']*)'", str(ctx.get("expected"))))
    return str(error.get("msg", "is invalid"))


def _field_of(loc: tuple[Any, ...]) -> str:
    named = [str(part) for part in loc if isinstance(part, str)]
    return named[-1] if named and named[-1] not in ("query", "path", "body") else "request"


@dataclass(frozen=True)
class Caller:
    """Who is calling: their tenant and the Bezala user they act as."""

    tenant: str
    user_id: int


# -- the emulator -----------------------------------------------------------------------------


class BezalaEmulator(Emulator[BezalaState]):
    """Bezala's time_balances API, in memory."""

    vendor = "bezala"
    title = "Bezala"

    def __init__(self, options: EmulatorOptions | None = None) -> None:
        # session token -> the user it logged in as (static tokens act as `token_user_id`)
        self.session_users: dict[str, int] = {}
        super().__init__(options)

    @classmethod
    def state_model(cls) -> type[BezalaState]:
        return BezalaState

    def sample_state(self) -> BezalaState:
        return sample_state()

    def error_body(self, status: int, message: str) -> Any:
        return {"error": message}

    def unreadable_body_message(self, reason: str) -> str:
        return "malformed JSON body"

    def credentials_text(self) -> list[str]:
        state = self.state_for(DEFAULT_TENANT)
        acting = state.user(state.token_user_id)
        who = f"user {state.token_user_id}" + (f", {acting.name}" if acting else "")
        lines = [
            f"token: {self.token}  (Authorization: Bearer {self.token})",
            f"the token acts as {who}: adapter option creator_id={state.token_user_id}",
        ]
        for user in state.users:
            if user.email and user.password:
                lines.append(
                    f"login: POST /api/auth/token with email {user.email} and password "
                    f"{user.password} (acts as user {user.id})"
                )
        return lines

    # -- auth -------------------------------------------------------------------------------

    def caller(self, request: Request) -> Caller:
        """The caller of a vendor route; 401 without a valid `Authorization: Bearer` token."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        token = token.strip()
        tenant = (
            (self.tenant_for(token) or self.session_tenant(token))
            if scheme.lower() == "bearer" and token
            else None
        )
        if tenant is None:
            raise BezalaAPIError(
                401, "Invalid or missing access token", headers={"WWW-Authenticate": "Bearer"}
            )
        user_id = self.session_users.get(token, self.state_for(tenant).token_user_id)
        return Caller(tenant, user_id)

    def _login(self, email: str, password: str) -> tuple[str, int] | None:
        # The default tenant first: in a fresh emulator every tenant holds the same sample
        # users, and a login reaches the default one.
        names = sorted(self.tenants, key=lambda name: (name != DEFAULT_TENANT, name))
        for name in names:
            for user in self.tenants[name].users:
                if user.email == email and user.password is not None and user.password == password:
                    return name, user.id
        return None

    # -- routes -----------------------------------------------------------------------------

    def balances(self, state: BezalaState, as_of: dt.date) -> list[EmulatedBalance]:
        """Per user and balance type, the latest import dated on or before `as_of` (its value
        holds as of the end of its date [seed]); a later import is not in effect yet."""
        latest: dict[tuple[int, BalanceType], StoredTimeBalance] = {}
        for record in state.time_balances:
            if record.date > as_of:
                continue
            key = (record.user_id, record.balance_type)
            current = latest.get(key)
            if current is None or (record.date, record.id) > (current.date, current.id):
                latest[key] = record
        return [
            EmulatedBalance(
                employee=str(r.user_id),
                leave_type=r.balance_type.value,
                unit=r.units,
                remaining=r.value,
                as_of=r.date,
            )
            for r in latest.values()
        ]

    def add_routes(self, app: FastAPI) -> None:
        declare(app, OPENAPI, _SCHEMA_MODELS)
        self._add_error_handlers(app)
        authenticated = Depends(self.caller)

        def user_state(caller: Caller, user_id: int) -> BezalaState:
            state = self.state_for(caller.tenant)
            if state.user(user_id) is None:
                raise BezalaAPIError(404, "User not found")
            return state

        @app.post("/api/auth/token", tags=["auth"])
        async def login(request: Request) -> JSONResponse:
            """Exchange email and password for a token (ASSUMED answer shape)."""
            fields = await _read_fields(request)
            email, password = fields.get("email"), fields.get("password")
            errors = {
                name: ["can't be blank"]
                for name, value in (("email", email), ("password", password))
                if not isinstance(value, str) or not value
            }
            if errors or not isinstance(email, str) or not isinstance(password, str):
                raise _invalid(errors)
            found = self._login(email, password)
            if found is None:
                raise BezalaAPIError(401, "Invalid email or password")
            tenant, user_id = found
            token = self.issue_session(tenant)
            self.session_users[token] = user_id
            return JSONResponse({"token": token, "expires_in": SESSION_SECONDS})

        @app.get("/api/users", tags=["users"])
        async def list_users(
            caller: Caller = authenticated,
            page: Annotated[int, Query(ge=1)] = 1,
            per_page: Annotated[int, Query(ge=1, le=1000)] = 50,
        ) -> JSONResponse:
            """The organisation's users, by id. ASSUMED: Bezala's list conventions [docs]
            (a plain JSON array, `page`/`per_page`, the last page is the short one); the fields
            are id, name, email and external_id."""
            users = sorted(self.state_for(caller.tenant).users, key=lambda u: u.id)
            start = (page - 1) * per_page
            return JSONResponse([u.render() for u in users[start : start + per_page]])

        @app.get("/api/users/{user_id}/time_balances", tags=["time_balances"])
        async def list_time_balances(
            user_id: int,
            caller: Caller = authenticated,
            balance_type: BalanceType | None = None,
            page: Annotated[int, Query(ge=1)] = 1,
            per_page: Annotated[int, Query(ge=1)] = 50,
            sort_by: str = "date",
            order: SortOrder = SortOrder.DESC,
        ) -> JSONResponse:
            """The user's imported balances, filtered, sorted and paginated."""
            if sort_by not in SORT_FIELDS:
                raise _invalid({"sort_by": [f"must be one of: {', '.join(SORT_FIELDS)}"]})
            state = user_state(caller, user_id)
            records = [
                b
                for b in state.time_balances
                if b.user_id == user_id and (balance_type is None or b.balance_type is balance_type)
            ]
            # ASSUMED: equal sort values are ordered by id, in the same direction.
            records.sort(key=lambda b: (b.sort_key(sort_by), b.id), reverse=order is SortOrder.DESC)
            start = (page - 1) * per_page
            # ASSUMED: an empty list still has one (empty) page, as will_paginate counts.
            total_pages = max(1, math.ceil(len(records) / per_page))
            return JSONResponse(
                {
                    "collection": [b.render() for b in records[start : start + per_page]],
                    "pagination": {
                        "current_page": page,
                        "total_pages": total_pages,
                        "total_count": len(records),
                    },
                }
            )

        @app.get("/api/users/{user_id}/time_balances/latest", tags=["time_balances"])
        async def latest_time_balance(
            user_id: int, caller: Caller = authenticated, balance_type: BalanceType | None = None
        ) -> JSONResponse:
            """The latest import (of `balance_type`), or `{}` when there is none."""
            state = user_state(caller, user_id)
            records = [
                b
                for b in state.time_balances
                if b.user_id == user_id and (balance_type is None or b.balance_type is balance_type)
            ]
            # ASSUMED: "latest" is the latest `date`; imports on the same date by highest id.
            latest = max(records, key=lambda b: (b.date, b.id), default=None)
            return JSONResponse({} if latest is None else latest.render())

        @app.post("/api/users/{user_id}/time_balances", status_code=201, tags=["time_balances"])
        async def import_time_balance(
            user_id: int, request: Request, caller: Caller = authenticated
        ) -> JSONResponse:
            """Import a balance as of the end of `time_balance[date]`; 201 with the record."""
            fields = await _read_fields(request)
            # No await from here on: the change below is atomic on the event loop.
            state = user_state(caller, user_id)
            kind, day, value = _check_import(fields.get("time_balance"))
            creator = state.user(caller.user_id)
            record = StoredTimeBalance(
                id=state.new_id(),
                user_id=user_id,
                balance_type=kind,
                date=day,
                value=value,
                creator_id=caller.user_id,
                creator_name=creator.name if creator else f"User {caller.user_id}",
            )
            # ASSUMED: a second import for the same date is stored beside the first (Bezala
            # documents no update; corrections are delete + post).
            state.time_balances.append(record)
            return JSONResponse(record.render(), status_code=201)

        @app.delete(
            "/api/users/{user_id}/time_balances/{id}", status_code=204, tags=["time_balances"]
        )
        async def delete_time_balance(
            user_id: int, id: int, caller: Caller = authenticated
        ) -> Response:
            """Delete one import; 204 with no body (ASSUMED)."""
            state = user_state(caller, user_id)
            for index, record in enumerate(state.time_balances):
                if record.id == id and record.user_id == user_id:
                    del state.time_balances[index]
                    return Response(status_code=204)
            raise BezalaAPIError(404, "Time balance not found")

    def _add_error_handlers(self, app: FastAPI) -> None:
        async def vendor_error(request: Request, exc: Exception) -> JSONResponse:
            assert isinstance(exc, BezalaAPIError)
            return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)

        async def invalid_params(request: Request, exc: Exception) -> JSONResponse:
            # ASSUMED: path/query validation answers 422 with field detail, like body checks.
            assert isinstance(exc, RequestValidationError)
            errors: dict[str, list[str]] = {}
            for error in exc.errors():
                field = _field_of(tuple(error.get("loc", ())))
                errors.setdefault(field, []).append(_param_problem(error))
            return JSONResponse(_invalid(errors).body(), status_code=422)

        async def http_error(request: Request, exc: Exception) -> JSONResponse:
            assert isinstance(exc, StarletteHTTPException)
            message = exc.detail if isinstance(exc.detail, str) else "error"
            return JSONResponse(
                {"error": message}, status_code=exc.status_code, headers=exc.headers
            )

        app.add_exception_handler(BezalaAPIError, vendor_error)
        app.add_exception_handler(RequestValidationError, invalid_params)
        app.add_exception_handler(StarletteHTTPException, http_error)


_CREDENTIALS_BODY = {
    "type": "object",
    "properties": {"email": {"type": "string"}, "password": {"type": "string"}},
    "required": ["email", "password"],
}
_USER = "/api/users/{user_id}/time_balances"
# [seed] the shapes of the answers, as the SDK parses them (adapters/bezala/models.py).
OPENAPI = {
    ("POST", "/api/auth/token"): Operation({200: AuthToken}, request=_CREDENTIALS_BODY),
    ("GET", "/api/users"): Operation({200: UserList}),
    ("GET", _USER): Operation({200: TimeBalancePage}, examples={"user_id": 819}),
    ("GET", _USER + "/latest"): Operation(
        # [seed] an empty object when there is no import of that type yet.
        {200: {"anyOf": [{"$ref": "#/components/schemas/TimeBalance"}, {"maxProperties": 0}]}},
        examples={"user_id": 819},
    ),
    ("POST", _USER): Operation(
        {201: TimeBalance},
        request={
            "type": "object",
            "properties": {"time_balance": {"$ref": "#/components/schemas/TimeBalanceParams"}},
            "required": ["time_balance"],
        },
        examples={"user_id": 819},
    ),
    ("DELETE", _USER + "/{id}"): Operation({204: None}, examples={"user_id": 819, "id": 1}),
}
_SCHEMA_MODELS = (TimeBalance, TimeBalanceParams)


def build_emulator(options: EmulatorOptions) -> BezalaEmulator:
    """A fresh Bezala emulator (sample dataset) configured by `options`."""
    return BezalaEmulator(options)
