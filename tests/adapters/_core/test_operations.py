"""One operation described once, served by both clients (`adapters/_core/operations.py`)."""

from __future__ import annotations

import inspect
from collections.abc import Hashable
from typing import Any

import httpx
import pytest

from balance_gateway.adapters._core.client import AsyncAPIClient, BaseClient, SyncAPIClient
from balance_gateway.adapters._core.errors import PaginationError, RequestValidationError
from balance_gateway.adapters._core.operations import Call, Done, Pages, operation, paginated
from balance_gateway.adapters._core.pagination import Page
from balance_gateway.adapters._core.retry import RetryPolicy


class _Numbers(BaseClient):
    @operation
    def double(self, value: int) -> Call[int]:
        """Twice `value`, as the server computes it."""
        if value < 0:
            raise RequestValidationError("value", "must not be negative")
        return Call("GET", f"double/{value}", parse=lambda r: int(r.json()["result"]))

    @operation
    def nothing(self) -> Done[str]:
        return Done("no request")

    @paginated
    def count(self, *, pages: int, repeat: bool = False) -> Pages[int]:
        """0, 1, ... over `pages` pages of one number each."""
        if pages < 1:
            raise RequestValidationError("pages", "must be at least 1")

        def page(cursor: Hashable | None) -> Call[Page[int]]:
            number = 0 if cursor is None or repeat else int(str(cursor))
            following = number + 1 if number + 1 < pages else None
            return Call("GET", f"page/{number}", parse=lambda _r: Page([number], following))

        return Pages(page)


class Numbers(_Numbers, SyncAPIClient):
    pass


class AsyncNumbers(_Numbers, AsyncAPIClient):
    pass


def handler(request: httpx.Request) -> httpx.Response:
    parts = request.url.path.strip("/").split("/")
    if parts[0] == "double":
        return httpx.Response(200, json={"result": 2 * int(parts[1])})
    return httpx.Response(200, json={})


def clients() -> tuple[Numbers, AsyncNumbers]:
    transport = httpx.MockTransport(handler)
    retry = RetryPolicy.none()
    return (
        Numbers(base_url="http://n.test", transport=transport, retry=retry),
        AsyncNumbers(base_url="http://n.test", transport=transport, retry=retry),
    )


async def test_one_description_serves_both_clients() -> None:
    sync, asyncc = clients()
    assert sync.double(21) == 42
    assert await asyncc.double(21) == 42
    assert sync.nothing() == "no request"
    assert await asyncc.nothing() == "no request"
    assert list(sync.count(pages=3)) == [0, 1, 2]
    assert [n async for n in asyncc.count(pages=3)] == [0, 1, 2]


async def test_arguments_are_checked_at_the_call_before_anything_is_sent() -> None:
    sync, asyncc = clients()
    with pytest.raises(RequestValidationError, match="value"):
        sync.double(-1)
    with pytest.raises(RequestValidationError, match="value"):
        asyncc.double(-1)  # raised at the call, not when awaited
    with pytest.raises(RequestValidationError, match="pages"):
        sync.count(pages=0)
    with pytest.raises(RequestValidationError, match="pages"):
        asyncc.count(pages=0)


async def test_a_page_cursor_seen_twice_stops_the_walk() -> None:
    sync, asyncc = clients()
    with pytest.raises(PaginationError):
        list(sync.count(pages=3, repeat=True))
    with pytest.raises(PaginationError):
        [n async for n in asyncc.count(pages=3, repeat=True)]


def test_methods_keep_their_names_and_documentation() -> None:
    sync, _asyncc = clients()
    assert sync.double.__name__ == "double"
    assert "Twice `value`" in (sync.double.__doc__ or "")
    assert "Twice `value`" in (Numbers.double.__doc__ or "")
    assert "value" in inspect.signature(sync.double).parameters


def test_a_client_refuses_the_other_kind_of_transport_saying_which_to_use() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        return None

    asgi = httpx.ASGITransport(app=app)
    with pytest.raises(TypeError, match="use the AsyncClient"):
        Numbers(base_url="http://n.test", transport=asgi)
    with httpx.Client() as blocking, pytest.raises(TypeError, match="use the Client"):
        AsyncNumbers(base_url="http://n.test", http_client=blocking)
