"""The base clients: building requests, plugging in transports, parsing and logging."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from importlib import metadata
from typing import Any

import httpx
import pydantic
import pytest
import respx
from structlog.testing import capture_logs

import balance_gateway
from balance_gateway.adapters._core.adapter import AdapterConfig
from balance_gateway.adapters._core.client import (
    USER_AGENT,
    AsyncAPIClient,
    BaseClient,
    SyncAPIClient,
)
from balance_gateway.adapters._core.errors import (
    RedirectError,
    ResponseParseError,
    ServerError,
    WriteOutcomeUnknown,
)
from balance_gateway.adapters._core.retry import RetryPolicy
from tests.adapters.sync_async import core_client, send

BASE = "https://api.example.test/v1"


def make_client(mode: str, **kwargs: Any) -> SyncAPIClient | AsyncAPIClient:
    return core_client(mode, **{"base_url": BASE, **kwargs})


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


class Employee(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")

    id: str
    remaining: float


# -- building requests ----------------------------------------------------------------------


@pytest.mark.parametrize("base", [BASE, BASE + "/"])
@pytest.mark.parametrize("path", ["employees/e-1", "/employees/e-1"])
def test_paths_are_joined_under_the_base_url(base: str, path: str) -> None:
    request = BaseClient(base_url=base).build_request("GET", path)
    assert str(request.url) == "https://api.example.test/v1/employees/e-1"


def test_an_absolute_next_link_is_used_as_it_is() -> None:
    client = BaseClient(base_url=BASE)
    request = client.build_request("GET", "https://api.example.test/v1/items?cursor=abc")
    assert str(request.url) == "https://api.example.test/v1/items?cursor=abc"


def test_query_params_drop_none_and_spell_booleans_in_lowercase() -> None:
    request = BaseClient(base_url=BASE).build_request(
        "get",
        "items",
        params={"page": 2, "active": True, "archived": False, "q": None, "ratio": 0.5},
    )
    assert request.method == "GET"
    assert dict(request.url.params) == {
        "page": "2",
        "active": "true",
        "archived": "false",
        "ratio": "0.5",
    }


def test_params_are_merged_with_a_query_already_in_the_path() -> None:
    request = BaseClient(base_url=BASE).build_request("GET", "items?cursor=abc", params={"n": 5})
    assert dict(request.url.params) == {"cursor": "abc", "n": "5"}


def test_json_and_form_bodies() -> None:
    client = BaseClient(base_url=BASE)
    as_json = client.build_request("POST", "credits", json={"days": 1.5})
    assert as_json.headers["Content-Type"] == "application/json"
    assert as_json.content == b'{"days":1.5}'
    as_form = client.build_request("POST", "login", data={"user": "ada"})
    assert as_form.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert as_form.content == b"user=ada"


def test_default_and_extra_headers() -> None:
    client = BaseClient(base_url=BASE, headers={"X-Tenant": "t-1", "Accept": "text/csv"})
    request = client.build_request("GET", "items")
    assert request.headers["User-Agent"] == USER_AGENT
    assert request.headers["X-Tenant"] == "t-1"
    assert request.headers["Accept"] == "text/csv"
    assert BaseClient(base_url=BASE).build_request("GET", "x").headers["Accept"] == (
        "application/json"
    )


def test_the_timeout_travels_with_each_request() -> None:
    client = BaseClient(base_url=BASE, timeout=7.0)
    request = client.build_request("GET", "items")
    assert request.extensions["timeout"] == httpx.Timeout(7.0).as_dict()


def test_user_agent_names_the_project_and_its_version() -> None:
    version = metadata.version("balance-gateway")  # what pip installed, from `__version__`
    assert version == balance_gateway.__version__
    assert USER_AGENT.startswith(f"balance-gateway/{version} ")
    assert f"python-httpx/{httpx.__version__}" in USER_AGENT


async def test_user_agent_is_sent_on_the_wire(mode: str, api: respx.MockRouter) -> None:
    route = api.get("/items").mock(return_value=httpx.Response(200, json=[]))
    await send(make_client(mode), "GET", "items")
    sent = route.calls.last.request
    assert sent.headers["User-Agent"] == USER_AGENT
    assert sent.headers["User-Agent"].startswith("balance-gateway/")


# -- plugging in transports and clients -----------------------------------------------------


async def test_an_injected_transport_receives_every_request(mode: str) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url}")
        return httpx.Response(200, json={"id": "e-1", "remaining": 3})

    transport = httpx.MockTransport(handler)
    client = make_client(mode, transport=transport)
    response = await send(client, "GET", "employees/e-1", params={"fields": "all"})
    assert response.json() == {"id": "e-1", "remaining": 3}
    assert seen == ["GET https://api.example.test/v1/employees/e-1?fields=all"]


def test_an_option_the_client_does_not_know_is_refused_by_name(mode: str) -> None:
    with pytest.raises(TypeError, match="timout") as caught:
        make_client(mode, timout=5.0)
    assert ("AsyncAPIClient" if mode == "async" else "SyncAPIClient") in str(caught.value)


async def test_an_adapter_config_hands_its_transport_retry_and_timeout_to_the_client() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(503)

    config = AdapterConfig(
        system="hr-prod",
        base_url=BASE,
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy.none(),
        timeout=7.0,
    )
    async with AsyncAPIClient(base_url=config.base_url, **config.client_options()) as client:
        assert client.timeout == httpx.Timeout(7.0)
        with pytest.raises(ServerError):
            await client.request("GET", "ping")
    assert len(seen) == 1  # RetryPolicy.none(): a 503 is not sent again
    assert seen[0].extensions["timeout"]["read"] == 7.0


def test_an_injected_http_client_is_used_and_left_open_sync() -> None:
    http = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(204)))
    with SyncAPIClient(base_url=BASE, http_client=http) as client:
        assert client.request("DELETE", "credits/c-1").status_code == 204
    assert not http.is_closed
    http.close()


async def test_an_injected_http_client_is_used_and_left_open_async() -> None:
    http = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(204)))
    async with AsyncAPIClient(base_url=BASE, http_client=http) as client:
        assert (await client.request("DELETE", "credits/c-1")).status_code == 204
    assert not http.is_closed
    await http.aclose()


def test_a_client_it_created_is_closed_on_exit_sync() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(204))
    with SyncAPIClient(base_url=BASE, transport=transport) as client:
        client.request("GET", "ping")
    with pytest.raises(RuntimeError, match="closed"):
        client.request("GET", "ping")


async def test_a_client_it_created_is_closed_on_exit_async() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(204))
    async with AsyncAPIClient(base_url=BASE, transport=transport) as client:
        await client.request("GET", "ping")
    with pytest.raises(RuntimeError, match="closed"):
        await client.request("GET", "ping")


@pytest.mark.parametrize("status", [301, 302, 304, 307])
async def test_a_3xx_is_an_error_not_a_success(
    mode: str, api: respx.MockRouter, status: int
) -> None:
    # Issue 14: any status below 400 used to be success, so a redirect to a login page was
    # taken for the answer. The client never sends conditional requests: a 304 is not one.
    api.get("/items").mock(return_value=httpx.Response(status, headers={"Location": "/x"}))
    with pytest.raises(RedirectError) as caught:
        await send(make_client(mode), "GET", "items")
    assert caught.value.status_code == status


# -- parsing --------------------------------------------------------------------------------


async def test_parse_validates_the_body_into_a_wire_model(mode: str, api: respx.MockRouter) -> None:
    api.get("/employees/e-1").mock(
        return_value=httpx.Response(200, json={"id": "e-1", "remaining": 2.5, "new": "kept"})
    )
    client = make_client(mode)
    employee = client.parse(await send(client, "GET", "employees/e-1"), Employee)
    assert employee.id == "e-1"
    assert employee.remaining == 2.5
    assert employee.model_extra == {"new": "kept"}


async def test_parse_of_a_part_of_the_body(mode: str, api: respx.MockRouter) -> None:
    api.get("/employees").mock(
        return_value=httpx.Response(200, json={"data": {"id": "e-2", "remaining": 1}})
    )
    client = make_client(mode)
    response = await send(client, "GET", "employees")
    assert client.parse(response, Employee, response.json()["data"]).id == "e-2"


async def test_a_body_that_breaks_the_model_raises_response_parse_error(
    mode: str, api: respx.MockRouter
) -> None:
    api.get("/employees/e-1").mock(
        return_value=httpx.Response(200, json={"id": "e-1", "remaining": "lots"})
    )
    client = make_client(mode)
    response = await send(client, "GET", "employees/e-1")
    with pytest.raises(ResponseParseError) as caught:
        client.parse(response, Employee)
    message = str(caught.value)
    assert "GET /v1/employees/e-1 answered 200" in message
    assert "not a Employee" in message
    assert "remaining:" in message
    assert caught.value.__cause__ is None


def test_a_non_json_body_is_reported_as_the_whole_body() -> None:
    response = httpx.Response(
        200, text="<html>maintenance</html>", request=httpx.Request("GET", BASE + "/x")
    )
    with pytest.raises(ResponseParseError, match="not JSON"):
        BaseClient(base_url=BASE).parse(response, Employee)


# -- logging --------------------------------------------------------------------------------


async def test_one_log_event_per_attempt(mode: str, api: respx.MockRouter) -> None:
    api.get("/items").mock(side_effect=[httpx.Response(503), httpx.Response(200, json=[])])
    client = make_client(mode)
    with capture_logs() as logs:
        await send(client, "GET", "items", params={"page": 1})
    events = [e for e in logs if e["event"] == "http.request"]
    assert [(e["method"], e["path"], e["status"], e["attempt"]) for e in events] == [
        ("GET", "/v1/items", 503, 1),
        ("GET", "/v1/items", 200, 2),
    ]
    assert all(e["vendor"] == "generic" and e["duration_ms"] >= 0 for e in events)
    assert all(e["error"] is None for e in events)


async def test_a_network_failure_is_logged_with_its_type(mode: str, api: respx.MockRouter) -> None:
    api.post("/credits").mock(side_effect=httpx.ReadTimeout("slow"))
    client = make_client(mode)
    with capture_logs() as logs, pytest.raises(WriteOutcomeUnknown):
        await send(client, "POST", "credits")
    assert [(e["status"], e["error"], e["attempt"]) for e in logs] == [(None, "ReadTimeout", 1)]


async def test_a_vendor_subclass_names_itself_in_logs(api: respx.MockRouter) -> None:
    class AcmeClient(SyncAPIClient):
        vendor = "acme"

    api.get("/items").mock(return_value=httpx.Response(500))
    with capture_logs() as logs, pytest.raises(ServerError):
        AcmeClient(base_url=BASE, retry=RetryPolicy.none()).request("GET", "items")
    assert logs[0]["vendor"] == "acme"


async def test_an_answer_is_freed_as_soon_as_its_reader_lets_it_go(mode: str) -> None:
    # Without the cyclic collector: httpx binds a response and its stream in a cycle, which
    # kept every page of a bulk read (megabytes each) until a full collection came.
    body = b'{"items": "' + b"x" * 100_000 + b'"}'
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    client = make_client(mode, transport=transport)
    gc.disable()
    try:
        response = await send(client, "GET", "accruals")
        assert response.json()["items"] == "x" * 100_000
        let_go = weakref.ref(response)
        del response
        assert let_go() is None
    finally:
        gc.enable()
