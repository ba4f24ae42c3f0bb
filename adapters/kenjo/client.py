"""Kenjo SDK: `Client` (blocking) and `AsyncClient` (asyncio) over one pure core, `_KenjoBase`.

Kenjo sets a time-off balance: `PUT /api/v1/time-off/set-balance/{timeOffTypeId}/{employeeId}`
with the *remaining* balance in the type's unit (days or hours) [seed]. Nothing reads a balance
back. The reads here are the ones an integration needs to find ids: employees and time-off
requests.

Authentication [docs]: `POST /api/v1/auth/login {"apiKey": ...}` answers
`{"token": "Bearer ...", "X-Expires-After": "<ISO datetime>"}`; the token already carries its
`Bearer ` prefix and goes into `Authorization` as it is. Give the client `api_key=` to log in
on first use and again when the token expires or a request answers 401, or `token=` for a
session token obtained elsewhere (the `Bearer ` prefix is added when missing), or both (the
token is used until it fails, then the API key logs in).

Every method checks its arguments before sending anything (`RequestValidationError` naming the
argument) and raises the typed errors of `adapters._core.errors` for error statuses.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypedDict, Unpack

import httpx

from balance_gateway.adapters._core.auth import LoginAuth, StaticTokenAuth, TokenGrant
from balance_gateway.adapters._core.client import (
    DEFAULT_TIMEOUT,
    USER_AGENT,
    AsyncAPIClient,
    BaseClient,
    ClientOptions,
    SyncAPIClient,
)
from balance_gateway.adapters._core.errors import RequestValidationError
from balance_gateway.adapters._core.jsonbody import loads_json
from balance_gateway.adapters._core.operations import (
    Call,
    Done,
    Login,
    Pages,
    numbered_pages,
    operation,
    paginated,
)
from balance_gateway.adapters._core.pagination import Page
from balance_gateway.adapters._core.secrets import Secret, as_secret, register_secret
from balance_gateway.adapters._core.validation import (
    check_date,
    check_date_range,
    check_int,
    check_json_number,
    check_max_length,
    check_number,
    check_object_id,
)
from balance_gateway.adapters.kenjo.models import (
    Employee,
    EmployeeList,
    LoginResponse,
    SetBalanceRequest,
    TimeOffBalance,
    TimeOffRequest,
    TimeOffRequestPage,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "MAX_DESCRIPTION_LENGTH",
    "MAX_WINDOW_DAYS",
    "PAGE_LIMITS",
    "SANDBOX_BASE_URL",
    "AsyncClient",
    "Client",
    "KenjoLoginAuth",
    "TimeOffFilters",
]

DEFAULT_BASE_URL = "https://api.kenjo.io"
SANDBOX_BASE_URL = "https://sandbox-api.kenjo.io"

LOGIN_PATH = "api/v1/auth/login"
LOGOUT_PATH = "api/v1/auth/logout"
EMPLOYEES_PATH = "api/v1/employees"
TIME_OFF_REQUESTS_PATH = "api/v1/time-off/requests"
SET_BALANCE_PATH = "api/v1/time-off/set-balance/{time_off_type_id}/{employee_id}"

MAX_DESCRIPTION_LENGTH = 1000  # [seed]
MAX_WINDOW_DAYS = 92  # [docs] time-off requests: from..to, both days included
PAGE_LIMITS = (25, 50, 100)  # [docs]
BEARER = "Bearer "


class TimeOffFilters(TypedDict, total=False):
    """Which time-off requests a list answers, every filter optional: `user_id` and
    `time_off_type_id` ObjectIds, `status` Kenjo's status name, `limit` the page size: 25, 50
    (Kenjo's default) or 100."""

    user_id: str | None
    time_off_type_id: str | None
    status: str | None
    limit: int | None


def bearer_header(token: str | Secret) -> Secret:
    """The `Authorization` value for a Kenjo token, adding `Bearer ` when it is missing."""
    raw = as_secret(token).reveal()
    # The bare token is as secret as the header: mask it too wherever it turns up (a 401 body
    # that repeats it), not only in its "Bearer ..." form.
    register_secret(raw.removeprefix(BEARER).strip())
    return Secret(raw if raw.startswith(BEARER) else BEARER + raw)


def _parse_expiry(value: object) -> datetime:
    if not isinstance(value, str):
        raise TypeError("X-Expires-After is not a string")
    parsed = datetime.fromisoformat(value)
    if parsed.utcoffset() is None:
        raise ValueError("X-Expires-After has no timezone")
    return parsed


class KenjoLoginAuth(LoginAuth):
    """Logs in with an API key; the grant lives until `X-Expires-After` (renewed a minute
    early) or until a request answers 401."""

    def __init__(
        self,
        api_key: str | Secret,
        login_url: httpx.URL,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(clock=clock)
        self._api_key = as_secret(api_key)
        self._login_url = login_url
        self._timeout = timeout

    def build_login_request(self, base: httpx.URL) -> httpx.Request:
        return httpx.Request(
            "POST",
            self._login_url,
            json={"apiKey": self._api_key.reveal()},
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            extensions={"timeout": self._timeout.as_dict()},
        )

    def parse_login_response(self, response: httpx.Response) -> TokenGrant:
        body = loads_json(response.content)
        return TokenGrant(
            header_value=bearer_header(body["token"]),
            expires_at=_parse_expiry(body["X-Expires-After"]),
        )


def _build_auth(
    base_url: httpx.URL,
    token: str | Secret | None,
    api_key: str | Secret | None,
    timeout: httpx.Timeout,
    now: Callable[[], datetime] | None,
) -> httpx.Auth | None:
    if api_key is not None:
        auth = KenjoLoginAuth(api_key, base_url.join(LOGIN_PATH), timeout=timeout, clock=now)
        if token is not None:
            # A token from elsewhere: use it until Kenjo refuses it, then log in.
            auth.set_grant(TokenGrant(header_value=bearer_header(token)))
        return auth
    if token is not None:
        return StaticTokenAuth(bearer_header(token), scheme="")
    return None


class _KenjoBase(BaseClient):
    """Every Kenjo operation, described once (`operations`): `Client` sends them blocking,
    `AsyncClient` awaits them.

    `Client(base_url, api_key="...")` logs in on first use; `Client(base_url, token="...")`
    uses a session token as it is. Pass `http_client` or `transport` to route requests
    elsewhere (tests, the emulator), `retry` to change the retry budget, and `now` to give
    token expiry a different clock.
    """

    vendor = "kenjo"

    def __init__(
        self,
        base_url: str | httpx.URL = DEFAULT_BASE_URL,
        *,
        token: str | Secret | None = None,
        api_key: str | Secret | None = None,
        now: Callable[[], datetime] | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(
            base_url=base_url,
            **options,
        )
        self._now = now
        self.auth = _build_auth(self.base_url, token, api_key, self.timeout, now)

    @operation
    def login(self, api_key: str | Secret | None = None) -> Login[LoginResponse]:
        """Log in with `api_key` (default: the client's own) and use the session from now on.

        Returns Kenjo's answer (the token and when it expires). Raises `LoginError` (a 401
        `AuthenticationError`) when Kenjo refuses the key, `RequestValidationError` when the
        client has no API key.
        """
        auth = self._login_auth(api_key)
        return Login(auth, parse=functools.partial(self._accept_login, auth))

    @operation
    def logout(self) -> Done[None] | Call[None]:
        """End the session (`POST /api/v1/auth/logout`); the next request logs in again when
        the client has an API key. Does nothing when no session was opened yet."""
        if not self._has_session():
            return Done(None)
        return Call("POST", LOGOUT_PATH, idempotent=True, parse=lambda _: self._forget_session())

    @operation
    def set_balance(
        self,
        time_off_type_id: str,
        employee_id: str,
        balance: Decimal | int | float | str,
        description: str | None = None,
    ) -> Call[TimeOffBalance]:
        """Set the *remaining* balance of one employee for one time-off type.

        `balance` is in the type's unit (days or hours) and may be negative. Kenjo then sets
        `totalAllowance = balance + taken`, and shows `available = balance - planned`; the
        change is written to the time-off history with `description` (at most 1000
        characters). Setting the same value twice is harmless but adds a history entry.

        Raises `RequestValidationError` (nothing sent) for ids that are not ObjectIds, a
        balance that is not a finite number, a description over 1000 characters;
        `NotFoundError` when the type or employee is unknown or the employee is not assigned
        to the type; `PermissionDeniedError` when the key may not adjust balances.
        """
        path, body = self._set_balance_call(time_off_type_id, employee_id, balance, description)
        return Call("PUT", path, json=body, parse=self._parse_balance)

    @operation
    def list_employees(self) -> Call[EmployeeList]:
        """Every employee (`GET /api/v1/employees`, one unpaginated list)."""
        return Call("GET", EMPLOYEES_PATH, parse=self.expect(EmployeeList))

    @paginated
    def iter_employees(self) -> Pages[Employee]:
        """Every employee, one at a time (one request: the list is not paginated)."""
        return Pages(
            lambda _cursor: Call(
                "GET",
                EMPLOYEES_PATH,
                parse=lambda response: Page(self.parse(response, EmployeeList).data, None),
            )
        )

    @operation
    def list_time_off_requests(
        self,
        from_date: date | str,
        to_date: date | str,
        *,
        offset: int | None = None,
        **filters: Unpack[TimeOffFilters],
    ) -> Call[TimeOffRequestPage]:
        """One page of time-off requests between `from_date` and `to_date` (both included, at
        most 92 days), filtered by `TimeOffFilters`. `offset` is the page number (Kenjo's
        default 1). Raises `RequestValidationError` before sending when an argument breaks
        these rules."""
        params = self._requests_params(from_date, to_date, offset, **filters)
        return Call(
            "GET", TIME_OFF_REQUESTS_PATH, params=params, parse=self.expect(TimeOffRequestPage)
        )

    @paginated
    def iter_time_off_requests(
        self, from_date: date | str, to_date: date | str, **filters: Unpack[TimeOffFilters]
    ) -> Pages[TimeOffRequest]:
        """Every matching time-off request (as `list_time_off_requests`), walking the pages
        lazily from page 1."""
        first = self._requests_params(from_date, to_date, 1, **filters)

        return numbered_pages(
            lambda number: Call(
                "GET",
                TIME_OFF_REQUESTS_PATH,
                params={**first, "offset": number},
                parse=lambda response: self._page(self.parse(response, TimeOffRequestPage)),
            )
        )

    def _login_auth(self, api_key: str | Secret | None) -> KenjoLoginAuth:
        """The login flow an explicit `login()` uses: a new one for `api_key`, else the
        client's own."""
        if api_key is not None:
            return KenjoLoginAuth(
                api_key, self.base_url.join(LOGIN_PATH), timeout=self.timeout, clock=self._now
            )
        if isinstance(self.auth, KenjoLoginAuth):
            return self.auth
        raise RequestValidationError(
            "api_key", "logging in needs an API key: pass api_key= to the client or to login()"
        )

    def _accept_login(self, auth: KenjoLoginAuth, response: httpx.Response) -> LoginResponse:
        auth.accept_login_response(response)  # raises LoginError when refused
        parsed = self.parse(response, LoginResponse)
        self.auth = auth
        return parsed

    def _has_session(self) -> bool:
        return not (isinstance(self.auth, LoginAuth) and self.auth.grant is None)

    def _forget_session(self) -> None:
        if isinstance(self.auth, LoginAuth):
            self.auth.set_grant(None)

    @staticmethod
    def _set_balance_call(
        time_off_type_id: str, employee_id: str, balance: object, description: str | None
    ) -> tuple[str, dict[str, Any]]:
        type_id = check_object_id("time_off_type_id", time_off_type_id)
        emp_id = check_object_id("employee_id", employee_id)
        value = check_json_number("balance", check_number("balance", balance))
        if description is not None:
            check_max_length("description", description, MAX_DESCRIPTION_LENGTH)
        body = SetBalanceRequest(balance=value, description=description)
        path = SET_BALANCE_PATH.format(time_off_type_id=type_id, employee_id=emp_id)
        return path, body.to_json()

    def _parse_balance(self, response: httpx.Response) -> TimeOffBalance:
        # ASSUMED: Kenjo documents no body; an empty one still means the write succeeded.
        if not response.content.strip():
            return TimeOffBalance()
        return self.parse(response, TimeOffBalance)

    @staticmethod
    def _requests_params(
        from_date: date | str,
        to_date: date | str,
        offset: int | None,
        *,
        user_id: str | None = None,
        time_off_type_id: str | None = None,
        status: str | None = None,
        limit: int | None = None,
    ) -> dict[str, str | int | None]:
        start = check_date("from_date", from_date)
        end = check_date("to_date", to_date)
        check_date_range("from_date", start, end, max_days=MAX_WINDOW_DAYS)
        if user_id is not None:
            check_object_id("user_id", user_id)
        if time_off_type_id is not None:
            check_object_id("time_off_type_id", time_off_type_id)
        if status is not None and (not isinstance(status, str) or not status):
            raise RequestValidationError("status", f"must be a non-empty string, got {status!r}")
        if offset is not None:
            check_int("offset", offset, minimum=1)
        if limit is not None:
            check_int("limit", limit)
            if limit not in PAGE_LIMITS:
                allowed = ", ".join(str(n) for n in PAGE_LIMITS)
                raise RequestValidationError("limit", f"must be one of {allowed}, got {limit}")
        return {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "userId": user_id,
            "timeOffTypeId": time_off_type_id,
            "status": status,
            "offset": offset,
            "limit": limit,
        }

    @staticmethod
    def _page(page: TimeOffRequestPage) -> Page[TimeOffRequest]:
        return Page(items=page.data, next_cursor=page.next_offset())


class Client(_KenjoBase, SyncAPIClient):
    """Blocking Kenjo client (every operation: see `_KenjoBase`)."""


class AsyncClient(_KenjoBase, AsyncAPIClient):
    """Asyncio Kenjo client: the same operations, awaited; the iterators are async."""
