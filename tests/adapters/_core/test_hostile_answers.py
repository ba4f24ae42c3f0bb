"""Only the documented answer is success (issue 14, items 3 and 4).

A 3xx is never followed and never success; a 2xx whose body is not the documented JSON, or that
says `success: false`, is an error, and for a write an unknown outcome; hostile bodies (deep
nesting, huge numbers, NaN, truncation) raise the typed `ResponseParseError`; a response larger
than the cap, or slower than the total deadline, fails typed; idempotent requests are retried on
5xx as the Stainless SDKs do, POST never on 500.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pydantic
import pytest

from balance_gateway.adapters._core.client import AsyncAPIClient, SyncAPIClient
from balance_gateway.adapters._core.errors import (
    DeadlineExceeded,
    GatewayError,
    RedirectError,
    ResponseParseError,
    ResponseTooLarge,
    ServerError,
    TransportError,
    WriteOutcomeUnknown,
)
from balance_gateway.adapters._core.retry import RetryPolicy
from tests.adapters.sync_async import close, core_client, send

BASE = "https://api.example.test/v1"


class Item(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")
    id: str
    value: float | None = None


class Calls:
    """A MockTransport handler answering `answers` in turn, counting the requests."""

    def __init__(self, *answers: httpx.Response) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        return answer


async def call(
    mode: str, handler: Calls, method: str, path: str, model: type[Any] | None = Item, **kw: Any
) -> Any:
    kw.setdefault("retry", RetryPolicy(max_attempts=3))
    client = core_client(mode, base_url=BASE, transport=httpx.MockTransport(handler), **kw)
    try:
        response = await send(client, method, path)
        return response if model is None else client.parse(response, model)
    finally:
        await close(client)


# -- 3xx ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirect_on_a_read_is_an_error_and_is_not_followed(mode: str, status: int) -> None:
    handler = Calls(httpx.Response(status, headers={"Location": "https://evil.example/steal"}))
    with pytest.raises(RedirectError) as caught:
        await call(mode, handler, "GET", "items/1")
    assert len(handler.requests) == 1  # never followed, so no credential went to evil.example
    assert caught.value.status_code == status
    assert "evil.example" in str(caught.value)
    assert "not followed" in str(caught.value)


async def test_a_redirect_is_not_followed_even_by_a_client_that_follows(mode: str) -> None:
    handler = Calls(httpx.Response(302, headers={"Location": "https://evil.example/"}))
    transport = httpx.MockTransport(handler)
    if mode == "sync":
        http = httpx.Client(transport=transport, follow_redirects=True)
        with pytest.raises(RedirectError):
            SyncAPIClient(base_url=BASE, http_client=http).request("GET", "items")
    else:
        ahttp = httpx.AsyncClient(transport=transport, follow_redirects=True)
        with pytest.raises(RedirectError):
            await AsyncAPIClient(base_url=BASE, http_client=ahttp).request("GET", "items")
    assert [r.url.host for r in handler.requests] == ["api.example.test"]


@pytest.mark.parametrize("method", ["PUT", "POST", "PATCH", "DELETE"])
async def test_a_redirect_on_a_write_is_an_unknown_outcome(mode: str, method: str) -> None:
    handler = Calls(httpx.Response(302, headers={"Location": "/maintenance"}))
    with pytest.raises(WriteOutcomeUnknown):
        await call(mode, handler, method, "items/1", model=None)
    assert len(handler.requests) == 1


# -- bodies that are not the documented JSON ---------------------------------------------------

HTML = "<html><body><h1>Down for maintenance</h1></body></html>"


HOSTILE_BODIES = {
    "html": HTML.encode(),
    "truncated": b'{"id": "a", "value": 1',
    "deep": b"[" * 200_000 + b"]" * 200_000,
    "deep_object": b'{"id": "a", "x": ' + b'{"a": ' * 5_000 + b"1" + b"}" * 5_000 + b"}",
    "huge_integer": b'{"id": "a", "value": ' + b"9" * 5_000 + b"}",
    "huge_float": b'{"id": "a", "value": 1e1000000}',
    "huge_fraction": b'{"id": "a", "value": 0.' + b"1" * 5_000 + b"}",
    "nan": b'{"id": "a", "value": NaN}',
    "infinity": b'{"id": "a", "value": -Infinity}',
    "wrong_types": b'{"id": ["a"], "value": {"x": 1}}',
    "not_utf8": b'{"id": "\xff\xfe"}',
    "empty": b"",
    "null": b"null",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_BODIES))
async def test_a_hostile_body_on_a_read_is_a_parse_error(mode: str, name: str) -> None:
    handler = Calls(
        httpx.Response(
            200, content=HOSTILE_BODIES[name], headers={"Content-Type": "application/json"}
        )
    )
    with pytest.raises(ResponseParseError):
        await call(mode, handler, "GET", "items/1")


@pytest.mark.parametrize("name", sorted(set(HOSTILE_BODIES) - {"empty"}))
async def test_a_hostile_body_on_a_write_is_an_unknown_outcome(mode: str, name: str) -> None:
    handler = Calls(
        httpx.Response(
            200, content=HOSTILE_BODIES[name], headers={"Content-Type": "application/json"}
        )
    )
    with pytest.raises(WriteOutcomeUnknown):
        await call(mode, handler, "PUT", "items/1")


@pytest.mark.parametrize("name", sorted(HOSTILE_BODIES))
async def test_a_hostile_error_body_still_gives_the_status_error(mode: str, name: str) -> None:
    handler = Calls(httpx.Response(404, content=HOSTILE_BODIES[name]))
    with pytest.raises(GatewayError) as caught:
        await call(mode, handler, "GET", "items/1")
    assert getattr(caught.value, "status_code", None) == 404
    str(caught.value)  # the message renders (no RecursionError on a deep body)


@pytest.mark.parametrize("method", ["GET", "PUT"])
async def test_success_false_is_not_success(mode: str, method: str) -> None:
    body = {"success": False, "error": "quota exceeded", "id": "a"}
    handler = Calls(httpx.Response(200, json=body))
    expected = ResponseParseError if method == "GET" else WriteOutcomeUnknown
    with pytest.raises(expected) as caught:
        await call(mode, handler, method, "items/1")
    assert "quota exceeded" in str(caught.value)


# -- size cap and deadline ---------------------------------------------------------------------


async def test_a_body_over_the_size_cap_fails_typed(mode: str) -> None:
    big = b'{"id": "' + b"x" * 5_000 + b'"}'
    handler = Calls(httpx.Response(200, content=big))
    with pytest.raises(ResponseTooLarge) as caught:
        await call(mode, handler, "GET", "items/1", max_response_bytes=1_000)
    assert "1000" in str(caught.value) or "1,000" in str(caught.value)
    ok = Calls(httpx.Response(200, content=big))
    assert (await call(mode, ok, "GET", "items/1", max_response_bytes=10_000)).id == "x" * 5_000


async def test_a_write_whose_answer_is_over_the_cap_is_an_unknown_outcome(mode: str) -> None:
    handler = Calls(httpx.Response(200, content=b'{"id": "' + b"x" * 5_000 + b'"}'))
    with pytest.raises(WriteOutcomeUnknown):
        await call(mode, handler, "PUT", "items/1", max_response_bytes=1_000)


class _Endless(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that never ends, a chunk at a time, `pause` seconds apart."""

    def __init__(self, pause: float = 0.0) -> None:
        self.pause = pause

    def __iter__(self) -> Iterator[bytes]:
        yield b'{"id": "'
        while True:
            time.sleep(self.pause)
            yield b"x" * 1024

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"id": "'
        while True:
            await asyncio.sleep(self.pause)
            yield b"x" * 1024


async def test_an_endless_body_stops_at_the_cap(mode: str) -> None:
    handler = Calls(httpx.Response(200, stream=_Endless()))
    with pytest.raises(ResponseTooLarge):
        await call(mode, handler, "GET", "items/1", max_response_bytes=64 * 1024)


async def test_a_trickling_body_stops_at_the_deadline(mode: str) -> None:
    handler = Calls(httpx.Response(200, stream=_Endless(pause=0.05)))
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded) as caught:
        await call(mode, handler, "GET", "items/1", deadline=0.5, max_response_bytes=10**9)
    assert time.monotonic() - started < 3
    assert isinstance(caught.value, TransportError)
    assert "0.5" in str(caught.value)


async def test_a_write_past_the_deadline_is_an_unknown_outcome(mode: str) -> None:
    handler = Calls(httpx.Response(200, stream=_Endless(pause=0.05)))
    with pytest.raises(WriteOutcomeUnknown):
        await call(mode, handler, "POST", "items", deadline=0.5, max_response_bytes=10**9)


# -- retries on 5xx ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 501, 502, 503, 504, 408])
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_idempotent_requests_are_retried_on_5xx(mode: str, method: str, status: int) -> None:
    handler = Calls(httpx.Response(status), httpx.Response(200, json={"id": "a"}))
    assert (await call(mode, handler, method, "items/1")).id == "a"
    assert len(handler.requests) == 2


async def test_post_is_never_retried_on_500(mode: str) -> None:
    handler = Calls(httpx.Response(500), httpx.Response(200, json={"id": "a"}))
    with pytest.raises(WriteOutcomeUnknown):
        await call(mode, handler, "POST", "items")
    assert len(handler.requests) == 1


async def test_get_that_keeps_failing_ends_as_a_server_error(mode: str) -> None:
    handler = Calls(httpx.Response(500, json={"error": "down"}))
    with pytest.raises(ServerError):
        await call(mode, handler, "GET", "items/1")
    assert len(handler.requests) == 3
