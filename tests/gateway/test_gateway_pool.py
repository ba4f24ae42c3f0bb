"""`gateway.pool.PoolAdmission`: one request at a time takes a connection from httpx's pool, and
the requests still run concurrently on the wire."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.abc
import certifi
import httpx
import pytest

from balance_gateway.gateway import pool
from balance_gateway.gateway.pool import PoolAdmission, network_transport


class SlowServer:
    """A plain HTTP/1.1 server on 127.0.0.1 that holds each request open for `delay` seconds
    and counts how many it held at once. Not `keep_alive`: it closes each connection after one
    answer, which still says keep-alive (a server restarting, an idle timeout): the client
    finds out only from the socket."""

    def __init__(self, delay: float, *, keep_alive: bool = True) -> None:
        self.delay = delay
        self.keep_alive = keep_alive
        self.open = 0
        self.most_open = 0
        self.served = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if not head:
                    break
                self.open += 1
                self.most_open = max(self.most_open, self.open)
                await asyncio.sleep(self.delay)
                self.open -= 1
                self.served += 1
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                await writer.drain()
                if not self.keep_alive:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def serving(server: SlowServer) -> AsyncIterator[str]:
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        listener.close()
        await listener.wait_closed()


async def test_requests_still_run_concurrently_and_each_reuses_the_pool() -> None:
    server = SlowServer(delay=0.05)
    async with serving(server) as url, httpx.AsyncClient(transport=network_transport()) as client:
        for _ in range(2):  # the second round reuses the connections the first opened
            answers = await asyncio.gather(*(client.get(f"{url}/{i}") for i in range(8)))
            assert [a.text for a in answers] == ["ok"] * 8
    assert server.served == 16
    assert server.most_open == 8


async def test_the_callers_own_trace_still_sees_every_event() -> None:
    server = SlowServer(delay=0.0)
    seen: list[str] = []

    async def trace(name: str, info: dict[str, Any]) -> None:
        seen.append(name)

    async with serving(server) as url, httpx.AsyncClient(transport=network_transport()) as client:
        answer = await client.get(url, extensions={"trace": trace})
    assert answer.text == "ok"
    assert "http11.send_request_headers.started" in seen
    assert "http11.response_closed.complete" in seen


class Failing(httpx.AsyncBaseTransport):
    """Fails every request before any trace event, as a refused connection would."""

    def __init__(self) -> None:
        self.calls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        raise httpx.ConnectError("refused", request=request)


async def test_a_request_that_fails_before_any_event_lets_the_next_one_in() -> None:
    inner = Failing()
    async with httpx.AsyncClient(transport=PoolAdmission(inner)) as client:
        for _ in range(3):
            with pytest.raises(httpx.ConnectError):
                await asyncio.wait_for(client.get("http://127.0.0.1:9/"), timeout=5)
    assert inner.calls == 3


class Hanging(httpx.AsyncBaseTransport):
    """Never answers and never traces: only cancellation ends its request."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_a_cancelled_request_lets_the_next_one_in() -> None:
    transport = PoolAdmission(Hanging())
    request = httpx.Request("GET", "http://127.0.0.1:9/")
    waiting = asyncio.create_task(transport.handle_async_request(request))
    await asyncio.sleep(0.01)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    second = asyncio.create_task(transport.handle_async_request(request))
    await asyncio.sleep(0.01)
    assert not second.done()  # admitted and now hanging in the inner transport, not queued
    assert transport._admission.locked()
    second.cancel()
    with pytest.raises(asyncio.CancelledError):
        await second
    assert not transport._admission.locked()
    assert "trace" not in request.extensions


async def test_an_idle_connection_looks_its_socket_up_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """httpcore asks every idle connection, before each request, whether the server closed it;
    the answer comes from the socket, not from rebuilding the stream's attributes each time."""
    lookups = 0
    original = anyio.TypedAttributeProvider.extra

    def counting(self: Any, attribute: Any, *default: Any) -> Any:
        nonlocal lookups
        if attribute is anyio.abc.SocketAttribute.raw_socket:
            lookups += 1
        return original(self, attribute, *default)

    monkeypatch.setattr(anyio.TypedAttributeProvider, "extra", counting)
    server = SlowServer(delay=0.0)
    async with serving(server) as url, httpx.AsyncClient(transport=network_transport()) as client:
        for i in range(20):  # one connection, idle between requests
            assert (await client.get(f"{url}/{i}")).text == "ok"
    assert server.served == 20
    assert lookups == 1


async def test_a_connection_the_server_closed_is_not_reused() -> None:
    server = SlowServer(delay=0.0, keep_alive=False)
    async with serving(server) as url, httpx.AsyncClient(transport=network_transport()) as client:
        for i in range(3):
            assert (await client.get(f"{url}/{i}")).text == "ok"
            await asyncio.sleep(0.05)  # the server's close reaches the client's socket
    assert server.served == 3


def test_every_transport_shares_one_tls_context(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[object] = []
    original = httpx.create_ssl_context

    def counting(*args: Any, **kwargs: Any) -> Any:
        context = original(*args, **kwargs)
        made.append(context)
        return context

    monkeypatch.setattr(httpx, "create_ssl_context", counting)
    # httpx's transport calls it by the name it imported.
    monkeypatch.setattr(httpx._transports.default, "create_ssl_context", counting)
    pool._tls_context_for.cache_clear()
    for _ in range(3):
        network_transport()
    assert len({id(context) for context in made}) == 1  # one context, handed to all three
    # Another CA bundle named in the environment (a long-running `serve`): a new context.
    monkeypatch.setenv("SSL_CERT_FILE", certifi.where())
    network_transport()
    assert len({id(context) for context in made}) == 2
    pool._tls_context_for.cache_clear()


class Stepping(httpx.AsyncBaseTransport):
    """Reads the request's trace hook anew at each of `steps` steps and calls it, as httpcore
    does; counts the calls of each hook."""

    def __init__(self, steps: int = 5) -> None:
        self.steps = steps
        self.calls: Counter[Any] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        for step in range(self.steps):
            hook = request.extensions.get("trace")
            if hook is not None:
                self.calls[hook] += 1
                await hook(f"step{step}.started", {})
        return httpx.Response(200, text="ok")


async def test_admission_hooks_a_request_until_its_first_event_only() -> None:
    # A hook to call makes each of httpcore's steps format a name and await: once admitted, a
    # request goes on with the caller's own hook, or none.
    inner = Stepping()
    seen: list[str] = []

    async def theirs(name: str, info: dict[str, Any]) -> None:
        seen.append(name)

    async with httpx.AsyncClient(transport=PoolAdmission(inner)) as client:
        assert (await client.get("http://pool.invalid/")).text == "ok"
        assert sum(inner.calls.values()) == 1  # admission's hook, at the first step only
        inner.calls.clear()
        await client.get("http://pool.invalid/", extensions={"trace": theirs})
    assert inner.calls[theirs] == inner.steps - 1  # the first step called admission's
    assert seen == [f"step{n}.started" for n in range(inner.steps)]
