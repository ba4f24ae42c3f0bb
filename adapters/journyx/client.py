"""Journyx SDK: accruals (time banks, in HOURS) over the Journyx REST API.

`_JournyxBase` holds the pure logic (argument checks before any request, paths, query params,
bodies, page cursors); `Client` and `AsyncClient` are thin loops over it.

Authentication [docs]: HTTP Basic with a username and an API key in place of the password
(`username=` + `api_key=`), or a session cookie `wtsession` obtained by `POST /login`
(`username=` + `password=`, or an already obtained session value as `token=`).

Paths [ASSUMED: not in the public docs]: `GET/POST /api/v1/accruals`,
`GET/PUT/PATCH/DELETE /api/v1/accruals/{id}`.
"""

from __future__ import annotations

from collections.abc import Generator, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypedDict, Unpack

import httpx

from balance_gateway.adapters._core.auth import BasicAPIKeyAuth, LoginAuth, TokenGrant
from balance_gateway.adapters._core.client import (
    AsyncAPIClient,
    BaseClient,
    ClientOptions,
    SyncAPIClient,
    base_url_of,
)
from balance_gateway.adapters._core.errors import GatewayError, RequestValidationError
from balance_gateway.adapters._core.operations import Call, Login, Pages, operation, paginated
from balance_gateway.adapters._core.pagination import Page, next_offset
from balance_gateway.adapters._core.secrets import Secret, as_secret
from balance_gateway.adapters._core.validation import (
    check_choice,
    check_hex32,
    check_int,
    check_number,
)
from balance_gateway.adapters.journyx.models import (
    STATUS_CODES,
    STATUS_NAMES,
    Accrual,
    AccrualEnvelope,
    AccrualPage,
    DeleteResult,
)

# Journyx is hosted per customer (https://<site>.apps.journyx.com): there is no shared base
# URL, so the default is a local emulator (`balance-gateway emulate journyx`).
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
ACCRUALS_PATH = "/api/v1/accruals"  # ASSUMED: not found in public docs
LOGIN_PATH = "/login"  # docs
SESSION_COOKIE = "wtsession"  # docs
MAX_TOP = 1000  # ASSUMED: the largest `$top` the emulator serves

Number = Decimal | int | float


class AccrualOptions(TypedDict, total=False):
    """The optional writable fields of a create or full replace (pname and pay_type_ids are
    separate, required arguments). Quantities in hours; ids 32 hex characters."""

    id_user: str
    hours_left: Number
    hard_threshold: Number
    use_hard_threshold: bool
    warning_threshold: Number
    use_warning: bool
    status: str
    status_code: str
    is_hidden: bool


class AccrualUpdate(AccrualOptions, total=False):
    """The writable fields of an accrual, every one optional in an update."""

    pname: str
    pay_type_ids: Sequence[str]


# -- pure helpers -------------------------------------------------------------------------------


def wire_number(value: Decimal) -> int | float:
    """A Decimal as the JSON number Journyx expects (an int when whole)."""
    return int(value) if value == value.to_integral_value() else float(value)


def accrual_path(accrual_id: str) -> str:
    return f"{ACCRUALS_PATH}/{check_hex32('accrual_id', accrual_id)}"


def _check_text(field: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RequestValidationError(field, f"must be a non-empty string, got {value!r}")
    return value


def _check_bool(field: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise RequestValidationError(field, f"must be true or false, got {value!r}")
    return value


def _check_keys(keys: Sequence[str] | None) -> str | None:
    if keys is None:
        return None
    if isinstance(keys, str) or not keys:
        raise RequestValidationError("keys", "must be a non-empty list of field names")
    for key in keys:
        if not isinstance(key, str) or not key or "," in key or key.strip() != key:
            raise RequestValidationError("keys", f"{key!r} is not a field name")
    return ",".join(keys)


def accrual_body(fields: Mapping[str, Any], *, full: bool) -> dict[str, Any]:
    """The JSON body of a create / replace (`full`: pname and pay_type_ids required) or a
    partial update. Raises `RequestValidationError` naming the field."""
    body: dict[str, Any] = {}
    if full:
        for required in ("pname", "pay_type_ids"):
            if fields.get(required) is None:
                raise RequestValidationError(required, "is required")
    for name, value in fields.items():
        if value is None:
            continue
        if name == "pname":
            body[name] = _check_text(name, value)
        elif name == "pay_type_ids":
            if isinstance(value, str) or not isinstance(value, Sequence) or not value:
                raise RequestValidationError(name, "must be a non-empty list of pay type ids")
            body[name] = [check_hex32(f"{name}[{i}]", v) for i, v in enumerate(value)]
        elif name == "id_user":
            body[name] = check_hex32(name, value)
        elif name in ("hours_left", "hard_threshold", "warning_threshold"):
            body[name] = wire_number(check_number(name, value))
        elif name in ("use_hard_threshold", "use_warning", "is_hidden"):
            body[name] = _check_bool(name, value)
        elif name == "status_code":
            body[name] = check_choice(name, value, STATUS_NAMES)
        elif name == "status":
            body[name] = check_choice(name, value, STATUS_CODES)
        else:
            raise RequestValidationError(name, "is not a writable accrual field")
    code = body.get("status_code")
    if code is None and "status" in body:
        code = STATUS_CODES[body["status"]]
    if "status" in body and code != STATUS_CODES[body["status"]]:
        raise RequestValidationError(
            "status", f"{body['status']!r} contradicts status_code {body['status_code']!r}"
        )
    if "is_hidden" in body and code is not None and body["is_hidden"] != (code == "h"):
        raise RequestValidationError(
            "is_hidden", f"{body['is_hidden']} contradicts status_code {code!r} (hidden is 'h')"
        )
    if not body:
        raise RequestValidationError("fields", "give at least one field to update")
    return body


def list_params(
    *,
    filter: str | None,
    order_by: str | None,
    skip: int | None,
    top: int | None,
    keys: Sequence[str] | None,
) -> dict[str, str | int]:
    """The query of a collection request; every argument checked."""
    params: dict[str, str | int] = {}
    if filter is not None:
        params["$filter"] = _check_text("filter", filter)
    if order_by is not None:
        params["$orderBy"] = _check_text("order_by", order_by)
    if skip is not None:
        params["$skip"] = check_int("skip", skip, minimum=0)
    if top is not None:
        params["$top"] = check_int("top", top, minimum=1, maximum=MAX_TOP)
    joined = _check_keys(keys)
    if joined is not None:
        params["$keys"] = joined
    return params


Cursor = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class AccrualItems:
    """One page of accruals (`list_accruals_lazily`): its paging figures (`page`, whose
    `results` are left empty) and its accruals, validated as they are walked (once)."""

    page: AccrualPage
    accruals: Iterable[Accrual]


def next_cursor(
    page: AccrualPage, params: Mapping[str, str | int], received: int | None = None
) -> Cursor | None:
    """The query of the page after `page`: `@nextLink`'s own query; when a server sends no
    `@nextLink` key at all, `$skip` advanced by what was received (`received` accruals, by
    default `page.results`; bounded by `$count`)."""
    if page.next_link is not None:
        link = httpx.URL(page.next_link)
        return tuple(link.params.multi_items())
    if "@nextLink" in page.model_fields_set or page.skip is None or page.top is None:
        return None
    got = len(page.results) if received is None else received
    following = next_offset(page.skip, page.top, got, page.count)
    if following is None:
        return None
    merged = {k: str(v) for k, v in params.items()}
    merged["$skip"] = str(following)
    return tuple(merged.items())


def cursor_params(
    cursor: Hashable | None, first: Mapping[str, str | int]
) -> Mapping[str, str | int]:
    """The query of the page a cursor names (`first` for the first page)."""
    if cursor is None:
        return first
    assert isinstance(cursor, tuple)
    return {str(key): str(value) for key, value in cursor}


class SessionCookieAuth(httpx.Auth):
    """A `wtsession` cookie obtained earlier by a login."""

    def __init__(self, session: str | Secret) -> None:
        self._session = as_secret(session)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Cookie"] = f"{SESSION_COOKIE}={self._session.reveal()}"
        yield request


class JournyxLoginAuth(LoginAuth):
    """`POST /login` with `{username, password}` [ASSUMED: JSON body]; the session is the
    `wtsession` cookie of the answer, sent on every request and renewed once on 401."""

    def __init__(self, base_url: httpx.URL, username: str, password: str | Secret) -> None:
        super().__init__()
        self._base_url = base_url
        self._username = username
        self._password = as_secret(password)

    def build_login_request(self, base: httpx.URL) -> httpx.Request:
        return httpx.Request(
            "POST",
            self._base_url.join(LOGIN_PATH.lstrip("/")),
            json={"username": self._username, "password": self._password.reveal()},
            headers={"Accept": "application/json"},
        )

    def parse_login_response(self, response: httpx.Response) -> TokenGrant:
        session = response.cookies[SESSION_COOKIE]  # KeyError: no usable session
        return TokenGrant(header_value=Secret(session))

    def apply_grant(self, request: httpx.Request, grant: TokenGrant) -> None:
        """The session goes out as the `wtsession` cookie, not in `Authorization`."""
        request.headers["Cookie"] = f"{SESSION_COOKIE}={grant.header_value.reveal()}"


def _make_auth(
    base_url: httpx.URL,
    token: str | Secret | None,
    username: str | None,
    api_key: str | Secret | None,
    password: str | Secret | None,
) -> httpx.Auth:
    if token is not None:
        return SessionCookieAuth(token)
    if username is not None and api_key is not None:
        return BasicAPIKeyAuth(username, api_key)
    if username is not None and password is not None:
        return JournyxLoginAuth(base_url, username, password)
    raise RequestValidationError(
        "credentials",
        "give username= and api_key= (HTTP Basic), username= and password= (login), "
        "or token= (a wtsession value)",
    )


def _login_auth(auth: httpx.Auth | None) -> JournyxLoginAuth:
    if not isinstance(auth, JournyxLoginAuth):
        raise GatewayError("login() needs a client built with username= and password=")
    return auth


class _JournyxBase(BaseClient):
    """Every Journyx operation, described once (`operations`): `Client` sends them blocking,
    `AsyncClient` awaits them. Raises the `GatewayError` tree: `RequestValidationError`
    (before sending), `AuthenticationError` (401), `NotFoundError` (404), `ValidationError`
    (400), and so on."""

    vendor = "journyx"

    def __init__(
        self,
        base_url: str | httpx.URL = DEFAULT_BASE_URL,
        *,
        token: str | Secret | None = None,
        username: str | None = None,
        api_key: str | Secret | None = None,
        password: str | Secret | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(
            base_url=base_url,
            auth=_make_auth(base_url_of(base_url), token, username, api_key, password),
            **options,
        )

    @operation
    def login(self) -> Login[None]:
        """Log in now (`POST /login`) instead of on the first request; raises `LoginError`."""
        auth = _login_auth(self.auth)

        def accept(response: httpx.Response) -> None:
            auth.accept_login_response(response)

        return Login(auth, parse=accept)

    @operation
    def list_accruals(
        self,
        *,
        filter: str | None = None,
        order_by: str | None = None,
        skip: int | None = None,
        top: int | None = None,
        keys: Sequence[str] | None = None,
    ) -> Call[AccrualPage]:
        """One page of accruals. `filter` is an OData-like `$filter` (e.g.
        `"id_user eq '64BB...'"`), `order_by` a field with an optional ` desc`, `keys` the
        fields to answer (request `id_user_properties` etc. to expand them)."""
        params = list_params(filter=filter, order_by=order_by, skip=skip, top=top, keys=keys)
        return Call("GET", ACCRUALS_PATH, params=params, parse=self.expect(AccrualPage))

    @operation
    def list_accruals_lazily(
        self,
        *,
        filter: str | None = None,
        order_by: str | None = None,
        skip: int | None = None,
        top: int | None = None,
        keys: Sequence[str] | None = None,
    ) -> Call[AccrualItems]:
        """`list_accruals`, with each accrual validated only when the page's `accruals` are
        walked (once, in order): for reading several pages at once without holding their wire
        models. `page` holds the paging figures (`$count`, `$skip`, `$top`, `@nextLink`)."""
        params = list_params(filter=filter, order_by=order_by, skip=skip, top=top, keys=keys)

        def parse(response: httpx.Response) -> AccrualItems:
            found, accruals = self.parse_items(response, AccrualPage, Accrual)
            return AccrualItems(found, accruals)

        return Call("GET", ACCRUALS_PATH, params=params, parse=parse)

    @paginated
    def iter_accruals(
        self,
        *,
        filter: str | None = None,
        order_by: str | None = None,
        keys: Sequence[str] | None = None,
        page_size: int | None = None,
    ) -> Pages[Accrual]:
        """Every matching accrual, page by page (following `@nextLink`), fetched lazily."""
        first = list_params(filter=filter, order_by=order_by, skip=None, top=page_size, keys=keys)

        def page(cursor: Hashable | None) -> Call[Page[Accrual]]:
            params = cursor_params(cursor, first)

            def parse(response: httpx.Response) -> Page[Accrual]:
                # Each accrual validated as the walk reaches it: a page's wire models are
                # never all alive at once.
                found, accruals = self.parse_items(response, AccrualPage, Accrual)
                return Page(accruals, next_cursor(found, params, len(accruals)))

            return Call("GET", ACCRUALS_PATH, params=params, parse=parse)

        return Pages(page)

    @operation
    def get_accrual(self, accrual_id: str, *, keys: Sequence[str] | None = None) -> Call[Accrual]:
        """One accrual (`hours_left` in hours); `NotFoundError` when there is none."""
        joined = _check_keys(keys)
        params = {"$keys": joined} if joined is not None else None
        return Call("GET", accrual_path(accrual_id), params=params, parse=self._accrual)

    @operation
    def create_accrual(
        self, *, pname: str, pay_type_ids: Sequence[str], **fields: Unpack[AccrualOptions]
    ) -> Call[Accrual]:
        """Create an accrual (POST: not retried once sent; `WriteOutcomeUnknown` when its fate
        is unknown). `id_user` defaults to the authenticated user [ASSUMED]."""
        body = accrual_body({"pname": pname, "pay_type_ids": pay_type_ids, **fields}, full=True)
        return Call("POST", ACCRUALS_PATH, json=body, parse=self._accrual)

    @operation
    def replace_accrual(
        self,
        accrual_id: str,
        *,
        pname: str,
        pay_type_ids: Sequence[str],
        **fields: Unpack[AccrualOptions],
    ) -> Call[Accrual]:
        """Replace an accrual's writable fields (PUT); omitted ones take their defaults
        [ASSUMED]. `id_user` cannot change (`ValidationError`)."""
        body = accrual_body({"pname": pname, "pay_type_ids": pay_type_ids, **fields}, full=True)
        return Call("PUT", accrual_path(accrual_id), json=body, parse=self._accrual)

    @operation
    def update_accrual(self, accrual_id: str, **fields: Unpack[AccrualUpdate]) -> Call[Accrual]:
        """Change the given fields (PATCH), e.g. `hours_left=32.5` sets the balance in hours.
        Retried like a PUT (every value is absolute). `id_user` cannot change."""
        body = accrual_body(dict(fields), full=False)
        # Every field a PATCH sends is an absolute value: sending it twice changes nothing.
        path = accrual_path(accrual_id)
        return Call("PATCH", path, json=body, idempotent=True, parse=self._accrual)

    @operation
    def delete_accrual(self, accrual_id: str) -> Call[None]:
        """Delete an accrual; `NotFoundError` when there is none."""

        def parse(response: httpx.Response) -> None:
            self.parse(response, DeleteResult)

        return Call("DELETE", accrual_path(accrual_id), parse=parse)

    def _accrual(self, response: httpx.Response) -> Accrual:
        return self.parse(response, AccrualEnvelope).results


class Client(_JournyxBase, SyncAPIClient):
    """Blocking Journyx client (every operation: see `_JournyxBase`)."""


class AsyncClient(_JournyxBase, AsyncAPIClient):
    """Asyncio Journyx client: the same operations, awaited; `iter_accruals` is an async
    iterator."""


__all__ = [
    "ACCRUALS_PATH",
    "DEFAULT_BASE_URL",
    "LOGIN_PATH",
    "SESSION_COOKIE",
    "AccrualOptions",
    "AccrualUpdate",
    "AsyncClient",
    "Client",
    "JournyxLoginAuth",
    "SessionCookieAuth",
]
