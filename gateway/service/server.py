"""Serving the service's app with uvicorn in the foreground, on a socket bound first, so that
the address (even with `--port 0`) is known and printed before the first request."""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import Callable, Iterator
from typing import Any

import uvicorn

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on `host`:`port` (0: a free port). Raises OSError (in use, no
    such address)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family, backlog=128)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def run(
    app: Any,
    sock: socket.socket,
    *,
    verbose: bool = False,
    on_started: Callable[[], None] | None = None,
) -> None:
    """Serve `app` on `sock` until SIGINT/SIGTERM; `on_started` is called once it listens."""
    config = uvicorn.Config(
        app,
        log_level=logging.INFO if verbose else logging.WARNING,
        access_log=verbose,
        lifespan="on",
        timeout_graceful_shutdown=10,
    )
    server = _Server(config, on_started)
    server.run(sockets=[sock])


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None] | None) -> None:
        super().__init__(config)
        self._on_started = on_started

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # uvicorn raises a caught SIGINT/SIGTERM again once it has shut down, so the process
        # ends "killed by the signal" (Ctrl-C: click's "Aborted!", exit 130). Stopping is what
        # was asked for: forget the signal, and `serve` exits 0 as its --help says.
        with super().capture_signals():
            try:
                yield
            finally:
                captured = getattr(self, "_captured_signals", None)
                if isinstance(captured, list):
                    captured.clear()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self._on_started is not None and self.started:
            self._on_started()
