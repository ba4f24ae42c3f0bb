"""The CompanyFlow SDK: sync `Client` and async `AsyncClient` over one pure core.

CompanyFlow (an HRMS) answers leave balances read-only, in days with one decimal place:

    login()                       POST /auth/login {email, password} -> JWT (24 h) [docs]
    get_balance(type, year)       GET /leave-balance/{leave_type_id}?year= [seed]
    check_balance(type, year)     GET /leave-balance?leaveTypeId=&year=    [docs]
    employee_balances(emp, year)  GET /employees/{employee_id}/leave-balances?year= [docs]
    list_leave_types(company)     GET /companies/{company_id}/leave-types?page=&pageSize= [docs]

`get_balance` and `check_balance` answer for the employee the token belongs to (the JWT's
subject); `employee_balances` needs a manager or admin token for anyone else. Every success is
unwrapped from `{"success": true, "data": ...}`; an error status becomes the typed error of
`adapters._core.errors` (CompanyFlow answers role failures with 401, so they arrive as
`AuthenticationError`). Arguments are checked before anything is sent: `year` an integer in
2020..2100, ids UUIDs, `page_size` 1..100; a broken one raises `RequestValidationError`
naming the field.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar, Unpack

import httpx
from pydantic import BaseModel

from balance_gateway.adapters._core.auth import LoginAuth, StaticTokenAuth, TokenGrant
from balance_gateway.adapters._core.client import (
    AsyncAPIClient,
    BaseClient,
    ClientOptions,
    SyncAPIClient,
)
from balance_gateway.adapters._core.errors import (
    RequestValidationError,
)
from balance_gateway.adapters._core.jsonbody import loads_json
from balance_gateway.adapters._core.operations import (
    Call,
    Login,
    Pages,
    numbered_pages,
    operation,
    paginated,
)
from balance_gateway.adapters._core.pagination import (
    Page,
)
from balance_gateway.adapters._core.secrets import Secret, as_secret, register_secret
from balance_gateway.adapters._core.validation import check_int, check_uuid
from balance_gateway.adapters.companyflow.models import (
    AvailableResponse,
    BalanceListResponse,
    BalanceResponse,
    EmployeePage,
    EmployeeRecord,
    Envelope,
    LeaveBalance,
    LeaveType,
    LeaveTypePage,
    LoginData,
    LoginResponse,
)

DEFAULT_BASE_URL = "https://api.companyflow.com"
MIN_YEAR = 2020  # [seed] "between 2020 and 2100"
MAX_YEAR = 2100
DEFAULT_PAGE_SIZE = 10  # [docs]
MAX_PAGE_SIZE = 100  # [docs]
LOGIN_PATH = "auth/login"

M = TypeVar("M", bound=BaseModel)
D = TypeVar("D")
R = TypeVar("R")


class CompanyFlowLoginAuth(LoginAuth):
    """`POST /auth/login {email, password}` -> a JWT sent as `Authorization: Bearer <jwt>`.

    The token is cached until shortly before `expires_in` runs out (24 h [docs]) and renewed
    once when a request answers 401.
    """

    def __init__(
        self,
        login_url: str | httpx.URL,
        email: str | Secret,
        password: str | Secret,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(clock=clock)
        self._login_url = httpx.URL(str(login_url))
        self._email = as_secret(email)
        self._password = as_secret(password)

    def build_login_request(self, base: httpx.URL) -> httpx.Request:
        body = {"email": self._email.reveal(), "password": self._password.reveal()}
        return httpx.Request(
            "POST", self._login_url, json=body, headers={"Accept": "application/json"}
        )

    def parse_login_response(self, response: httpx.Response) -> TokenGrant:
        # ASSUMED: {"success": true, "data": {"token": "<jwt>", "expires_in": 86400, ...}}.
        data = loads_json(response.content)["data"]
        token = data["token"]
        if not isinstance(token, str) or not token:
            raise ValueError("no token in the login response")
        register_secret(token)  # the bare JWT, too, is masked wherever it turns up
        expires_in = data.get("expires_in")
        expires_at = (
            self._clock() + timedelta(seconds=int(expires_in))
            if isinstance(expires_in, int) and not isinstance(expires_in, bool)
            else None
        )
        return TokenGrant(header_value=Secret(f"Bearer {token}"), expires_at=expires_at)


def check_year(year: object) -> int:
    """`year`: an integer in 2020..2100 [seed]."""
    return check_int("year", year, minimum=MIN_YEAR, maximum=MAX_YEAR)


class _CompanyFlowBase(BaseClient):
    """Pure request building and response parsing shared by `Client` and `AsyncClient`."""

    vendor = "companyflow"

    # -- auth ---------------------------------------------------------------------------------

    def _make_auth(
        self,
        token: str | Secret | None,
        email: str | Secret | None,
        password: str | Secret | None,
    ) -> httpx.Auth:
        """Static `token`, or a login with `email` and `password` (seeded with `token` when
        both are given, so that the token is used first and renewed by logging in)."""
        if (email is None) != (password is None):
            missing = "password" if password is None else "email"
            raise RequestValidationError(missing, "email and password are needed together")
        if email is not None and password is not None:
            auth = CompanyFlowLoginAuth(self.base_url.join(LOGIN_PATH), email, password)
            if token is not None:
                auth.set_grant(TokenGrant(Secret(f"Bearer {as_secret(token).reveal()}")))
            return auth
        if token is None:
            raise RequestValidationError(
                "token", "give a token=, or email= and password= to log in"
            )
        return StaticTokenAuth(token, "Bearer")

    def _login_auth(self) -> CompanyFlowLoginAuth:
        if not isinstance(self.auth, CompanyFlowLoginAuth):
            raise RequestValidationError(
                "email", "login() needs the client to be built with email= and password="
            )
        return self.auth

    def _accept_login(self, response: httpx.Response) -> LoginData:
        """Install the token of a login response; `LoginError` when the login was refused."""
        self._login_auth().accept_login_response(response)
        return self._parse_envelope(response, LoginResponse).data

    # -- requests -----------------------------------------------------------------------------

    @staticmethod
    def _balance_path(leave_type_id: str) -> str:
        return f"leave-balance/{check_uuid('leave_type_id', leave_type_id)}"

    @staticmethod
    def _check_params(leave_type_id: str, year: int) -> dict[str, Any]:
        return {
            "leaveTypeId": check_uuid("leave_type_id", leave_type_id),
            "year": check_year(year),
        }

    @staticmethod
    def _employee_path(employee_id: str) -> str:
        return f"employees/{check_uuid('employee_id', employee_id)}/leave-balances"

    @staticmethod
    def _company_list(
        company_id: str, listing: str, page: int, page_size: int, size_param: str
    ) -> tuple[str, Any]:
        """The path and query of one page of a company's `listing`; the page size goes in
        `size_param` (CompanyFlow names it differently per list [docs])."""
        path = f"companies/{check_uuid('company_id', company_id)}/{listing}"
        params = {
            "page": check_int("page", page, minimum=1),
            size_param: check_int("page_size", page_size, minimum=1, maximum=MAX_PAGE_SIZE),
        }
        return path, params

    @classmethod
    def _employees_request(cls, company_id: str, page: int, page_size: int) -> tuple[str, Any]:
        return cls._company_list(company_id, "employees", page, page_size, "page_size")

    @staticmethod
    def _employee_page(page: EmployeePage) -> Page[EmployeeRecord]:
        return Page(page.data.employees, page.data.pagination.next_page())

    @classmethod
    def _leave_types_request(cls, company_id: str, page: int, page_size: int) -> tuple[str, Any]:
        return cls._company_list(company_id, "leave-types", page, page_size, "pageSize")

    # -- responses ----------------------------------------------------------------------------

    def _parse_envelope(self, response: httpx.Response, model: type[M]) -> M:
        """Strictly parse a `{"success": true, ...}` body; a 2xx that says `success: false`
        raises `ResponseParseError` with the vendor's error text (`json_body`)."""
        return self.parse(response, model, self.json_body(response))

    @staticmethod
    def _leave_type_page(page: LeaveTypePage) -> Page[LeaveType]:
        return Page(page.data, page.next_page())


class _CompanyFlowOperations(_CompanyFlowBase):
    """Every CompanyFlow operation, described once (`operations`): `Client` sends them
    blocking, `AsyncClient` awaits them.

    Authenticate with a static `token=` (a JWT obtained elsewhere) or with `email=` and
    `password=` (logs in on first use and again when the token expires or a request answers
    401). `http_client` / `transport` route requests elsewhere (tests, emulators).
    """

    def __init__(
        self,
        base_url: str | httpx.URL = DEFAULT_BASE_URL,
        *,
        token: str | Secret | None = None,
        email: str | Secret | None = None,
        password: str | Secret | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(
            base_url=base_url,
            **options,
        )
        self.auth = self._make_auth(token, email, password)

    @operation
    def login(self) -> Login[LoginData]:
        """Log in now with the client's email and password and use the new token from here on.

        Returns the grant (the token is a `SecretStr`, `expires_in` in seconds, the user).
        Raises `LoginError` (a 401 `AuthenticationError`) when the credentials are refused and
        `RequestValidationError` when the client has no email/password.
        """
        return Login(self._login_auth(), parse=self._accept_login)

    @operation
    def get_balance(self, leave_type_id: str, year: int) -> Call[LeaveBalance]:
        """The token's own employee's balance breakdown for one leave type and year, in days
        (`total_days`, `used_days`, `pending_days`, `available_days`, `carried_forward_days`).

        Raises `NotFoundError` when the leave type or the balance for that year does not exist,
        `AuthenticationError` for a missing/expired token or a role without access.
        """
        path = self._balance_path(leave_type_id)
        params = {"year": check_year(year)}
        return Call("GET", path, params=params, parse=self._data(BalanceResponse))

    @operation
    def check_balance(self, leave_type_id: str, year: int) -> Call[Decimal]:
        """The token's own employee's *available* days for one leave type and year.

        Raises as `get_balance`.
        """
        params = self._check_params(leave_type_id, year)
        return Call("GET", "leave-balance", params=params, parse=self._data(AvailableResponse))

    @operation
    def employee_balances(self, employee_id: str, year: int) -> Call[list[LeaveBalance]]:
        """Every balance of one employee for `year` (all leave types; days).

        Needs a manager or admin token for another employee: otherwise `AuthenticationError`
        (CompanyFlow answers role failures with 401). `NotFoundError` for an unknown employee.
        """
        path = self._employee_path(employee_id)
        params = {"year": check_year(year)}
        return Call("GET", path, params=params, parse=self._data(BalanceListResponse))

    @operation
    def list_leave_types(
        self, company_id: str, *, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Call[LeaveTypePage]:
        """One page of a company's leave types (`page` from 1, `page_size` 1..100)."""
        path, params = self._leave_types_request(company_id, page, page_size)
        return Call(
            "GET",
            path,
            params=params,
            parse=lambda response: self._parse_envelope(response, LeaveTypePage),
        )

    @paginated
    def iter_leave_types(
        self, company_id: str, *, page_size: int = MAX_PAGE_SIZE
    ) -> Pages[LeaveType]:
        """Every leave type of a company, fetching pages lazily as they are reached."""
        return numbered_pages(
            lambda number: self._page_call(
                self._leave_types_request(company_id, number, page_size),
                LeaveTypePage,
                self._leave_type_page,
            )
        )

    @paginated
    def iter_employees(
        self, company_id: str, *, page_size: int = MAX_PAGE_SIZE
    ) -> Pages[EmployeeRecord]:
        """Every employee of a company (`GET /companies/{company_id}/employees` [docs]; needs
        an HR-manager or admin login), fetching pages lazily."""
        return numbered_pages(
            lambda number: self._page_call(
                self._employees_request(company_id, number, page_size),
                EmployeePage,
                self._employee_page,
            )
        )

    def _page_call(
        self, request: tuple[str, Any], model: type[M], to_page: Callable[[M], Page[R]]
    ) -> Call[Page[R]]:
        path, params = request
        return Call(
            "GET", path, params=params, parse=lambda r: to_page(self._parse_envelope(r, model))
        )

    def _data(self, model: type[Envelope[D]]) -> Callable[[httpx.Response], D]:
        """The parser of an operation answering `{"success": true, "data": ...}`: its data."""
        return lambda response: self._parse_envelope(response, model).data


class Client(_CompanyFlowOperations, SyncAPIClient):
    """Blocking CompanyFlow client (every operation: see `_CompanyFlowOperations`)."""


class AsyncClient(_CompanyFlowOperations, AsyncAPIClient):
    """Asyncio CompanyFlow client: the same operations, awaited; the iterators are async."""


__all__ = [
    "DEFAULT_BASE_URL",
    "MAX_PAGE_SIZE",
    "MAX_YEAR",
    "MIN_YEAR",
    "AsyncClient",
    "Client",
    "CompanyFlowLoginAuth",
    "check_year",
]
