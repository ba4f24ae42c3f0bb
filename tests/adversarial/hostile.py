"""A hostile HTTP server on 127.0.0.1: it answers every request with one chosen misbehaviour.

Raw sockets, not an HTTP framework, so that it can send what no framework would: a redirect to
another host, an HTML page, truncated or endlessly nested JSON, numbers of thousands of digits,
NaN, wrong types, `success: false`, a body trickled a byte at a time, a chunked body that never
ends, headers trickled a byte at a time, or a connection cut mid-answer. Each connection gets one
answer and is closed. `other` is a second listener (the host a redirect points to): it counts
the requests it gets, which must stay 0.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Responder = Callable[["HostileServer", socket.socket], None]


def _send(conn: socket.socket, status: str, headers: dict[str, str], body: bytes) -> None:
    head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    conn.sendall(head.encode() + b"Connection: close\r\n\r\n" + body)


def _json(conn: socket.socket, body: bytes, status: str = "200 OK") -> None:
    _send(
        conn, status, {"Content-Type": "application/json", "Content-Length": str(len(body))}, body
    )


# Keys every vendor's answers use, so a hostile value sits where a model looks for one.
_KEYS = ("data", "results", "collection", "balance", "hours_left", "value", "token", "id")


def _redirect(server: HostileServer, conn: socket.socket) -> None:
    location = f"http://{server.other.host}:{server.other.port}/steal"
    _send(conn, "302 Found", {"Location": location, "Content-Length": "0"}, b"")


def _html(server: HostileServer, conn: socket.socket) -> None:
    body = b"<html><body><h1>Down for maintenance</h1></body></html>"
    _send(conn, "200 OK", {"Content-Type": "text/html", "Content-Length": str(len(body))}, body)


def _truncated(server: HostileServer, conn: socket.socket) -> None:
    _json(conn, b'{"success": true, "data": [{"id": "a", "balance": 1')


def _deep(server: HostileServer, conn: socket.socket) -> None:
    _json(conn, b"[" * 200_000 + b"]" * 200_000)


def _huge_numbers(server: HostileServer, conn: socket.socket) -> None:
    huge = b"9" * 5_000
    body = b"{" + b", ".join(b'"%s": %s' % (k.encode(), huge) for k in _KEYS) + b"}"
    _json(conn, body)


def _huge_exponent(server: HostileServer, conn: socket.socket) -> None:
    body = b"{" + b", ".join(b'"%s": 1e1000000' % k.encode() for k in _KEYS) + b"}"
    _json(conn, body)


def _nan(server: HostileServer, conn: socket.socket) -> None:
    body = b"{" + b", ".join(b'"%s": NaN' % k.encode() for k in _KEYS[3:]) + b', "x": Infinity}'
    _json(conn, body)


def _wrong_types(server: HostileServer, conn: socket.socket) -> None:
    _json(
        conn,
        b'{"success": true, "data": "x", "results": 5, "collection": {"a": 1}, "token": 7, '
        b'"id": [1], "balance": "lots", "hours_left": {}, "value": [], "metadata": 3}',
    )


def _success_false(server: HostileServer, conn: socket.socket) -> None:
    _json(conn, b'{"success": false, "response_code": 500, "error": "nope", "message": "nope"}')


def _trickle(server: HostileServer, conn: socket.socket) -> None:
    _send(conn, "200 OK", {"Content-Type": "application/json", "Content-Length": "100000"}, b"")
    for byte in b'{"data": [' + b" " * 99_990:
        if server.stopping.wait(server.interval):
            return
        conn.sendall(bytes([byte]))


def _endless(server: HostileServer, conn: socket.socket) -> None:
    _send(conn, "200 OK", {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}, b"")
    chunk = b" " * 65536
    conn.sendall(b"1\r\n[\r\n")
    while not server.stopping.is_set():
        conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))


def _slow_headers(server: HostileServer, conn: socket.socket) -> None:
    for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + b"X: " + b"y" * 10_000:
        if server.stopping.wait(server.interval):
            return
        conn.sendall(bytes([byte]))


def _cut(server: HostileServer, conn: socket.socket) -> None:
    _send(conn, "200 OK", {"Content-Type": "application/json", "Content-Length": "5000"}, b'{"da')


def _drop(server: HostileServer, conn: socket.socket) -> None:
    conn.shutdown(socket.SHUT_RDWR)


BEHAVIOURS: dict[str, Responder] = {
    "redirect_to_another_host": _redirect,
    "html_200": _html,
    "truncated_json": _truncated,
    "deep_json": _deep,
    "huge_numbers": _huge_numbers,
    "huge_exponent": _huge_exponent,
    "nan_infinity": _nan,
    "wrong_types": _wrong_types,
    "success_false": _success_false,
    "slow_trickle": _trickle,
    "endless_chunked": _endless,
    "slow_headers": _slow_headers,
    "cut_mid_body": _cut,
    "dropped": _drop,
}
# Behaviours only a deadline ends: the case must end within the client's deadline (+ slack).
SLOW = frozenset({"slow_trickle", "slow_headers"})


@dataclass
class Listener:
    """A socket accepting connections on `host` in a thread; `handle` answers each one."""

    host: str
    handle: Callable[[socket.socket], None]
    hits: int = 0
    sock: socket.socket = field(init=False)
    port: int = field(init=False)
    threads: list[threading.Thread] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sock = socket.create_server((self.host, 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]

    def serve(self, stopping: threading.Event) -> None:
        while not stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.hits += 1
            thread = threading.Thread(target=self._one, args=(conn,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def _one(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.settimeout(30)
                _read_request(conn)
                self.handle(conn)
            except OSError:
                pass  # the client gave up (deadline, size cap): what it should do


def _read_request(conn: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip() or 0)
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return
        rest += chunk


class HostileServer:
    """`behaviour` (a key of BEHAVIOURS) is what every request gets; `base_url` is where it
    listens; `other` is the host a redirect points to (127.0.0.2 when it can be bound)."""

    def __init__(self, interval: float = 0.2) -> None:
        self.behaviour = "html_200"
        self.interval = interval
        self.stopping = threading.Event()
        self.main = Listener("127.0.0.1", self._answer)
        try:
            self.other = Listener("127.0.0.2", lambda conn: _html(self, conn))
        except OSError:
            self.other = Listener("127.0.0.1", lambda conn: _html(self, conn))
        self._threads = [
            threading.Thread(target=listener.serve, args=(self.stopping,), daemon=True)
            for listener in (self.main, self.other)
        ]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.main.port}"

    def _answer(self, conn: socket.socket) -> None:
        BEHAVIOURS[self.behaviour](self, conn)

    def start(self) -> HostileServer:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        for listener in (self.main, self.other):
            listener.sock.close()
        deadline = time.monotonic() + 5
        for thread in [*self._threads, *self.main.threads, *self.other.threads]:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
