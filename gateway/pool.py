"""The network transport every system's requests go out through, with one request at a time
taking a connection from httpx's pool.

Why: httpcore's pool (1.0.x) assigns an idle connection to a request, but the connection stays
idle until that request's task runs again and starts sending on it. Every other request that
enters the pool meanwhile, in the same turn of the event loop, is assigned the same connection,
fails on it (`ConnectionNotAvailable`) and goes round the pool again, rescanning every
connection each time. The engine's requests do arrive together: a journal commit wakes all the
rows whose intents it held at once (`gateway.journal_batch`). Measured at N = 1,000 x 3
(`benchmarks/profile_sync.py`), a request went through the pool's assignment pass 4.1 times
before it had a connection (the peer script's: 2.3), and these scans were the largest single
cost of the sync; with `PoolAdmission`, once.

`PoolAdmission` lets the next request into the pool only once the one before has its
connection: httpcore reports that through the request's `trace` extension (its first event is
either opening a new connection or sending the headers on a taken one). A transport that never
traces (a test's `MockTransport`) would serialise every request, so this wraps only httpx's own
`AsyncHTTPTransport` (`network_transport`), never a transport the caller passes in.

`SocketKeeping` is the pool's network backend. Before it assigns a request, httpcore asks each
idle connection whether its socket is readable (closed by the server); the anyio stream looks
the socket up by building all its attributes anew, a `getpeername` system call included, every
time. With 16 connections that is up to 16 lookups per request, for a socket that never
changes: the streams it opens look it up once.
"""

from __future__ import annotations

import asyncio
import functools
import os
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import httpcore
import httpx
from httpcore._utils import is_socket_readable  # what httpcore's own streams answer

TraceHook = Callable[[str, dict[str, Any]], Awaitable[None]]


class PoolAdmission(httpx.AsyncBaseTransport):
    """Sends through `inner` (an httpcore-backed transport), admitting one request at a time
    into its connection pool; the admission ends at the request's first trace event, or when
    it ends (answered, failed or cancelled) before any."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self._admission = asyncio.Lock()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await self._admission.acquire()
        admitted = True
        theirs: TraceHook | None = request.extensions.get("trace")

        def let_next_in() -> None:
            nonlocal admitted
            if admitted:
                admitted = False
                self._admission.release()
                # Given back at once: httpcore reads the hook anew at each step (its request
                # shares this dict), and a hook to call makes every step format and await.
                if theirs is None:
                    request.extensions.pop("trace", None)
                else:
                    request.extensions["trace"] = theirs

        async def trace(name: str, info: dict[str, Any]) -> None:
            let_next_in()
            if theirs is not None:
                await theirs(name, info)

        request.extensions["trace"] = trace
        try:
            return await self.inner.handle_async_request(request)
        finally:
            let_next_in()

    async def aclose(self) -> None:
        await self.inner.aclose()


# The `timeout` parameters below are httpcore's interface (ASYNC109 does not apply).


class _SocketKept(httpcore.AsyncNetworkStream):
    """`inner`, answering "is_readable" from its socket looked up once (see the module
    docstring); everything else is `inner`'s."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self.inner = inner
        self.socket: socket.socket | None = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        return await self.inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        await self.inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> httpcore.AsyncNetworkStream:
        return _SocketKept(await self.inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable" and self.socket is not None:
            # httpcore's own check, on the socket kept instead of one looked up again.
            return is_socket_readable(self.socket)
        return self.inner.get_extra_info(info)


class SocketKeeping(httpcore.AsyncNetworkBackend):
    """`inner` (httpcore's backend), whose TCP streams look their socket up once."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self.inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self.inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _SocketKept(stream)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return await self.inner.connect_unix_socket(path, timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def tls_context() -> ssl.SSLContext:
    """httpx's default TLS context (certifi's CAs, or `SSL_CERT_FILE`/`SSL_CERT_DIR`), made
    once per value of those two variables: loading the CA bundle takes about 25 ms of CPU, and
    every system's transport made its own. Shared: callers must not change it."""
    return _tls_context_for(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.lru_cache(maxsize=4)
def _tls_context_for(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    # The arguments are the cache's key; httpx reads the variables themselves.
    return httpx.create_ssl_context()


def network_transport() -> httpx.AsyncBaseTransport:
    """The transport a system's requests use when nothing replaces the network."""
    transport = httpx.AsyncHTTPTransport(verify=tls_context())
    # httpx gives no way to pass a network backend; its pool keeps it here (httpcore 1.0).
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if isinstance(backend, httpcore.AsyncNetworkBackend):
        pool._network_backend = SocketKeeping(backend)  # type: ignore[union-attr]
    return PoolAdmission(transport)
