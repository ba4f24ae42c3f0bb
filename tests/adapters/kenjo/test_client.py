"""Kenjo SDK against httpx.MockTransport: requests sent, checks before sending, auth, errors.

Every client case runs with the sync `Client` and the async `AsyncClient`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

from balance_gateway.adapters._core.auth import LoginError
from balance_gateway.adapters._core.errors import (
    AuthenticationError,
    NotFoundError,
    PaginationError,
    PermissionDeniedError,
    RequestValidationError,
    ServerError,
    ValidationError,
    WriteOutcomeUnknown,
)
from balance_gateway.adapters._core.retry import RetryPolicy
from balance_gateway.adapters.kenjo import AsyncClient, Client, LoginResponse, TimeOffBalance
from tests.adapters._core.test_hostile_answers import HTML, Calls
from tests.adapters.sync_async import Recorder

BASE = "https://kenjo.test"
TYPE_ID = "65f1a0c0e4b0a1b2c3d4e501"
EMP_ID = "65f1a0c0e4b0a1b2c3d4e511"
API_KEY = "api-key-for-tests-0001"
Handler = Callable[[httpx.Request], httpx.Response]


def ok(body: Any = None, status: int = 200) -> Handler:
    return lambda request: httpx.Response(status, json=body)


async def call(
    mode: str,
    recorder: Recorder,
    method: str,
    *args: Any,
    client: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Any:
    """`method(*args, **kwargs)` on a sync or async client talking to `recorder`."""
    options: dict[str, Any] = {"token": "session-token", "retry": RetryPolicy.none()}
    options.update(client or {})
    transport = httpx.MockTransport(recorder)
    if mode == "sync":
        with Client(BASE, transport=transport, **options) as sync_client:
            result = getattr(sync_client, method)(*args, **kwargs)
            return list(result) if method.startswith("iter_") else result
    async with AsyncClient(BASE, transport=transport, **options) as async_client:
        outcome = getattr(async_client, method)(*args, **kwargs)
        if method.startswith("iter_"):
            return [item async for item in outcome]
        return await outcome


# -- set-balance ------------------------------------------------------------------------------


async def test_set_balance_puts_remaining_and_description_and_parses_the_answer(mode: str) -> None:
    answer = {
        "timeOffTypeId": TYPE_ID, "employeeId": EMP_ID, "balance": 10, "totalAllowance": 14,
        "taken": 4, "planned": 0, "available": 10, "unit": "days",
    }  # fmt: skip
    recorder = Recorder(ok(answer))
    result = await call(mode, recorder, "set_balance", TYPE_ID, EMP_ID, 10, description="why")
    (sent,) = recorder.sent
    assert sent.method == "PUT"
    assert sent.url.path == f"/api/v1/time-off/set-balance/{TYPE_ID}/{EMP_ID}"
    assert json.loads(sent.content) == {"balance": 10, "description": "why"}
    assert sent.headers["Authorization"] == "Bearer session-token"
    assert isinstance(result, TimeOffBalance)
    assert (result.totalAllowance, result.available) == (Decimal(14), Decimal(10))


@pytest.mark.parametrize(
    ("balance", "wire"),
    [(Decimal("-2.5"), -2.5), ("7.25", 7.25), (0.1, 0.1), (Decimal("12.0"), 12)],
)
async def test_set_balance_sends_the_exact_number(mode: str, balance: Any, wire: Any) -> None:
    recorder = Recorder(ok({}))
    await call(mode, recorder, "set_balance", TYPE_ID, EMP_ID, balance)
    body = json.loads(recorder.sent[0].content)
    assert body == {"balance": wire}
    assert type(body["balance"]) is type(wire)


async def test_set_balance_accepts_an_empty_answer(mode: str) -> None:
    recorder = Recorder(lambda request: httpx.Response(204))
    result = await call(mode, recorder, "set_balance", TYPE_ID, EMP_ID, 3)
    assert result == TimeOffBalance()


async def test_description_of_exactly_1000_characters_is_sent(mode: str) -> None:
    recorder = Recorder(ok({}))
    await call(mode, recorder, "set_balance", TYPE_ID, EMP_ID, 1, description="d" * 1000)
    assert len(json.loads(recorder.sent[0].content)["description"]) == 1000


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((TYPE_ID[:-1], EMP_ID, 1), "time_off_type_id"),
        (("zz" + TYPE_ID[2:], EMP_ID, 1), "time_off_type_id"),
        ((TYPE_ID, 12345, 1), "employee_id"),
        ((TYPE_ID, EMP_ID, float("nan")), "balance"),
        ((TYPE_ID, EMP_ID, float("inf")), "balance"),
        ((TYPE_ID, EMP_ID, "Infinity"), "balance"),
        ((TYPE_ID, EMP_ID, "ten"), "balance"),
        ((TYPE_ID, EMP_ID, True), "balance"),
        ((TYPE_ID, EMP_ID, None), "balance"),
        ((TYPE_ID, EMP_ID, Decimal("0.12345678901234567890123")), "balance"),
        ((TYPE_ID, EMP_ID, 1, "x" * 1001), "description"),
        ((TYPE_ID, EMP_ID, 1, 42), "description"),
    ],
)
async def test_set_balance_refuses_bad_arguments_before_sending(
    mode: str, args: tuple[Any, ...], field: str
) -> None:
    recorder = Recorder(ok({}))
    with pytest.raises(RequestValidationError) as caught:
        await call(mode, recorder, "set_balance", *args)
    assert caught.value.field == field
    assert field in str(caught.value)
    assert recorder.sent == []


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, ValidationError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (500, ServerError),
    ],
)
async def test_error_statuses_raise_typed_errors_with_kenjo_message(
    mode: str, status: int, error: type[Exception]
) -> None:
    recorder = Recorder(ok({"code": status, "message": f"kenjo says {status}"}, status))
    with pytest.raises(error) as caught:
        await call(mode, recorder, "set_balance", TYPE_ID, EMP_ID, 1)
    assert f"kenjo says {status}" in str(caught.value)
    assert getattr(caught.value, "body", None) == {
        "code": status,
        "message": f"kenjo says {status}",
    }


async def test_set_balance_is_retried_as_an_idempotent_write(mode: str) -> None:
    answers = iter([httpx.Response(503), httpx.Response(200, json={"balance": 2})])
    recorder = Recorder(lambda request: next(answers))
    policy = RetryPolicy(max_attempts=3, backoff_initial=0.001, backoff_max=0.001)
    result = await call(mode, recorder, "set_balance", TYPE_ID, EMP_ID, 2, client={"retry": policy})
    assert len(recorder.sent) == 2
    assert result.balance == Decimal(2)


async def test_kenjo_set_balance_answered_by_an_html_page_is_not_applied(mode: str) -> None:
    """The reproduction of issue 14 (items 3 and 4, tests/adapters/_core/test_hostile_answers.py):
    a 200 HTML maintenance page (or a 302) in answer to Kenjo's set-balance was taken as
    applied."""
    for answer in (
        httpx.Response(200, text=HTML, headers={"Content-Type": "text/html"}),
        httpx.Response(302, headers={"Location": "https://login.example/"}),
    ):
        transport = httpx.MockTransport(Calls(answer))
        if mode == "sync":
            client = Client(BASE, token="t", transport=transport)
            with pytest.raises(WriteOutcomeUnknown):
                client.set_balance(TYPE_ID, EMP_ID, 10)
        else:
            aclient = AsyncClient(BASE, token="t", transport=transport)
            with pytest.raises(WriteOutcomeUnknown):
                await aclient.set_balance(TYPE_ID, EMP_ID, 10)


# -- auth -------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["abc.def.ghi", "Bearer abc.def.ghi"])
async def test_static_token_gets_exactly_one_bearer_prefix(mode: str, token: str) -> None:
    recorder = Recorder(ok({"data": []}))
    await call(mode, recorder, "list_employees", client={"token": token})
    assert recorder.sent[0].headers["Authorization"] == "Bearer abc.def.ghi"


def kenjo_with_login(
    expires_in: timedelta = timedelta(hours=48), now: datetime | None = None
) -> tuple[Recorder, list[str]]:
    """A fake Kenjo issuing tokens t1, t2, ... and accepting only the latest one."""
    issued: list[str] = []
    start = now or datetime.now(UTC)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/auth/login":
            if json.loads(request.content) != {"apiKey": API_KEY}:
                return httpx.Response(401, json={"code": 401, "message": "invalid API key"})
            issued.append(f"t{len(issued) + 1}")
            expiry = (start + expires_in).isoformat().replace("+00:00", "Z")
            return httpx.Response(
                200, json={"token": f"Bearer {issued[-1]}", "X-Expires-After": expiry}
            )
        if request.url.path == "/api/v1/auth/logout":
            return httpx.Response(204)
        if not issued or request.headers.get("Authorization") != f"Bearer {issued[-1]}":
            return httpx.Response(401, json={"code": 401, "message": "token expired"})
        return httpx.Response(200, json={"data": []})

    return Recorder(handler), issued


async def test_api_key_logs_in_once_and_reuses_the_session(mode: str) -> None:
    recorder, issued = kenjo_with_login()
    options: dict[str, Any] = {"token": None, "api_key": API_KEY}
    if mode == "sync":
        with Client(BASE, transport=httpx.MockTransport(recorder), **options) as client:
            client.list_employees()
            client.list_employees()
    else:
        async with AsyncClient(BASE, transport=httpx.MockTransport(recorder), **options) as aclient:
            await aclient.list_employees()
            await aclient.list_employees()
    assert recorder.paths() == [
        "POST /api/v1/auth/login", "GET /api/v1/employees", "GET /api/v1/employees",
    ]  # fmt: skip
    assert json.loads(recorder.sent[0].content) == {"apiKey": API_KEY}
    # The token already carries `Bearer `: it goes into Authorization as it is.
    assert recorder.sent[1].headers["Authorization"] == "Bearer t1"
    assert issued == ["t1"]


async def test_a_refused_token_is_renewed_once_by_logging_in(mode: str) -> None:
    recorder, _ = kenjo_with_login()
    options: dict[str, Any] = {"token": "stale-token", "api_key": API_KEY}
    result = await call(mode, recorder, "list_employees", client=options)
    assert result.data == []
    assert recorder.paths() == [
        "GET /api/v1/employees", "POST /api/v1/auth/login", "GET /api/v1/employees",
    ]  # fmt: skip
    assert recorder.sent[0].headers["Authorization"] == "Bearer stale-token"
    assert recorder.sent[2].headers["Authorization"] == "Bearer t1"


async def test_an_expired_session_is_renewed_before_the_request(mode: str) -> None:
    clock = [datetime(2025, 1, 1, tzinfo=UTC)]
    recorder, issued = kenjo_with_login(now=clock[0])
    options: dict[str, Any] = {"token": None, "api_key": API_KEY, "now": lambda: clock[0]}
    transport = httpx.MockTransport(recorder)
    if mode == "sync":
        with Client(BASE, transport=transport, **options) as client:
            client.list_employees()
            clock[0] += timedelta(hours=48)
            client.list_employees()
    else:
        async with AsyncClient(BASE, transport=transport, **options) as aclient:
            await aclient.list_employees()
            clock[0] += timedelta(hours=48)
            await aclient.list_employees()
    assert issued == ["t1", "t2"]
    assert [p for p in recorder.paths() if "employees" in p] == ["GET /api/v1/employees"] * 2
    assert recorder.sent[-1].headers["Authorization"] == "Bearer t2"


async def test_explicit_login_returns_the_session_and_uses_it(mode: str) -> None:
    recorder, _ = kenjo_with_login()
    options: dict[str, Any] = {"token": None}
    transport = httpx.MockTransport(recorder)
    if mode == "sync":
        with Client(BASE, transport=transport, **options) as client:
            login = client.login(api_key=API_KEY)
            client.list_employees()
    else:
        async with AsyncClient(BASE, transport=transport, **options) as aclient:
            login = await aclient.login(api_key=API_KEY)
            await aclient.list_employees()
    assert isinstance(login, LoginResponse)
    assert login.token == "Bearer t1"
    assert login.expires_after - datetime.now(UTC) > timedelta(hours=47)
    assert recorder.sent[-1].headers["Authorization"] == "Bearer t1"


async def test_login_without_an_api_key_is_refused_before_sending(mode: str) -> None:
    recorder, _ = kenjo_with_login()
    with pytest.raises(RequestValidationError) as caught:
        await call(mode, recorder, "login")
    assert caught.value.field == "api_key"
    assert recorder.sent == []


async def test_a_refused_login_raises_login_error_without_the_key(mode: str) -> None:
    recorder, _ = kenjo_with_login()
    wrong = "wrong-api-key-0002"
    with capture_logs() as logs, pytest.raises(LoginError) as caught:
        await call(mode, recorder, "list_employees", client={"token": None, "api_key": wrong})
    assert isinstance(caught.value, AuthenticationError)
    assert caught.value.status_code == 401
    assert wrong not in str(caught.value)
    assert wrong not in repr(logs)


async def test_logout_ends_the_session_and_the_next_request_logs_in_again(mode: str) -> None:
    recorder, issued = kenjo_with_login()
    options: dict[str, Any] = {"api_key": API_KEY}
    transport = httpx.MockTransport(recorder)
    if mode == "sync":
        with Client(BASE, transport=transport, **options) as client:
            client.logout()  # no session yet: nothing to end
            client.list_employees()
            client.logout()
            client.list_employees()
    else:
        async with AsyncClient(BASE, transport=transport, **options) as aclient:
            await aclient.logout()
            await aclient.list_employees()
            await aclient.logout()
            await aclient.list_employees()
    assert recorder.paths() == [
        "POST /api/v1/auth/login", "GET /api/v1/employees", "POST /api/v1/auth/logout",
        "POST /api/v1/auth/login", "GET /api/v1/employees",
    ]  # fmt: skip
    assert recorder.sent[2].headers["Authorization"] == "Bearer t1"
    assert issued == ["t1", "t2"]


async def test_secrets_never_reach_log_lines(mode: str) -> None:
    recorder, _ = kenjo_with_login()
    with capture_logs() as logs:
        await call(mode, recorder, "list_employees", client={"token": None, "api_key": API_KEY})
    assert logs, "one event per request is expected"
    assert API_KEY not in repr(logs)
    assert "t1" not in [value for event in logs for value in event.values()]


# -- reads ------------------------------------------------------------------------------------


async def test_list_employees_reads_the_data_envelope(mode: str) -> None:
    recorder = Recorder(ok({"data": [{"_id": EMP_ID, "email": "a@example.com"}]}))
    result = await call(mode, recorder, "list_employees")
    assert [e.id for e in result.data] == [EMP_ID]
    assert recorder.paths() == ["GET /api/v1/employees"]
    employees = await call(
        mode, Recorder(ok({"data": [{"_id": "x"}, {"_id": "y"}]})), "iter_employees"
    )
    assert [e.id for e in employees] == ["x", "y"]


def request_item(n: int) -> dict[str, Any]:
    return {
        "_id": f"{n:024x}", "_userId": EMP_ID, "_timeOffTypeId": TYPE_ID,
        "from": "2025-01-06", "to": "2025-01-06", "status": "Approved",
    }  # fmt: skip


def paged(total: int) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params.get("offset", "1"))
        limit = int(request.url.params.get("limit", "50"))
        items = [request_item(n) for n in range(total)][(offset - 1) * limit : offset * limit]
        meta = {"count": len(items), "offset": offset, "limit": limit, "total": total}
        return httpx.Response(200, json={"data": items, "metadata": meta})

    return handler


async def test_list_time_off_requests_sends_the_documented_query(mode: str) -> None:
    recorder = Recorder(paged(3))
    page = await call(
        mode, recorder, "list_time_off_requests", "2025-01-01", "2025-04-02",
        user_id=EMP_ID, time_off_type_id=TYPE_ID, status="Approved", offset=1, limit=25,
    )  # fmt: skip
    assert dict(recorder.sent[0].url.params) == {
        "from": "2025-01-01", "to": "2025-04-02", "userId": EMP_ID, "timeOffTypeId": TYPE_ID,
        "status": "Approved", "offset": "1", "limit": "25",
    }  # fmt: skip
    assert len(page.data) == 3
    assert page.metadata.total == 3


async def test_iter_time_off_requests_walks_every_page_in_order(mode: str) -> None:
    recorder = Recorder(paged(60))
    items = await call(
        mode, recorder, "iter_time_off_requests", "2025-01-01", "2025-01-31", limit=25
    )
    assert [i.id for i in items] == [f"{n:024x}" for n in range(60)]
    assert [r.url.params["offset"] for r in recorder.sent] == ["1", "2", "3"]


async def test_iteration_stops_when_the_server_repeats_a_page(mode: str) -> None:
    def stuck(request: httpx.Request) -> httpx.Response:
        meta = {"count": 1, "offset": 1, "limit": 25, "total": 99}
        return httpx.Response(200, json={"data": [request_item(1)], "metadata": meta})

    with pytest.raises(PaginationError):
        await call(mode, Recorder(stuck), "iter_time_off_requests", "2025-01-01", "2025-01-02")


BAD_REQUEST_ARGUMENTS = [
    (("2025-01-01", "2025-04-03"), {}, "from_date"),  # 93 days, both ends included
    (("2025-02-01", "2025-01-31"), {}, "from_date"),
    (("2025-02-30", "2025-03-01"), {}, "from_date"),
    (("2025-01-01", "01/02/2025"), {}, "to_date"),
    (("2025-01-01", "2025-01-31"), {"limit": 30}, "limit"),
    (("2025-01-01", "2025-01-31"), {"user_id": "42"}, "user_id"),
    (("2025-01-01", "2025-01-31"), {"time_off_type_id": "vacation"}, "time_off_type_id"),
    (("2025-01-01", "2025-01-31"), {"status": ""}, "status"),
]


@pytest.mark.parametrize(
    ("method", "args", "kwargs", "field"),
    [("list_time_off_requests", *case) for case in BAD_REQUEST_ARGUMENTS]
    + [("iter_time_off_requests", *case) for case in BAD_REQUEST_ARGUMENTS]
    # The iterator chooses the page numbers itself.
    + [("list_time_off_requests", ("2025-01-01", "2025-01-31"), {"offset": 0}, "offset")],
)
async def test_time_off_request_arguments_are_checked_before_sending(
    mode: str, method: str, args: tuple[str, str], kwargs: dict[str, Any], field: str
) -> None:
    recorder = Recorder(paged(1))
    with pytest.raises(RequestValidationError) as caught:
        await call(mode, recorder, method, *args, **kwargs)
    assert caught.value.field == field
    assert recorder.sent == []


async def test_a_window_of_exactly_92_days_is_sent(mode: str) -> None:
    recorder = Recorder(paged(0))
    await call(mode, recorder, "list_time_off_requests", "2025-01-01", "2025-04-02")
    assert len(recorder.sent) == 1
