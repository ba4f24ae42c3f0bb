"""The Journyx SDK against a mock transport: every method, sync and async alike."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
import structlog

from balance_gateway.adapters._core.auth import LoginError
from balance_gateway.adapters._core.errors import (
    AuthenticationError,
    NotFoundError,
    PaginationError,
    RequestValidationError,
    ValidationError,
    WriteOutcomeUnknown,
)
from balance_gateway.adapters._core.retry import RetryPolicy
from balance_gateway.adapters.journyx import ACCRUAL_KEYS, Accrual, AccrualPage, AsyncClient, Client

BASE = "https://acme.apps.journyx.com"
API_KEY = "journyx-client-test-key"
SEED_ID = "64BBA147B9AC41D9978062300826C89F"
JANE = "5CD906A3941C463B9CC98F49DBCC25AA"
VACATION = "7FD02168BF7737FFAC2068C7DD76C31B"
PATH = "/api/v1/accruals"
FAST_RETRY = RetryPolicy(max_attempts=3, backoff_initial=0, jitter=0)

Handler = Callable[[httpx.Request], httpx.Response]


def accrual(id_: str = SEED_ID, hours: float = 40, **extra: Any) -> dict[str, Any]:
    return {"id": id_, "id_user": SEED_ID, "pname": "Vacation", "hours_left": hours, **extra}


def single(body: dict[str, Any], status: int = 200) -> httpx.Response:
    return httpx.Response(
        status, json={"response_code": status, "success": True, "uri": "x", "results": body}
    )


def error(status: int, message: str) -> httpx.Response:
    return httpx.Response(
        status, json={"response_code": status, "success": False, "error": message}
    )


def page(
    results: list[dict[str, Any]], count: int, skip: int, top: int, link: str | None
) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "response_code": 200,
            "success": True,
            "uri": PATH,
            "$count": count,
            "$skip": skip,
            "$top": top,
            "@nextLink": link,
            "results": results,
        },
    )


class Sdk:
    """One client, sync or async, recording every request it sends."""

    def __init__(self, mode: str, handler: Handler, **kwargs: Any) -> None:
        self.mode = mode
        self.sent: list[httpx.Request] = []

        def record(request: httpx.Request) -> httpx.Response:
            request.read()
            self.sent.append(request)
            return handler(request)

        transport = httpx.MockTransport(record)
        if "password" in kwargs:
            kwargs.setdefault("username", "admin")
        elif "token" not in kwargs:
            kwargs.update(username="admin", api_key=API_KEY)
        kwargs.setdefault("retry", FAST_RETRY)
        cls = Client if mode == "sync" else AsyncClient
        self.client: Any = cls(BASE, transport=transport, sleep=self._sleep(), **kwargs)

    def _sleep(self) -> Any:
        if self.mode == "sync":
            return lambda seconds: None

        async def asleep(seconds: float) -> None:
            return None

        return asleep

    async def __call__(self, method: str, *args: Any, **kwargs: Any) -> Any:
        result = getattr(self.client, method)(*args, **kwargs)
        return result if self.mode == "sync" else await result

    async def walk(self, **kwargs: Any) -> list[Accrual]:
        if self.mode == "sync":
            return list(self.client.iter_accruals(**kwargs))
        return [a async for a in self.client.iter_accruals(**kwargs)]


# -- reads --


async def test_get_accrual_sends_basic_auth_and_keys(mode: str) -> None:
    sdk = Sdk(mode, lambda r: single(accrual()))
    result = await sdk("get_accrual", SEED_ID, keys=["id", "hours_left", "id_user_properties"])
    assert result.hours_left == Decimal(40)
    request = sdk.sent[0]
    assert request.method == "GET"
    assert request.url.path == f"{PATH}/{SEED_ID}"
    assert request.url.params["$keys"] == "id,hours_left,id_user_properties"
    expected = base64.b64encode(f"admin:{API_KEY}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"


async def test_list_accruals_sends_every_collection_option(mode: str) -> None:
    sdk = Sdk(mode, lambda r: page([accrual()], 1, 0, 10, None))
    result = await sdk(
        "list_accruals",
        filter=f"id_user eq '{JANE}'",
        order_by="hours_left desc",
        skip=3,
        top=10,
        keys=["id", "pname"],
    )
    assert isinstance(result, AccrualPage)
    assert result.count == 1
    assert result.next_link is None
    assert dict(sdk.sent[0].url.params) == {
        "$filter": f"id_user eq '{JANE}'",
        "$orderBy": "hours_left desc",
        "$skip": "3",
        "$top": "10",
        "$keys": "id,pname",
    }


def paged_handler(total: int) -> Handler:
    """A server paging `total` accruals by $skip/$top with @nextLink."""

    def handle(request: httpx.Request) -> httpx.Response:
        skip = int(request.url.params.get("$skip", "0"))
        top = int(request.url.params.get("$top", "100"))
        items = [accrual(f"{i:032X}", hours=i) for i in range(skip, min(total, skip + top))]
        link = f"{PATH}?$top={top}&$skip={skip + top}" if skip + top < total else None
        return page(items, total, skip, top, link)

    return handle


async def test_iter_accruals_follows_next_link_to_the_last_page(mode: str) -> None:
    sdk = Sdk(mode, paged_handler(5))
    found = await sdk.walk(page_size=2, keys=["id", "hours_left"])
    assert [a.hours_left for a in found] == [0, 1, 2, 3, 4]
    assert [r.url.params.get("$skip") for r in sdk.sent] == [None, "2", "4"]
    assert all(r.url.params["$top"] == "2" for r in sdk.sent)


async def test_iter_accruals_uses_skip_when_the_server_sends_no_next_link_key(mode: str) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        skip = int(request.url.params.get("$skip", "0"))
        items = [accrual(f"{i:032X}", hours=i) for i in range(skip, min(3, skip + 2))]
        return httpx.Response(200, json={"$count": 3, "$skip": skip, "$top": 2, "results": items})

    sdk = Sdk(mode, handle)
    found = await sdk.walk(page_size=2, filter="pname eq 'Vacation'")
    assert [a.hours_left for a in found] == [0, 1, 2]
    assert sdk.sent[1].url.params["$filter"] == "pname eq 'Vacation'"
    assert sdk.sent[1].url.params["$skip"] == "2"


async def test_a_next_link_that_repeats_stops_the_walk(mode: str) -> None:
    sdk = Sdk(mode, lambda r: page([accrual()], 9, 0, 1, f"{PATH}?$top=1&$skip=1"))
    with pytest.raises(PaginationError):
        await sdk.walk(page_size=1)
    assert len(sdk.sent) == 2


# -- writes --


async def test_create_accrual_posts_the_writable_fields(mode: str) -> None:
    sdk = Sdk(mode, lambda r: single(accrual("A" * 32, 16), 201))
    created = await sdk(
        "create_accrual",
        pname="Personal",
        pay_type_ids=[VACATION],
        id_user=JANE,
        hours_left=Decimal("16"),
        hard_threshold=0,
        use_hard_threshold=True,
        status_code="ro",
    )
    assert created.id == "A" * 32
    request = sdk.sent[0]
    assert (request.method, request.url.path) == ("POST", PATH)
    assert json.loads(request.content) == {
        "pname": "Personal",
        "pay_type_ids": [VACATION],
        "id_user": JANE,
        "hours_left": 16,
        "hard_threshold": 0,
        "use_hard_threshold": True,
        "status_code": "ro",
    }


async def test_update_accrual_patches_only_the_given_fields(mode: str) -> None:
    sdk = Sdk(mode, lambda r: single(accrual(hours=32.5)))
    updated = await sdk("update_accrual", SEED_ID, hours_left=32.5)
    assert updated.hours_left == Decimal("32.5")
    request = sdk.sent[0]
    assert (request.method, request.url.path) == ("PATCH", f"{PATH}/{SEED_ID}")
    assert json.loads(request.content) == {"hours_left": 32.5}


async def test_replace_accrual_puts_a_full_body(mode: str) -> None:
    sdk = Sdk(mode, lambda r: single(accrual(hours=24)))
    await sdk("replace_accrual", SEED_ID, pname="Vacation", pay_type_ids=[VACATION], hours_left=24)
    request = sdk.sent[0]
    assert request.method == "PUT"
    assert json.loads(request.content) == {
        "pname": "Vacation",
        "pay_type_ids": [VACATION],
        "hours_left": 24,
    }


async def test_delete_accrual(mode: str) -> None:
    sdk = Sdk(mode, lambda r: httpx.Response(200, json={"response_code": 200, "success": True}))
    assert await sdk("delete_accrual", SEED_ID) is None
    assert (sdk.sent[0].method, sdk.sent[0].url.path) == ("DELETE", f"{PATH}/{SEED_ID}")


async def test_a_patch_is_retried_as_an_absolute_write(mode: str) -> None:
    answers = iter([error(503, "busy"), single(accrual(hours=32.5))])
    sdk = Sdk(mode, lambda r: next(answers))
    updated = await sdk("update_accrual", SEED_ID, hours_left=32.5)
    assert updated.hours_left == Decimal("32.5")
    assert len(sdk.sent) == 2


async def test_a_failed_create_is_an_unknown_outcome_not_a_retry(mode: str) -> None:
    sdk = Sdk(mode, lambda r: error(500, "boom"))
    with pytest.raises(WriteOutcomeUnknown):
        await sdk("create_accrual", pname="Personal", pay_type_ids=[VACATION])
    assert len(sdk.sent) == 1


# -- client-side checks --

NOT_HEX = "not-a-hex-id"


@pytest.mark.parametrize(
    ("method", "args", "kwargs", "field"),
    [
        ("get_accrual", (NOT_HEX,), {}, "accrual_id"),
        ("get_accrual", (SEED_ID,), {"keys": []}, "keys"),
        ("get_accrual", (SEED_ID,), {"keys": ["id,pname"]}, "keys"),
        ("list_accruals", (), {"top": 0}, "top"),
        ("list_accruals", (), {"top": 1001}, "top"),
        ("list_accruals", (), {"skip": -1}, "skip"),
        ("list_accruals", (), {"filter": " "}, "filter"),
        ("list_accruals", (), {"order_by": ""}, "order_by"),
        ("update_accrual", (NOT_HEX,), {"hours_left": 1}, "accrual_id"),
        ("update_accrual", (SEED_ID,), {"hours_left": float("nan")}, "hours_left"),
        ("update_accrual", (SEED_ID,), {"hours_left": float("inf")}, "hours_left"),
        ("update_accrual", (SEED_ID,), {"hard_threshold": "many"}, "hard_threshold"),
        ("update_accrual", (SEED_ID,), {"warning_threshold": True}, "warning_threshold"),
        ("update_accrual", (SEED_ID,), {"status_code": "x"}, "status_code"),
        ("update_accrual", (SEED_ID,), {"status": "Visible"}, "status"),
        ("update_accrual", (SEED_ID,), {"status": "Hidden", "status_code": "lr"}, "status"),
        ("update_accrual", (SEED_ID,), {"is_hidden": True, "status_code": "ro"}, "is_hidden"),
        ("update_accrual", (SEED_ID,), {"use_warning": "yes"}, "use_warning"),
        ("update_accrual", (SEED_ID,), {"id_user": "jane"}, "id_user"),
        ("update_accrual", (SEED_ID,), {}, "fields"),
        ("create_accrual", (), {"pname": "", "pay_type_ids": [VACATION]}, "pname"),
        ("create_accrual", (), {"pname": "X", "pay_type_ids": []}, "pay_type_ids"),
        ("create_accrual", (), {"pname": "X", "pay_type_ids": VACATION}, "pay_type_ids"),
        ("create_accrual", (), {"pname": "X", "pay_type_ids": ["Vacation"]}, "pay_type_ids[0]"),
        ("create_accrual", (), {"pname": None, "pay_type_ids": [VACATION]}, "pname"),
        ("replace_accrual", (SEED_ID,), {"pname": "X", "pay_type_ids": None}, "pay_type_ids"),
        ("delete_accrual", ("64bba147",), {}, "accrual_id"),
    ],
)
async def test_a_broken_constraint_names_the_field_and_sends_nothing(
    mode: str, method: str, args: tuple[Any, ...], kwargs: dict[str, Any], field: str
) -> None:
    sdk = Sdk(mode, lambda r: single(accrual()))
    with pytest.raises(RequestValidationError) as caught:
        await sdk(method, *args, **kwargs)
    assert caught.value.field == field
    assert field.split("[")[0] in str(caught.value)
    assert sdk.sent == []


async def test_iter_accruals_checks_its_arguments_before_sending(mode: str) -> None:
    sdk = Sdk(mode, lambda r: single(accrual()))
    with pytest.raises(RequestValidationError, match="top"):
        await sdk.walk(page_size=0)
    assert sdk.sent == []


# -- errors --


@pytest.mark.parametrize(
    ("status", "error_type"),
    [(400, ValidationError), (401, AuthenticationError), (404, NotFoundError)],
)
async def test_vendor_errors_map_to_typed_errors(
    mode: str, status: int, error_type: type[Exception]
) -> None:
    sdk = Sdk(mode, lambda r: error(status, "accrual is unhappy"))
    with pytest.raises(error_type) as caught:
        await sdk("get_accrual", SEED_ID)
    assert "accrual is unhappy" in str(caught.value)
    assert getattr(caught.value, "body", None) == {
        "response_code": status,
        "success": False,
        "error": "accrual is unhappy",
    }


async def test_the_api_key_never_reaches_logs_or_errors(mode: str) -> None:
    sdk = Sdk(mode, lambda r: error(401, f"bad key {API_KEY}"))
    with structlog.testing.capture_logs() as logs, pytest.raises(AuthenticationError) as caught:
        await sdk("get_accrual", SEED_ID)
    assert API_KEY not in str(caught.value)
    assert API_KEY not in repr(logs)
    assert logs
    assert logs[0]["status"] == 401


# -- auth --


async def test_a_session_token_is_sent_as_the_wtsession_cookie(mode: str) -> None:
    sdk = Sdk(mode, lambda r: single(accrual()), token="session-value-123")
    await sdk("get_accrual", SEED_ID)
    assert sdk.sent[0].headers["Cookie"] == "wtsession=session-value-123"
    assert "Authorization" not in sdk.sent[0].headers


def login_server(password: str, live: set[str] | None = None) -> Handler:
    """A server issuing sessions on /login; `live` holds the sessions it still accepts."""
    sessions = iter(["first-session", "second-session"])
    live = set() if live is None else live

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/login":
            body = json.loads(request.content)
            if body != {"username": "admin", "password": password}:
                return error(401, "invalid username or password")
            session = next(sessions)
            live.add(session)
            return httpx.Response(
                200,
                json={"response_code": 200, "success": True},
                headers={"Set-Cookie": f"wtsession={session}; Path=/; HttpOnly"},
            )
        cookie = request.headers.get("Cookie", "")
        if cookie.removeprefix("wtsession=") not in live:
            return error(401, "authentication required")
        return single(accrual())

    return handle


async def test_login_happens_on_the_first_request_and_the_cookie_is_reused(mode: str) -> None:
    sdk = Sdk(mode, login_server("s3cret-password"), password="s3cret-password")
    await sdk("get_accrual", SEED_ID)
    await sdk("get_accrual", SEED_ID)
    assert [r.url.path for r in sdk.sent] == ["/login", f"{PATH}/{SEED_ID}", f"{PATH}/{SEED_ID}"]
    assert sdk.sent[0].url.host == "acme.apps.journyx.com"
    assert sdk.sent[2].headers["Cookie"] == "wtsession=first-session"


async def test_an_explicit_login_then_a_renewal_on_401(mode: str) -> None:
    live: set[str] = set()
    sdk = Sdk(mode, login_server("s3cret-password", live), password="s3cret-password")
    await sdk("login")
    assert sdk.client.auth.login_count == 1
    live.clear()  # the server forgets the session: 401, one new login, then success
    result = await sdk("get_accrual", SEED_ID)
    assert result.id == SEED_ID
    assert sdk.client.auth.login_count == 2
    assert [r.url.path for r in sdk.sent] == [
        "/login",
        *[f"{PATH}/{SEED_ID}", "/login"],
        f"{PATH}/{SEED_ID}",
    ]
    assert sdk.sent[-1].headers["Cookie"] == "wtsession=second-session"


async def test_a_refused_login_raises_login_error(mode: str) -> None:
    sdk = Sdk(mode, login_server("right"), password="wrong-password")
    with pytest.raises(LoginError):
        await sdk("get_accrual", SEED_ID)


async def test_login_needs_a_password_client(mode: str) -> None:
    sdk = Sdk(mode, lambda r: single(accrual()))
    with pytest.raises(Exception, match="password"):
        await sdk("login")
    assert sdk.sent == []


@pytest.mark.parametrize("cls", [Client, AsyncClient])
def test_a_client_without_credentials_is_refused(cls: type[Any]) -> None:
    with pytest.raises(RequestValidationError) as caught:
        cls(BASE, username="admin")
    assert caught.value.field == "credentials"


async def test_every_documented_key_can_be_requested(mode: str) -> None:
    sdk = Sdk(mode, lambda r: single(accrual()))
    await sdk("get_accrual", SEED_ID, keys=ACCRUAL_KEYS)
    assert sdk.sent[0].url.params["$keys"].split(",") == list(ACCRUAL_KEYS)


# -- the SDK as adapters/_core builds it (tests/adapters/_core/test_operations.py) -----------


def test_an_operation_keeps_its_documentation() -> None:
    assert "hours_left" in (Client.update_accrual.__doc__ or "")


def test_a_client_refuses_the_other_kind_of_transport_saying_which_to_use() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        return None

    asgi = httpx.ASGITransport(app=app)
    with pytest.raises(TypeError, match="use the AsyncClient"):
        Client("http://j.test", username="u", api_key="k", transport=asgi)
    with httpx.Client() as blocking, pytest.raises(TypeError, match="use the Client"):
        AsyncClient("http://j.test", username="u", api_key="k", http_client=blocking)
