"""The Bezala SDK: imported work-time and vacation balances (`/api/users/:user_id/time_balances`).

    with Client(token="...") as bezala:
        for record in bezala.iter_time_balances(819, balance_type="vacation"):
            print(record.date, record.value, record.units)

`_BezalaBase` holds the pure logic (argument checks, paths, query and body building, page
parsing); `Client` and `AsyncClient` are thin loops over it. Every documented constraint is
checked before a request is sent and a broken one raises `RequestValidationError` naming the
argument: `user_id`/`id` integers, `balance_type` in {work_time, vacation}, `order` in
{asc, desc}, `date` a real calendar date, work_time `value` whole minutes, `page`/`per_page`
positive integers. Vendor answers raise the `adapters._core.errors` tree (`AuthenticationError`
401, `NotFoundError` 404, `UnprocessableError` 422, `RateLimitError` 429, `ServerError` 5xx);
an import whose fate is unknown raises `WriteOutcomeUnknown`.

Auth: a static token (`token=`) or a login with `email=` and `password=` through
`POST /api/auth/token`; either way requests carry `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable
from decimal import Decimal
from typing import Any, TypedDict, TypeVar, Unpack

import httpx

from balance_gateway.adapters._core.auth import LoginAuth, StaticTokenAuth, TokenGrant
from balance_gateway.adapters._core.client import (
    AsyncAPIClient,
    BaseClient,
    ClientOptions,
    SyncAPIClient,
    base_url_of,
)
from balance_gateway.adapters._core.errors import (
    GatewayError,
    PaginationError,
    RequestValidationError,
)
from balance_gateway.adapters._core.jsonbody import loads_json
from balance_gateway.adapters._core.operations import Call, Login, Pages, operation, paginated
from balance_gateway.adapters._core.pagination import (
    Page,
    next_page_number,
)
from balance_gateway.adapters._core.secrets import Secret, as_secret, register_secret
from balance_gateway.adapters._core.validation import (
    check_choice,
    check_date,
    check_int,
    check_json_number,
    check_number,
    check_whole,
)

# Moved to the shared core; still importable from here.
from balance_gateway.adapters._core.validation import check_integer_id as check_integer_id
from balance_gateway.adapters.bezala.models import (
    AuthToken,
    BalanceType,
    SortOrder,
    TimeBalance,
    TimeBalancePage,
    TimeBalanceParams,
    User,
    UserList,
)

T = TypeVar("T")
USERS_PATH = "api/users"

DEFAULT_BASE_URL = "https://app.bezala.com"
LOGIN_PATH = "api/auth/token"
DEFAULT_PER_PAGE = 50  # [seed] per_page default

Query = dict[str, str | int | None]


class TimeBalanceQuery(TypedDict, total=False):
    """Which imports a list answers and in what order, all optional: `balance_type`
    work_time or vacation, `per_page` a positive page size (Bezala's default 50), `sort_by`
    a field (default `date`), `order` asc or desc (default desc)."""

    balance_type: str | None
    per_page: int | None
    sort_by: str | None
    order: str | None


# -- argument checks --------------------------------------------------------------------------


def check_balance_type(value: object, field: str = "balance_type") -> BalanceType:
    """`work_time` or `vacation`."""
    return BalanceType(check_choice(field, value, [t.value for t in BalanceType]))


def check_value(balance_type: BalanceType, value: object) -> Decimal:
    """An import value: whole minutes for work_time, days (fractions allowed) for vacation.

    The value also has to survive the trip through a JSON number unchanged.
    """
    number = check_number("value", value)
    if balance_type is BalanceType.WORK_TIME:
        if number != number.to_integral_value():
            raise RequestValidationError(
                "value",
                f"work_time is counted in whole minutes, got {number}; round it to an integer",
            )
        return Decimal(check_whole("value", number))
    return check_json_number("value", number)


def _optional_positive(field: str, value: object | None) -> int | None:
    return None if value is None else check_int(field, value, minimum=1)


def _check_sort_by(value: object | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise RequestValidationError("sort_by", f"must be a non-empty string, got {value!r}")
    return value


# -- pure logic shared by both clients --------------------------------------------------------


class _PageWalk:
    """Which page comes next, for either list shape Bezala may answer with.

    With `pagination` the server says how many pages there are. A plain array carries no count:
    a full page may have a successor, a short one is the last. A server ignoring `page` would
    send the same records again and again; that raises `PaginationError` instead of looping.
    """

    def __init__(self, per_page: int | None) -> None:
        self.per_page = per_page or DEFAULT_PER_PAGE
        self._previous_ids: tuple[str, ...] | None = None

    def advance(self, page: TimeBalancePage, number: int) -> Page[TimeBalance]:
        following = None
        if page.pagination is not None:
            following = next_page_number(page.pagination.current_page, page.pagination.total_pages)
        ids = [record.id for record in page.collection]
        return self.advance_ids(ids, page.collection, number, following, page.pagination is None)

    def advance_ids(
        self,
        ids: list[str],
        items: list[T],
        number: int,
        following: int | None = None,
        plain_array: bool = True,
    ) -> Page[T]:
        """The page of `items` (whose ids are `ids`), and the number of the next one."""
        seen = tuple(ids)
        if seen and seen == self._previous_ids:
            raise PaginationError(
                f"page {number} repeats the records of the page before it; "
                "the server ignores `page`, stopping instead of looping"
            )
        self._previous_ids = seen
        if plain_array:
            following = number + 1 if seen and len(seen) >= self.per_page else None
        return Page(items, following)


class _BezalaBase(BaseClient):
    """Request building and response parsing for Bezala; no I/O."""

    vendor = "bezala"

    @staticmethod
    def _collection_path(user_id: object) -> str:
        return f"api/users/{check_integer_id('user_id', user_id)}/time_balances"

    def _list_query(
        self,
        page: object | None = None,
        *,
        balance_type: object | None = None,
        per_page: object | None = None,
        sort_by: object | None = None,
        order: object | None = None,
    ) -> Query:
        return {
            "balance_type": None if balance_type is None else check_balance_type(balance_type),
            "page": _optional_positive("page", page),
            "per_page": _optional_positive("per_page", per_page),
            "sort_by": _check_sort_by(sort_by),
            "order": None if order is None else check_choice("order", order, list(SortOrder)),
        }

    def _latest_query(self, balance_type: object | None) -> Query:
        return {"balance_type": None if balance_type is None else check_balance_type(balance_type)}

    @staticmethod
    def _import_body(balance_type: object, date: object, value: object) -> dict[str, Any]:
        kind = check_balance_type(balance_type)
        params = TimeBalanceParams(
            balance_type=kind, date=check_date("date", date), value=check_value(kind, value)
        )
        return params.to_json()

    def _delete_path(self, user_id: object, id: object) -> str:
        return f"{self._collection_path(user_id)}/{check_integer_id('id', id)}"

    def _parse_page(self, response: httpx.Response) -> TimeBalancePage:
        body = self.json_body(response) if response.content else None
        if isinstance(body, list):  # other Bezala lists are plain arrays [docs]
            body = {"collection": body}
        return self.parse(response, TimeBalancePage, body)

    @staticmethod
    def _users_query(page: int, per_page: int | None) -> Query:
        return {"page": page, "per_page": _optional_positive("per_page", per_page)}

    def _parse_users(self, response: httpx.Response, walk: _PageWalk, number: int) -> Page[User]:
        users = self.parse(response, UserList).root
        return walk.advance_ids([u.id for u in users], users, number)

    def _parse_latest(self, response: httpx.Response) -> TimeBalance | None:
        body = self.json_body(response) if response.content else None
        if body == {}:  # [seed] no import of that type yet
            return None
        return self.parse(response, TimeBalance, body)


class BezalaLoginAuth(LoginAuth):
    """`POST /api/auth/token` with `{"email", "password"}`; the answer's token is then sent
    as `Authorization: Bearer <token>` until `expires_in` runs out or a request answers 401.

    ASSUMED: the seed does not document the login exchange; the answer is taken to be
    `{"token": "...", "expires_in": seconds}` (`expires_in` optional).
    """

    def __init__(
        self,
        base_url: str | httpx.URL,
        email: str,
        password: str | Secret,
        *,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        super().__init__(clock=clock)
        self._url = base_url_of(base_url).join(LOGIN_PATH)
        self._email = email
        self._password = as_secret(password)

    def build_login_request(self, base: httpx.URL) -> httpx.Request:
        body = {"email": self._email, "password": self._password.reveal()}
        return httpx.Request("POST", self._url, json=body, headers={"Accept": "application/json"})

    def parse_login_response(self, response: httpx.Response) -> TokenGrant:
        answer = AuthToken.model_validate(loads_json(response.content))
        register_secret(answer.token)
        expires_at = None
        if answer.expires_in is not None:
            expires_at = self._clock() + dt.timedelta(seconds=answer.expires_in)
        return TokenGrant(Secret(f"Bearer {answer.token}"), expires_at)


def _auth(
    base_url: str | httpx.URL,
    token: str | Secret | None,
    email: str | None,
    password: str | Secret | None,
) -> httpx.Auth:
    if token is not None:
        return StaticTokenAuth(token, scheme="Bearer")
    if email is not None and password is not None:
        return BezalaLoginAuth(base_url, email, password)
    raise GatewayError("Bezala needs credentials: pass token=, or email= and password=")


def _login_auth(auth: httpx.Auth | None) -> BezalaLoginAuth:
    if not isinstance(auth, BezalaLoginAuth):
        raise GatewayError(
            "login() needs email= and password=; this client was built with a static token"
        )
    return auth


class _BezalaOperations(_BezalaBase):
    """Every Bezala operation, described once (`operations`): `Client` sends them blocking,
    `AsyncClient` awaits them.

    Pass `token=` (a token obtained elsewhere) or `email=` and `password=` (logs in on first
    use). `http_client` / `transport` route requests elsewhere (tests, emulators); `retry` sets
    the retry budget (`RetryPolicy.none()` sends once).
    """

    def __init__(
        self,
        base_url: str | httpx.URL = DEFAULT_BASE_URL,
        *,
        token: str | Secret | None = None,
        email: str | None = None,
        password: str | Secret | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(
            base_url=base_url,
            auth=_auth(base_url, token, email, password),
            **options,
        )

    @operation
    def login(self) -> Login[TokenGrant]:
        """Log in now (`POST /api/auth/token`) instead of on the first request, and use the
        token from here on. Raises `LoginError` when refused, `GatewayError` for a client
        built with a static token."""
        auth = _login_auth(self.auth)
        return Login(auth, parse=auth.accept_login_response)

    @paginated
    def iter_users(self, *, per_page: int | None = None) -> Pages[User]:
        """Every user of the organisation (`GET /api/users`, page after page), with name,
        email and `external_id` (ASSUMED endpoint; see `User`)."""
        walk = _PageWalk(_optional_positive("per_page", per_page))

        def page(cursor: Hashable | None) -> Call[Page[User]]:
            number = cursor if isinstance(cursor, int) else 1
            return Call(
                "GET",
                USERS_PATH,
                params=self._users_query(number, per_page),
                parse=lambda response: self._parse_users(response, walk, number),
            )

        return Pages(page)

    @operation
    def list_time_balances(
        self,
        user_id: int | str,
        *,
        page: int | None = None,
        **query: Unpack[TimeBalanceQuery],
    ) -> Call[TimeBalancePage]:
        """One page of the user's imported balances (`GET /api/users/:user_id/time_balances`).

        Bezala's defaults: page 1, 50 per page, sorted by `date`, `desc`. Values are minutes
        (work_time) or days (vacation), as of the end of each record's `date`. Raises
        `NotFoundError` for an unknown user.
        """
        path = self._collection_path(user_id)
        return Call("GET", path, params=self._list_query(page, **query), parse=self._parse_page)

    @paginated
    def iter_time_balances(
        self, user_id: int | str, **query: Unpack[TimeBalanceQuery]
    ) -> Pages[TimeBalance]:
        """Every imported balance of the user, page after page, fetched as the loop reaches it.

        Arguments are checked now, before anything is sent. Raises `PaginationError` if the
        server sends a page twice.
        """
        path = self._collection_path(user_id)
        first = self._list_query(**query)
        walk = _PageWalk(first["per_page"] if isinstance(first["per_page"], int) else None)

        def page(cursor: Hashable | None) -> Call[Page[TimeBalance]]:
            number = cursor if isinstance(cursor, int) else 1
            params = {**first, "page": cursor if isinstance(cursor, int) else None}
            return Call(
                "GET",
                path,
                params=params,
                parse=lambda response: walk.advance(self._parse_page(response), number),
            )

        return Pages(page)

    @operation
    def latest_time_balance(
        self, user_id: int | str, *, balance_type: str | None = None
    ) -> Call[TimeBalance | None]:
        """The latest import (of `balance_type`, if given), or None when there is none.

        `GET /api/users/:user_id/time_balances/latest`. Raises `NotFoundError` for an unknown
        user.
        """
        path = self._collection_path(user_id) + "/latest"
        return Call("GET", path, params=self._latest_query(balance_type), parse=self._parse_latest)

    @operation
    def import_time_balance(
        self,
        user_id: int | str,
        *,
        balance_type: str,
        date: dt.date | str,
        value: Decimal | int | float | str,
    ) -> Call[TimeBalance]:
        """Import a balance as of the END of `date` (`POST /api/users/:user_id/time_balances`).

        `value` is whole minutes for work_time, days (fractions allowed) for vacation; it may
        be negative. The import overrides Bezala's own calculation up to and including `date`.
        Returns the created record. Never retried once sent: a lost answer raises
        `WriteOutcomeUnknown` (read back with `latest_time_balance`).
        """
        path = self._collection_path(user_id)
        body = self._import_body(balance_type, date, value)
        return Call("POST", path, json=body, parse=self.expect(TimeBalance))

    @operation
    def delete_time_balance(self, user_id: int | str, id: int | str) -> Call[None]:
        """Delete one imported balance (`DELETE /api/users/:user_id/time_balances/:id`).

        Raises `NotFoundError` when the user or the record does not exist.
        """
        return Call("DELETE", self._delete_path(user_id, id), parse=lambda _response: None)


class Client(_BezalaOperations, SyncAPIClient):
    """Blocking Bezala client (every operation: see `_BezalaOperations`)."""


class AsyncClient(_BezalaOperations, AsyncAPIClient):
    """Asyncio Bezala client: the same operations, awaited; the iterators are async."""
