"""The CompanyFlow SDK against a mock transport: every method, sync and async alike."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
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
    RequestValidationError,
    ResponseParseError,
    ServerError,
    ValidationError,
)
from balance_gateway.adapters._core.retry import RetryPolicy
from balance_gateway.adapters._core.secrets import scrub
from balance_gateway.adapters.companyflow import AsyncClient, Client, LeaveBalance, LeaveTypePage
from balance_gateway.adapters.companyflow.client import CompanyFlowLoginAuth
from tests.adapters.sync_async import Recorder

BASE = "https://api.companyflow.com"
AL = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
EMPLOYEE = "987e6543-e21b-12d3-a456-426614174000"
COMPANY = "5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLWZvci10ZXN0cw"
PASSWORD = "correct-horse-battery"

Handler = Callable[[httpx.Request], httpx.Response]


def ok(data: Any, **extra: Any) -> httpx.Response:
    return httpx.Response(200, json={"success": True, "data": data, **extra})


def failure(status: int, error: str) -> httpx.Response:
    return httpx.Response(status, json={"success": False, "error": error})


def login_ok(token: str = JWT) -> httpx.Response:
    return ok(
        {
            "token": token,
            "expires_in": 86400,
            "user": {
                "id": EMPLOYEE,
                "email": "jane.doe@example.com",
                "first_name": "Jane",
                "last_name": "Doe",
                "role": "employee",
                "company_id": COMPANY,
            },
        }
    )


def leave_type(n: int) -> dict[str, Any]:
    return {
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "name": f"Type {n}",
        "code": f"T{n}",
        "days_allowed": 10,
        "is_paid": True,
        "color_code": "#000000",
    }


class Api:
    """Calls one SDK method the same way on the sync or the async client."""

    def __init__(self, mode: str, handler: Handler, **client_kwargs: Any) -> None:
        self.mode = mode
        self.recorder = Recorder(handler)
        client_kwargs.setdefault("retry", RetryPolicy.none())
        if "email" not in client_kwargs:
            client_kwargs.setdefault("token", JWT)
        transport = httpx.MockTransport(self.recorder)
        self.client: Client | AsyncClient = (
            Client(BASE, transport=transport, **client_kwargs)
            if mode == "sync"
            else AsyncClient(BASE, transport=transport, **client_kwargs)
        )

    @property
    def sent(self) -> list[httpx.Request]:
        return self.recorder.sent

    async def __call__(self, method: str, *args: Any, **kwargs: Any) -> Any:
        result = getattr(self.client, method)(*args, **kwargs)
        if isinstance(result, Iterator):
            return list(result)
        if isinstance(result, AsyncIterator):
            return [item async for item in result]
        if self.mode == "async":
            return await result
        return result


# -- reading ----------------------------------------------------------------------------------


async def test_get_balance_sends_the_seed_request_and_unwraps_data(
    mode: str, seed_body: dict[str, Any]
) -> None:
    api = Api(mode, lambda r: httpx.Response(200, json=seed_body))

    balance = await api("get_balance", AL, 2025)

    (request,) = api.sent
    assert request.method == "GET"
    assert request.url.path == f"/leave-balance/{AL}"
    assert dict(request.url.params) == {"year": "2025"}
    assert request.headers["Authorization"] == f"Bearer {JWT}"
    assert isinstance(balance, LeaveBalance)
    assert balance.available_days == Decimal("15.5")
    assert balance.total_days - balance.used_days - balance.pending_days == balance.available_days


async def test_check_balance_returns_the_available_days(mode: str) -> None:
    api = Api(mode, lambda r: ok(15.5))

    available = await api("check_balance", AL, 2025)

    assert available == Decimal("15.5")
    assert api.sent[0].url.path == "/leave-balance"
    assert dict(api.sent[0].url.params) == {"leaveTypeId": AL, "year": "2025"}


async def test_employee_balances_returns_every_balance(
    mode: str, seed_body: dict[str, Any]
) -> None:
    second = {**seed_body["data"], "id": "bal-002-uuid", "leave_type_id": "other"}
    api = Api(mode, lambda r: ok([seed_body["data"], second]))

    balances = await api("employee_balances", EMPLOYEE, 2025)

    assert [b.id for b in balances] == ["bal-001-uuid", "bal-002-uuid"]
    assert api.sent[0].url.path == f"/employees/{EMPLOYEE}/leave-balances"
    assert dict(api.sent[0].url.params) == {"year": "2025"}


async def test_list_leave_types_returns_one_page(mode: str) -> None:
    pagination = {"page": 2, "pageSize": 1, "total": 3, "totalPages": 3}
    api = Api(mode, lambda r: ok([leave_type(2)], pagination=pagination))

    page = await api("list_leave_types", COMPANY, page=2, page_size=1)

    assert isinstance(page, LeaveTypePage)
    assert [t.code for t in page.items] == ["T2"]
    assert page.next_page() == 3
    assert api.sent[0].url.path == f"/companies/{COMPANY}/leave-types"
    assert dict(api.sent[0].url.params) == {"page": "2", "pageSize": "1"}


def paged_leave_types(total: int) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        size = int(request.url.params["pageSize"])
        items = [leave_type(n) for n in range(total)][(page - 1) * size : page * size]
        pages = -(-total // size)
        return ok(
            items, pagination={"page": page, "pageSize": size, "total": total, "totalPages": pages}
        )

    return handler


async def test_iter_leave_types_walks_every_page(mode: str) -> None:
    api = Api(mode, paged_leave_types(5))

    types = await api("iter_leave_types", COMPANY, page_size=2)

    assert [t.code for t in types] == ["T0", "T1", "T2", "T3", "T4"]
    assert [r.url.params["page"] for r in api.sent] == ["1", "2", "3"]


def test_iter_leave_types_fetches_lazily() -> None:
    api = Api("sync", paged_leave_types(5))
    assert isinstance(api.client, Client)

    first = next(api.client.iter_leave_types(COMPANY, page_size=2))

    assert first.code == "T0"
    assert len(api.sent) == 1


async def test_iter_leave_types_stops_when_the_server_repeats_a_page(mode: str) -> None:
    # A broken server that always answers page 1 of 3.
    pagination = {"page": 1, "pageSize": 1, "total": 3, "totalPages": 3}
    api = Api(mode, lambda r: ok([leave_type(0)], pagination=pagination))

    with pytest.raises(PaginationError, match="twice"):
        await api("iter_leave_types", COMPANY, page_size=1)


# -- client-side checks -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "args", "kwargs", "field"),
    [
        ("get_balance", (AL, 2019), {}, "year"),
        ("get_balance", (AL, 2101), {}, "year"),
        ("get_balance", (AL, "2025"), {}, "year"),
        ("get_balance", (AL, 2025.0), {}, "year"),
        ("get_balance", (AL, True), {}, "year"),
        ("get_balance", ("annual-leave", 2025), {}, "leave_type_id"),
        ("get_balance", (f"{AL}/../x", 2025), {}, "leave_type_id"),
        ("check_balance", (AL, 1999), {}, "year"),
        ("check_balance", ("AL", 2025), {}, "leave_type_id"),
        ("employee_balances", ("42", 2025), {}, "employee_id"),
        ("employee_balances", (EMPLOYEE, 2019), {}, "year"),
        ("list_leave_types", ("acme",), {}, "company_id"),
        ("list_leave_types", (COMPANY,), {"page_size": 101}, "page_size"),
        ("list_leave_types", (COMPANY,), {"page_size": 0}, "page_size"),
        ("list_leave_types", (COMPANY,), {"page": 0}, "page"),
        ("iter_leave_types", (COMPANY,), {"page_size": 101}, "page_size"),
    ],
)
async def test_broken_arguments_are_refused_before_sending(
    mode: str, method: str, args: tuple[Any, ...], kwargs: dict[str, Any], field: str
) -> None:
    api = Api(mode, lambda r: pytest.fail("nothing should be sent"))

    with pytest.raises(RequestValidationError) as caught:
        await api(method, *args, **kwargs)

    assert caught.value.field == field
    assert field in str(caught.value)
    assert api.sent == []


@pytest.mark.parametrize("year", [2020, 2100])
async def test_year_bounds_are_inclusive(mode: str, year: int, seed_body: dict[str, Any]) -> None:
    api = Api(mode, lambda r: httpx.Response(200, json=seed_body))

    await api("get_balance", AL, year)

    assert api.sent[0].url.params["year"] == str(year)


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error", "expected"),
    [
        (401, "Access denied. No token provided.", AuthenticationError),
        (401, "Insufficient permissions", AuthenticationError),
        (400, "Year must be an integer between 2020 and 2100", ValidationError),
        (404, "Leave type not found", NotFoundError),
        (500, "Internal server error", ServerError),
    ],
)
async def test_error_answers_become_typed_errors_with_the_vendor_text(
    mode: str, status: int, error: str, expected: type[Exception]
) -> None:
    api = Api(mode, lambda r: failure(status, error))

    with pytest.raises(expected) as caught:
        await api("get_balance", AL, 2025)

    assert error in str(caught.value)
    assert caught.value.body == {"success": False, "error": error}  # type: ignore[attr-defined]


async def test_a_2xx_that_says_success_false_is_an_error(mode: str) -> None:
    api = Api(mode, lambda r: failure(200, "Something odd"))

    with pytest.raises(ResponseParseError, match="Something odd"):
        await api("get_balance", AL, 2025)


async def test_a_body_of_the_wrong_shape_is_an_error(mode: str) -> None:
    api = Api(mode, lambda r: ok({"id": "bal-001-uuid"}))

    with pytest.raises(ResponseParseError, match=r"data\.total_days: Field required"):
        await api("get_balance", AL, 2025)


async def test_reads_are_retried_on_503(mode: str, seed_body: dict[str, Any]) -> None:
    answers = iter([failure(503, "busy"), httpx.Response(200, json=seed_body)])
    policy = RetryPolicy(max_attempts=2, backoff_initial=0.001, backoff_max=0.001, jitter=0)
    api = Api(mode, lambda r: next(answers), retry=policy)

    balance = await api("get_balance", AL, 2025)

    assert balance.id == "bal-001-uuid"
    assert len(api.sent) == 2


# -- auth -------------------------------------------------------------------------------------


def login_then(handler: Handler, tokens: list[str] | None = None) -> Handler:
    """Answers `POST /auth/login` with successive tokens, everything else with `handler`."""
    issued = iter(tokens or [JWT])

    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/login":
            return login_ok(next(issued))
        return handler(request)

    return route


async def test_email_and_password_log_in_once_and_reuse_the_token(
    mode: str, seed_body: dict[str, Any]
) -> None:
    api = Api(
        mode,
        login_then(lambda r: httpx.Response(200, json=seed_body)),
        email="jane.doe@example.com",
        password=PASSWORD,
    )

    await api("get_balance", AL, 2025)
    await api("get_balance", AL, 2025)

    login, first, second = api.sent
    assert (login.method, login.url.path) == ("POST", "/auth/login")
    assert json.loads(login.content) == {"email": "jane.doe@example.com", "password": PASSWORD}
    assert first.headers["Authorization"] == second.headers["Authorization"] == f"Bearer {JWT}"


async def test_a_401_renews_the_token_once(mode: str, seed_body: dict[str, Any]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == "Bearer old.jwt.token":
            return failure(401, "Token expired")
        return httpx.Response(200, json=seed_body)

    api = Api(
        mode,
        login_then(handler, ["old.jwt.token", "new.jwt.token"]),
        email="jane.doe@example.com",
        password=PASSWORD,
    )

    balance = await api("get_balance", AL, 2025)

    assert balance.id == "bal-001-uuid"
    paths = [r.url.path for r in api.sent]
    assert paths == ["/auth/login", f"/leave-balance/{AL}", "/auth/login", f"/leave-balance/{AL}"]
    assert api.sent[-1].headers["Authorization"] == "Bearer new.jwt.token"


async def test_a_static_token_with_a_login_is_used_first_then_renewed(
    mode: str, seed_body: dict[str, Any]
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == "Bearer stale.jwt.token":
            return failure(401, "Token expired")
        return httpx.Response(200, json=seed_body)

    api = Api(
        mode,
        login_then(handler),
        token="stale.jwt.token",
        email="jane.doe@example.com",
        password=PASSWORD,
    )

    await api("get_balance", AL, 2025)

    assert [r.url.path for r in api.sent][:2] == [f"/leave-balance/{AL}", "/auth/login"]
    assert api.sent[-1].headers["Authorization"] == f"Bearer {JWT}"


async def test_a_role_failure_stays_an_authentication_error(mode: str) -> None:
    api = Api(
        mode,
        login_then(lambda r: failure(401, "Insufficient permissions"), [JWT, JWT]),
        email="jane.doe@example.com",
        password=PASSWORD,
    )

    with pytest.raises(AuthenticationError, match="Insufficient permissions"):
        await api("employee_balances", EMPLOYEE, 2025)

    assert sum(r.url.path == "/auth/login" for r in api.sent) == 2  # renewed once, no more


async def test_explicit_login_returns_the_grant(mode: str) -> None:
    issued = f"eyJsb2dpbg.{mode}-explicit.dGVzdA"  # a token no other test registers
    api = Api(
        mode,
        login_then(lambda r: ok(1), [issued]),
        email="jane.doe@example.com",
        password=PASSWORD,
    )

    grant = await api("login")

    assert grant.user.id == EMPLOYEE
    assert grant.expires_in == 86400
    assert grant.token.get_secret_value() == issued
    assert issued not in repr(grant)
    assert issued not in scrub(f"an error quoting {issued}")
    await api("check_balance", AL, 2025)
    assert [r.url.path for r in api.sent] == ["/auth/login", "/leave-balance"]
    assert api.sent[1].headers["Authorization"] == f"Bearer {issued}"


async def test_a_refused_login_never_shows_the_password(mode: str) -> None:
    api = Api(
        mode,
        lambda r: failure(401, f"Invalid email or password ({PASSWORD})"),
        email="jane.doe@example.com",
        password=PASSWORD,
    )

    with capture_logs() as logs, pytest.raises(LoginError) as caught:
        await api("get_balance", AL, 2025)

    assert caught.value.status_code == 401
    assert PASSWORD not in str(caught.value)
    assert PASSWORD not in repr(logs)
    assert JWT not in repr(logs)


async def test_login_needs_email_and_password(mode: str) -> None:
    api = Api(mode, lambda r: pytest.fail("nothing should be sent"))

    with pytest.raises(RequestValidationError, match="email"):
        await api("login")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({}, "token"), ({"email": "a@example.com"}, "password"), ({"password": "x" * 8}, "email")],
)
@pytest.mark.parametrize("client_class", [Client, AsyncClient])
def test_a_client_needs_credentials(
    client_class: type[Client] | type[AsyncClient], kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(RequestValidationError) as caught:
        client_class(BASE, **kwargs)
    assert caught.value.field == field


def test_the_login_grant_expires_with_expires_in() -> None:
    now = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
    auth = CompanyFlowLoginAuth(f"{BASE}/auth/login", "a@example.com", PASSWORD, clock=lambda: now)
    response = login_ok()
    response.request = auth.build_login_request(httpx.URL(BASE))

    grant = auth.accept_login_response(response)

    assert grant.expires_at == now + timedelta(hours=24)
    assert str(auth.build_login_request(httpx.URL(BASE)).url) == f"{BASE}/auth/login"


def test_a_login_without_a_token_is_a_clear_error() -> None:
    auth = CompanyFlowLoginAuth(f"{BASE}/auth/login", "a@example.com", PASSWORD)
    response = ok({"expires_in": 86400})
    response.request = auth.build_login_request(httpx.URL(BASE))

    with pytest.raises(GatewayError, match="without a usable token"):
        auth.accept_login_response(response)


def test_a_base_url_with_a_path_prefix_keeps_it_for_login_and_reads(
    seed_body: dict[str, Any],
) -> None:
    recorder = Recorder(
        lambda r: (
            login_ok()
            if r.url.path.endswith("/auth/login")
            else httpx.Response(200, json=seed_body)
        )
    )
    client = Client(
        "https://gateway.example.com/companyflow/v1",
        email="jane.doe@example.com",
        password=PASSWORD,
        transport=httpx.MockTransport(recorder),
    )

    client.get_balance(AL, 2025)

    assert [r.url.path for r in recorder.sent] == [
        "/companyflow/v1/auth/login",
        f"/companyflow/v1/leave-balance/{AL}",
    ]
