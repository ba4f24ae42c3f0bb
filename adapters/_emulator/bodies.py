"""Reading JSON request bodies the same way in every emulator.

A body that cannot be read (not UTF-8, not JSON, nested deeper than any vendor body, or holding
a string that is not Unicode text) raises `UnreadableBody`. The emulator base answers it with
the vendor's 400 in the vendor's error style (`Emulator.error_body`, worded by
`Emulator.unreadable_body_message`), so no vendor route has to remember that `json.loads` can
raise more than `ValueError` (a few thousand `[` make it raise `RecursionError`), or that a
string it returns may not be encodable in the UTF-8 answer that echoes it: either was a 500.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# ASSUMED: the deepest JSON body an emulator reads. Ruby's JSON parser (Rails: Bezala) refuses
# more than 100 levels by default; no vendor body nests more than three. Checked after parsing,
# so that code walking a body recursively (pydantic, repr in error messages) stays far from
# Python's recursion limit.
MAX_JSON_DEPTH = 100


class UnreadableBody(Exception):
    """A request body that is not a readable JSON document; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_document(value: Any, max_depth: int) -> None:
    """`UnreadableBody` if `value` nests deeper than `max_depth` (a scalar is 0, `[]` and `{}`
    are 1) or holds a string that is not Unicode text (a lone surrogate escape such as
    `"\\ud800"`, which Python's parser lets through and no UTF-8 answer could echo back).
    Iterative: it must not recurse on the documents it is there to refuse."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise UnreadableBody("a string holds a lone surrogate (\\ud800-\\udfff)")
            continue
        if isinstance(item, dict):
            children: list[Any] = [*item.keys(), *item.values()]
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth + 1 > max_depth:
            raise UnreadableBody(f"nested deeper than {max_depth} levels")
        stack.extend((child, depth + 1) for child in children)


def parse_json(
    raw: bytes | str,
    *,
    parse_float: Callable[[str], Any] | None = None,
    parse_constant: Callable[[str], Any] | None = None,
    max_depth: int = MAX_JSON_DEPTH,
) -> Any:
    """`raw` as JSON (`json.loads` with the given hooks); `UnreadableBody` if it is not UTF-8,
    not JSON (including what the hooks refuse with `ValueError`, and integers of more than
    4300 digits), nested deeper than `max_depth`, or holds a lone surrogate."""
    try:
        value = json.loads(raw, parse_float=parse_float, parse_constant=parse_constant)
    except RecursionError:
        raise UnreadableBody(f"nested deeper than {max_depth} levels") from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise UnreadableBody(str(exc) or "not valid JSON") from None
    _check_document(value, max_depth)
    return value


async def read_json(
    request: Request,
    *,
    parse_float: Callable[[str], Any] | None = None,
    parse_constant: Callable[[str], Any] | None = None,
) -> Any:
    """The request's body as JSON; `UnreadableBody` as `parse_json` says."""
    return parse_json(await request.body(), parse_float=parse_float, parse_constant=parse_constant)


class BodyLimitMiddleware:
    """ASGI middleware answering 413 (in the vendor's error style) to a request whose body is
    larger than `limit` bytes, whether it says so in `Content-Length` or streams past it; the
    admin API (`/_emulator/`, which loads whole states) is exempt. A body within the limit is
    read here and handed on unchanged."""

    def __init__(self, app: ASGIApp, limit: int, error_body: Callable[[int, str], Any]) -> None:
        self.app = app
        self.limit = limit
        self.error_body = error_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_emulator/"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away: the app sees it as it would
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._refuse(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        payload = json.dumps(
            self.error_body(413, f"the request body is larger than {self.limit} bytes")
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})
