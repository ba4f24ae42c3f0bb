"""The Bezala SDK against httpx.MockTransport: every method, sync and async alike."""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterator, Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

from balance_gateway.adapters._core.auth import LoginError
from balance_gateway.adapters._core.errors import (
    AuthenticationError,
    GatewayError,
    NotFoundError,
    PaginationError,
    RateLimitError,
    RequestValidationError,
    ServerError,
    UnprocessableError,
    WriteOutcomeUnknown,
)
from balance_gateway.adapters._core.retry import RetryPolicy
from balance_gateway.adapters.bezala import AsyncClient, Client, TimeBalance, TimeBalancePage

BASE = "https://bezala.test"
TOKEN = "static-token-0123456789"


def record(id: int, date: str = "2025-03-31", value: Any = 5.0, kind: str = "vacation") -> Any:
    return {
        "id": id,
        "user_id": 819,
        "balance_type": kind,
        "date": date,
        "value": value,
        "units": "days" if kind == "vacation" else "minutes",
        "creator_id": 42,
        "creator_name": "John Smith",
    }


def paged(items: list[Any], page: int = 1, pages: int = 1, total: int | None = None) -> Any:
    count = len(items) if total is None else total
    return {
        "collection": items,
        "pagination": {"current_page": page, "total_pages": pages, "total_count": count},
    }


Handler = Callable[[httpx.Request], httpx.Response]


class Api:
    """One Bezala client (sync or async) over a MockTransport that records what was sent."""

    def __init__(self, mode: str, handler: Handler, **client_args: Any) -> None:
        self.mode = mode
        self.sent: list[httpx.Request] = []

        def record_and_answer(request: httpx.Request) -> httpx.Response:
            request.read()
            self.sent.append(request)
            return handler(request)

        transport = httpx.MockTransport(record_and_answer)
        args: dict[str, Any] = {"retry": RetryPolicy.none(), **client_args}
        if "email" not in args and "token" not in args:
            args["token"] = TOKEN
        self.client: Client | AsyncClient = (
            Client(BASE, transport=transport, **args)
            if mode == "sync"
            else AsyncClient(BASE, transport=transport, **args)
        )

    async def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        result = getattr(self.client, method)(*args, **kwargs)
        if isinstance(result, AsyncIterator):
            return [item async for item in result]
        if isinstance(result, Iterator):
            return list(result)
        if inspect.isawaitable(result):
            return await result
        return result

    @property
    def last(self) -> httpx.Request:
        return self.sent[-1]


def answer(status: int = 200, body: Any = None, **kwargs: Any) -> Handler:
    return lambda request: httpx.Response(status, json=body, **kwargs)


# -- each endpoint ----------------------------------------------------------------------------


async def test_list_sends_the_documented_request_and_parses_the_page(mode: str) -> None:
    api = Api(mode, answer(body=paged([record(2), record(1, "2025-03-15", 75, "work_time")])))

    page = await api.call("list_time_balances", 819)

    assert api.last.method == "GET"
    assert api.last.url == f"{BASE}/api/users/819/time_balances"
    assert api.last.headers["Authorization"] == f"Bearer {TOKEN}"
    assert isinstance(page, TimeBalancePage)
    assert [r.id for r in page.collection] == ["2", "1"]
    assert page.collection[1].value == Decimal(75)


async def test_list_sends_every_filter_and_sort_parameter(mode: str) -> None:
    api = Api(mode, answer(body=paged([])))

    await api.call(
        "list_time_balances",
        "819",
        balance_type="work_time",
        page=3,
        per_page=10,
        sort_by="value",
        order="asc",
    )

    assert dict(api.last.url.params) == {
        "balance_type": "work_time",
        "page": "3",
        "per_page": "10",
        "sort_by": "value",
        "order": "asc",
    }


async def test_iterator_walks_every_page_with_the_same_filters(mode: str) -> None:
    pages = {
        None: paged([record(5), record(4)], 1, 3, 5),
        "2": paged([record(3), record(2)], 2, 3, 5),
        "3": paged([record(1)], 3, 3, 5),
    }
    api = Api(mode, lambda request: httpx.Response(200, json=pages[request.url.params.get("page")]))

    records = await api.call("iter_time_balances", 819, balance_type="vacation", per_page=2)

    assert [r.id for r in records] == ["5", "4", "3", "2", "1"]
    assert [r.url.params.get("page") for r in api.sent] == [None, "2", "3"]
    assert {r.url.params["balance_type"] for r in api.sent} == {"vacation"}
    assert {r.url.params["per_page"] for r in api.sent} == {"2"}


async def test_iterator_accepts_plain_array_pages(mode: str) -> None:
    pages = {None: [record(3), record(2)], "2": [record(1)]}
    api = Api(mode, lambda request: httpx.Response(200, json=pages[request.url.params.get("page")]))

    records = await api.call("iter_time_balances", 819, per_page=2)

    assert [r.id for r in records] == ["3", "2", "1"]
    assert len(api.sent) == 2


async def test_a_short_plain_array_is_the_only_page(mode: str) -> None:
    api = Api(mode, answer(body=[record(1)]))

    records = await api.call("iter_time_balances", 819)

    assert [r.id for r in records] == ["1"]
    assert len(api.sent) == 1


async def test_iterator_stops_when_a_server_ignores_page(mode: str) -> None:
    api = Api(mode, answer(body=[record(2), record(1)]))

    with pytest.raises(PaginationError, match="repeats"):
        await api.call("iter_time_balances", 819, per_page=2)
    assert len(api.sent) == 2


async def test_iterator_stops_when_the_server_sends_a_page_twice(mode: str) -> None:
    api = Api(
        mode,
        lambda request: httpx.Response(
            200, json=paged([record(int(request.url.params.get("page", "1")))], 2, 3, 3)
        ),
    )

    with pytest.raises(PaginationError, match="twice"):
        await api.call("iter_time_balances", 819)


async def test_latest_returns_the_record(mode: str) -> None:
    api = Api(mode, answer(body=record(2)))

    latest = await api.call("latest_time_balance", 819, balance_type="vacation")

    assert api.last.url == f"{BASE}/api/users/819/time_balances/latest?balance_type=vacation"
    assert isinstance(latest, TimeBalance)
    assert latest.value == Decimal("5.0")


async def test_latest_returns_none_for_the_empty_object(mode: str) -> None:
    api = Api(mode, answer(body={}))

    assert await api.call("latest_time_balance", 819) is None
    assert "balance_type" not in api.last.url.params


async def test_import_posts_the_time_balance_hash(mode: str) -> None:
    api = Api(mode, answer(201, record(3, value=4.5)))

    created = await api.call(
        "import_time_balance", 819, balance_type="vacation", date="2025-03-31", value="4.5"
    )

    assert api.last.method == "POST"
    assert api.last.url == f"{BASE}/api/users/819/time_balances"
    assert json.loads(api.last.content) == {
        "time_balance": {"balance_type": "vacation", "date": "2025-03-31", "value": 4.5}
    }
    assert created.id == "3"
    assert created.value == Decimal("4.5")


async def test_import_sends_work_time_as_an_integer(mode: str) -> None:
    api = Api(mode, answer(201, record(3, value=-90, kind="work_time")))

    await api.call(
        "import_time_balance", 819, balance_type="work_time", date="2025-04-30", value=-90.0
    )

    assert b'"value":-90}' in api.last.content.replace(b" ", b"")


async def test_delete_accepts_the_string_id_read_back(mode: str) -> None:
    api = Api(mode, lambda request: httpx.Response(204))

    assert await api.call("delete_time_balance", "819", "2") is None

    assert api.last.method == "DELETE"
    assert api.last.url == f"{BASE}/api/users/819/time_balances/2"


# -- checks before sending --------------------------------------------------------------------

VALID_IMPORT = {"balance_type": "vacation", "date": "2025-03-31", "value": 4}


@pytest.mark.parametrize(
    ("method", "args", "kwargs", "field"),
    [
        ("list_time_balances", ("abc",), {}, "user_id"),
        ("list_time_balances", (8.19,), {}, "user_id"),
        ("list_time_balances", (True,), {}, "user_id"),
        ("list_time_balances", (819,), {"balance_type": "sick"}, "balance_type"),
        ("list_time_balances", (819,), {"order": "up"}, "order"),
        ("list_time_balances", (819,), {"page": 0}, "page"),
        ("list_time_balances", (819,), {"per_page": "10"}, "per_page"),
        ("list_time_balances", (819,), {"sort_by": ""}, "sort_by"),
        ("iter_time_balances", (819,), {"order": "newest"}, "order"),
        ("latest_time_balance", ("8x",), {}, "user_id"),
        ("latest_time_balance", (819,), {"balance_type": "overtime"}, "balance_type"),
        ("import_time_balance", ("x",), VALID_IMPORT, "user_id"),
        ("import_time_balance", (819,), {**VALID_IMPORT, "balance_type": "sick"}, "balance_type"),
        ("import_time_balance", (819,), {**VALID_IMPORT, "date": "2025-02-30"}, "date"),
        ("import_time_balance", (819,), {**VALID_IMPORT, "date": "31.03.2025"}, "date"),
        ("import_time_balance", (819,), {**VALID_IMPORT, "value": "four"}, "value"),
        ("import_time_balance", (819,), {**VALID_IMPORT, "value": float("nan")}, "value"),
        (
            "import_time_balance",
            (819,),
            {**VALID_IMPORT, "balance_type": "work_time", "value": 1.5},
            "value",
        ),
        ("delete_time_balance", (819, "two"), {}, "id"),
        ("delete_time_balance", (819, 2.0), {}, "id"),
    ],
)
async def test_broken_constraints_are_refused_before_sending(
    mode: str, method: str, args: tuple[Any, ...], kwargs: dict[str, Any], field: str
) -> None:
    api = Api(mode, answer(body={}))

    with pytest.raises(RequestValidationError) as caught:
        await api.call(method, *args, **kwargs)

    assert caught.value.field == field
    assert field in str(caught.value)
    assert api.sent == []


async def test_fractional_vacation_days_are_accepted(mode: str) -> None:
    api = Api(mode, answer(201, record(3, value=0.5)))

    await api.call(
        "import_time_balance", 819, balance_type="vacation", date="2025-03-31", value=0.5
    )

    assert json.loads(api.last.content)["time_balance"]["value"] == 0.5


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (401, {"error": "Invalid or missing access token"}, AuthenticationError),
        (404, {"error": "User not found"}, NotFoundError),
        (422, {"error": "Validation failed", "errors": {"page": ["bad"]}}, UnprocessableError),
        (500, {"error": "boom"}, ServerError),
    ],
)
async def test_error_statuses_map_to_typed_errors(
    mode: str, status: int, body: Any, error: type[GatewayError]
) -> None:
    api = Api(mode, answer(status, body))

    with pytest.raises(error) as caught:
        await api.call("list_time_balances", 819)

    assert getattr(caught.value, "body", None) == body
    assert body["error"] in str(caught.value)


async def test_rate_limit_carries_retry_after(mode: str) -> None:
    api = Api(mode, answer(429, {"error": "rate limit exceeded"}, headers={"Retry-After": "7"}))

    with pytest.raises(RateLimitError) as caught:
        await api.call("latest_time_balance", 819)

    assert caught.value.retry_after == 7


async def test_an_import_answered_with_500_has_an_unknown_outcome(mode: str) -> None:
    api = Api(mode, answer(500, {"error": "boom"}))

    with pytest.raises(WriteOutcomeUnknown):
        await api.call("import_time_balance", 819, **VALID_IMPORT)


async def test_reads_are_retried_after_a_503(mode: str) -> None:
    answers = iter([httpx.Response(503, json={"error": "busy"}), httpx.Response(200, json={})])
    waits: list[float] = []

    async def async_sleep(seconds: float) -> None:
        waits.append(seconds)

    sleep = waits.append if mode == "sync" else async_sleep
    api = Api(mode, lambda request: next(answers), retry=RetryPolicy(), sleep=sleep)

    assert await api.call("latest_time_balance", 819) is None
    assert len(api.sent) == 2
    assert len(waits) == 1


async def test_a_body_that_is_not_a_record_is_a_parse_error(mode: str) -> None:
    api = Api(mode, answer(body={"id": 1}))

    with pytest.raises(GatewayError, match="not a TimeBalance"):
        await api.call("latest_time_balance", 819)


# -- auth -------------------------------------------------------------------------------------

PASSWORD = "login-password-xyz"
SESSION = "session-token-abcdef"


def login_server(expected_logins: list[int] | None = None) -> Handler:
    """Answers logins with SESSION; accepts only `Bearer SESSION` elsewhere."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/auth/token":
            if expected_logins is not None:
                expected_logins.append(1)
            body = json.loads(request.content)
            if body != {"email": "admin@example.com", "password": PASSWORD}:
                return httpx.Response(401, json={"error": "Invalid email or password"})
            return httpx.Response(200, json={"token": SESSION, "expires_in": 3600})
        if request.headers.get("Authorization") != f"Bearer {SESSION}":
            return httpx.Response(401, json={"error": "Invalid or missing access token"})
        return httpx.Response(200, json={})

    return handle


async def test_login_credentials_log_in_once_and_send_bearer(mode: str) -> None:
    logins: list[int] = []
    api = Api(mode, login_server(logins), email="admin@example.com", password=PASSWORD)

    await api.call("latest_time_balance", 819)
    await api.call("latest_time_balance", 819)

    assert len(logins) == 1
    assert api.sent[0].method == "POST"
    assert api.sent[0].url == f"{BASE}/api/auth/token"
    assert [r.headers["Authorization"] for r in api.sent[1:]] == [f"Bearer {SESSION}"] * 2


async def test_explicit_login_installs_the_token(mode: str) -> None:
    api = Api(mode, login_server(), email="admin@example.com", password=PASSWORD)

    grant = await api.call("login")
    await api.call("latest_time_balance", 819)

    assert grant.header_value.reveal() == f"Bearer {SESSION}"
    assert grant.expires_at is not None
    assert len(api.sent) == 2


async def test_a_refused_login_raises_without_the_password(mode: str) -> None:
    api = Api(mode, login_server(), email="admin@example.com", password="wrong-password-123")

    with pytest.raises(LoginError) as caught:
        await api.call("latest_time_balance", 819)

    assert "wrong-password-123" not in str(caught.value)
    assert len(api.sent) == 1


async def test_login_needs_login_credentials(mode: str) -> None:
    api = Api(mode, answer(body={}))

    with pytest.raises(GatewayError, match="email= and password="):
        await api.call("login")


def test_a_client_needs_some_credential() -> None:
    with pytest.raises(GatewayError, match="token="):
        Client(BASE)


async def test_the_token_never_reaches_a_log_line(mode: str) -> None:
    api = Api(mode, answer(401, {"error": f"token {TOKEN} rejected"}))

    with capture_logs() as logs, pytest.raises(AuthenticationError) as caught:
        await api.call("list_time_balances", 819)

    assert logs
    assert TOKEN not in repr(logs)
    assert TOKEN not in str(caught.value)


def user(id: int, email: str | None = None) -> Any:
    return {"id": id, "name": f"User {id}", "email": email, "external_id": str(1000 + id)}


async def test_users_are_walked_page_by_page_until_a_short_page(mode: str) -> None:
    pages = {"1": [user(1, "a@x"), user(2)], "2": [user(3)]}
    api = Api(mode, lambda request: httpx.Response(200, json=pages[request.url.params["page"]]))

    users = await api.call("iter_users", per_page=2)

    assert [(u.id, u.email, u.external_id) for u in users] == [
        ("1", "a@x", "1001"),
        ("2", None, "1002"),
        ("3", None, "1003"),
    ]
    assert [r.url.path for r in api.sent] == ["/api/users", "/api/users"]
    assert [r.url.params["page"] for r in api.sent] == ["1", "2"]


async def test_users_stop_when_a_server_ignores_page(mode: str) -> None:
    api = Api(mode, answer(body=[user(1), user(2)]))

    with pytest.raises(PaginationError, match="repeats"):
        await api.call("iter_users", per_page=2)
