"""Pagination: every item once, lazily, and never in circles.

Walks go through a real client (sync and async) against respx-mocked collections in the three
dialects: page numbers, offset/limit, and next-link cursors.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Hashable, Iterator
from typing import Any

import httpx
import pytest
import respx
from hypothesis import given
from hypothesis import strategies as st

from balance_gateway.adapters._core import pagination
from balance_gateway.adapters._core.client import AsyncAPIClient, SyncAPIClient
from balance_gateway.adapters._core.errors import PaginationError
from balance_gateway.adapters._core.pagination import (
    Page,
    aiterate_pages,
    iterate_pages,
    next_offset,
    next_page_number,
    numeric_cursor,
)
from tests.adapters.sync_async import no_asleep, no_sleep

BASE = "https://api.example.test/v2"
ITEMS = [{"id": f"e-{n}"} for n in range(1, 8)]  # seven employees

# How one dialect turns a cursor into a request and a response into a page.
RequestFor = Callable[[Hashable | None], tuple[str, dict[str, Any]]]
PageFrom = Callable[[httpx.Response], Page[Any]]


async def _as_async(items: Iterator[Any]) -> AsyncIterator[Any]:
    for item in items:
        yield item


async def drain(items: AsyncIterator[Any], into: list[Any]) -> None:
    """Append every item to `into`, so a test sees what came before an error."""
    async for item in items:
        into.append(item)


def walk(mode: str, request_for: RequestFor, page_from: PageFrom) -> AsyncIterator[Any]:
    """Every item, through `iterate_pages` (sync client) or `aiterate_pages` (async client)."""
    if mode == "sync":
        client = SyncAPIClient(base_url=BASE, sleep=no_sleep)

        def fetch(cursor: Hashable | None) -> Page[Any]:
            path, params = request_for(cursor)
            return page_from(client.request("GET", path, params=params))

        return _as_async(iterate_pages(fetch))

    aclient = AsyncAPIClient(base_url=BASE, sleep=no_asleep)

    async def afetch(cursor: Hashable | None) -> Page[Any]:
        path, params = request_for(cursor)
        return page_from(await aclient.request("GET", path, params=params))

    return aiterate_pages(afetch)


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


# -- the three dialects, served by respx ----------------------------------------------------


def serve_page_numbers(api: respx.MockRouter, per_page: int = 3) -> respx.Route:
    total_pages = -(-len(ITEMS) // per_page)

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        chunk = ITEMS[(page - 1) * per_page : page * per_page]
        return httpx.Response(200, json={"data": chunk, "page": page, "total_pages": total_pages})

    return api.get("/employees").mock(side_effect=handler)


def page_numbers() -> tuple[RequestFor, PageFrom]:
    def request_for(cursor: Hashable | None) -> tuple[str, dict[str, Any]]:
        return "employees", {"page": cursor or 1}

    def page_from(response: httpx.Response) -> Page[Any]:
        body = response.json()
        return Page(body["data"], next_page_number(body["page"], body["total_pages"]))

    return request_for, page_from


def serve_offsets(api: respx.MockRouter, *, with_total: bool) -> respx.Route:
    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        limit = int(request.url.params["limit"])
        body: dict[str, Any] = {"items": ITEMS[offset : offset + limit]}
        if with_total:
            body["total"] = len(ITEMS)
        return httpx.Response(200, json=body)

    return api.get("/employees").mock(side_effect=handler)


def offsets(limit: int = 3) -> tuple[RequestFor, PageFrom]:
    def request_for(cursor: Hashable | None) -> tuple[str, dict[str, Any]]:
        return "employees", {"offset": cursor or 0, "limit": limit}

    def page_from(response: httpx.Response) -> Page[Any]:
        body = response.json()
        offset = int(response.request.url.params["offset"])
        return Page(
            body["items"], next_offset(offset, limit, len(body["items"]), body.get("total"))
        )

    return request_for, page_from


def serve_next_links(api: respx.MockRouter, per_page: int = 3) -> respx.Route:
    def handler(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params.get("after", "0"))
        chunk = ITEMS[start : start + per_page]
        following = start + per_page
        link = f"{BASE}/employees?after={following}" if following < len(ITEMS) else None
        return httpx.Response(200, json={"results": chunk, "next": link})

    return api.get("/employees").mock(side_effect=handler)


def next_links() -> tuple[RequestFor, PageFrom]:
    def request_for(cursor: Hashable | None) -> tuple[str, dict[str, Any]]:
        return (str(cursor) if cursor is not None else "employees"), {}

    def page_from(response: httpx.Response) -> Page[Any]:
        body = response.json()
        return Page(body["results"], body["next"])

    return request_for, page_from


DIALECTS: dict[str, tuple[Callable[[respx.MockRouter], respx.Route], Callable[[], Any]]] = {
    "page-number": (serve_page_numbers, page_numbers),
    "offset-total": (lambda api: serve_offsets(api, with_total=True), offsets),
    "offset-short-last-page": (lambda api: serve_offsets(api, with_total=False), offsets),
    "next-link": (serve_next_links, next_links),
}


@pytest.mark.parametrize("dialect", list(DIALECTS))
async def test_a_walk_yields_every_item_once_in_order(
    mode: str, api: respx.MockRouter, dialect: str
) -> None:
    serve, paginate = DIALECTS[dialect]
    route = serve(api)
    items = [item async for item in walk(mode, *paginate())]
    assert items == ITEMS
    assert route.call_count == 3


@pytest.mark.parametrize("dialect", list(DIALECTS))
async def test_a_walk_fetches_each_page_only_when_it_is_reached(
    mode: str, api: respx.MockRouter, dialect: str
) -> None:
    serve, paginate = DIALECTS[dialect]
    route = serve(api)
    items = walk(mode, *paginate())
    assert route.call_count == 0  # nothing is fetched before the first item is asked for

    first_page = [await anext(items) for _ in range(3)]
    assert first_page == ITEMS[:3]
    assert route.call_count == 1  # the first page's items did not pull in the second page

    assert await anext(items) == ITEMS[3]
    assert route.call_count == 2


async def test_next_link_requests_carry_the_link_query(mode: str, api: respx.MockRouter) -> None:
    route = serve_next_links(api)
    [item async for item in walk(mode, *next_links())]
    assert [str(call.request.url) for call in route.calls] == [
        f"{BASE}/employees",
        f"{BASE}/employees?after=3",
        f"{BASE}/employees?after=6",
    ]


async def test_an_offset_walk_without_total_stops_on_an_empty_page(
    mode: str, api: respx.MockRouter
) -> None:
    # Six items in pages of three: the third request finds nothing and ends the walk.
    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        return httpx.Response(200, json={"items": ITEMS[:6][offset : offset + 3]})

    route = api.get("/employees").mock(side_effect=handler)
    items = [item async for item in walk(mode, *offsets())]
    assert items == ITEMS[:6]
    assert route.call_count == 3


async def test_a_server_serving_the_same_page_again_is_stopped(
    mode: str, api: respx.MockRouter
) -> None:
    # A buggy server ignores `page` and always answers page 1 of 3.
    route = api.get("/employees").mock(
        return_value=httpx.Response(200, json={"data": ITEMS[:3], "page": 1, "total_pages": 3})
    )
    seen: list[Any] = []
    with pytest.raises(PaginationError, match="twice"):
        await drain(walk(mode, *page_numbers()), seen)
    assert route.call_count == 2
    assert seen == ITEMS[:3]  # the repeated page's items are not yielded a second time


async def test_a_next_link_pointing_back_is_stopped(mode: str, api: respx.MockRouter) -> None:
    links = {"0": "employees?after=3", "3": "employees?after=6", "6": "employees?after=3"}

    def handler(request: httpx.Request) -> httpx.Response:
        start = request.url.params.get("after", "0")
        chunk = ITEMS[int(start) : int(start) + 3]
        return httpx.Response(200, json={"results": chunk, "next": links[start]})

    route = api.get("/employees").mock(side_effect=handler)
    seen: list[Any] = []
    with pytest.raises(PaginationError):
        await drain(walk(mode, *next_links()), seen)
    assert route.call_count == 3
    assert seen == ITEMS[:6]


# -- the iterators on their own -------------------------------------------------------------


def _same_page_forever(calls: list[Hashable | None]) -> Callable[[Hashable | None], Page[int]]:
    def fetch(cursor: Hashable | None) -> Page[int]:
        calls.append(cursor)
        return Page([1, 2], next_cursor="page-2")

    return fetch


def test_iterate_pages_stops_on_a_repeated_cursor() -> None:
    calls: list[Hashable | None] = []
    seen: list[int] = []
    with pytest.raises(PaginationError, match="'page-2' twice"):
        seen.extend(iterate_pages(_same_page_forever(calls)))
    assert calls == [None, "page-2"]
    assert seen == [1, 2]


async def test_aiterate_pages_stops_on_a_repeated_cursor() -> None:
    calls: list[Hashable | None] = []
    sync_fetch = _same_page_forever(calls)

    async def fetch(cursor: Hashable | None) -> Page[int]:
        return sync_fetch(cursor)

    seen: list[int] = []
    with pytest.raises(PaginationError, match="'page-2' twice"):
        await drain(aiterate_pages(fetch), seen)
    assert calls == [None, "page-2"]
    assert seen == [1, 2]


def test_a_runaway_server_is_stopped_at_the_page_ceiling(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pagination, "MAX_PAGES", 5)
    fetched: list[Hashable | None] = []

    def fetch(cursor: Hashable | None) -> Page[int]:
        fetched.append(cursor)
        number = 0 if cursor is None else int(str(cursor))
        return Page([number], next_cursor=number + 1)

    with pytest.raises(PaginationError, match="more than 5 pages"):
        list(iterate_pages(fetch))
    assert len(fetched) == 6


async def test_empty_collections_and_single_pages() -> None:
    assert list(iterate_pages(lambda cursor: Page([]))) == []
    assert list(iterate_pages(lambda cursor: Page(["only"]))) == ["only"]

    async def fetch(cursor: Hashable | None) -> Page[str]:
        return Page(["only"])

    assert [item async for item in aiterate_pages(fetch)] == ["only"]


async def test_a_fetch_error_surfaces_from_the_iterator() -> None:
    def fetch(cursor: Hashable | None) -> Page[int]:
        if cursor is None:
            return Page([1], next_cursor=2)
        raise httpx.ConnectError("down")

    items = iterate_pages(fetch)
    assert next(items) == 1
    with pytest.raises(httpx.ConnectError):
        next(items)


@pytest.mark.parametrize(
    ("current", "total", "expected"),
    [(1, 3, 2), (2, 3, 3), (3, 3, None), (1, 1, None), (1, 0, None), (4, 3, None)],
)
def test_next_page_number(current: int, total: int, expected: int | None) -> None:
    assert next_page_number(current, total) == expected


@pytest.mark.parametrize(
    ("offset", "limit", "received", "total", "expected"),
    [
        (0, 3, 3, 7, 3),
        (3, 3, 3, 7, 6),
        (6, 3, 1, 7, None),
        (0, 3, 3, 3, None),
        (0, 3, 3, None, 3),
        (3, 3, 2, None, None),
        (3, 3, 0, None, None),
        (3, 3, 0, 100, None),  # an empty page ends the walk even if `total` promised more
        (0, 3, 5, None, 5),  # a server returning more than asked continues after what it sent
    ],
)
def test_next_offset(
    offset: int, limit: int, received: int, total: int | None, expected: int | None
) -> None:
    assert next_offset(offset, limit, received, total) == expected


@pytest.mark.parametrize(
    ("cursor", "first", "expected"), [(None, 1, 1), (None, 0, 0), (4, 1, 4), ("7", 1, 7)]
)
def test_numeric_cursor_names_the_first_page_for_none(
    cursor: Hashable | None, first: int, expected: int
) -> None:
    assert numeric_cursor(cursor, first) == expected


@given(
    size=st.integers(min_value=0, max_value=60),
    limit=st.integers(min_value=1, max_value=15),
    report_total=st.booleans(),
)
def test_offset_walks_yield_exactly_the_collection(
    size: int, limit: int, report_total: bool
) -> None:
    collection = list(range(size))
    fetched: list[Hashable | None] = []

    def fetch(cursor: Hashable | None) -> Page[int]:
        fetched.append(cursor)
        offset = int(str(cursor)) if cursor is not None else 0
        chunk = collection[offset : offset + limit]
        total = size if report_total else None
        return Page(chunk, next_offset(offset, limit, len(chunk), total))

    assert list(iterate_pages(fetch)) == collection
    pages_needed = max(1, -(-size // limit))
    # Without a total, a full last page costs one more (empty) request to see the end.
    extra = 1 if not report_total and size > 0 and size % limit == 0 else 0
    assert len(fetched) == pages_needed + extra


@given(
    size=st.integers(min_value=0, max_value=60),
    per_page=st.integers(min_value=1, max_value=15),
)
def test_page_number_walks_yield_exactly_the_collection(size: int, per_page: int) -> None:
    collection = list(range(size))
    total_pages = -(-size // per_page)

    def fetch(cursor: Hashable | None) -> Page[int]:
        page = int(str(cursor)) if cursor is not None else 1
        chunk = collection[(page - 1) * per_page : page * per_page]
        return Page(chunk, next_page_number(page, total_pages))

    assert list(iterate_pages(fetch)) == collection
