"""Iterators that walk every page lazily, and refuse to walk in circles.

A vendor client supplies `fetch(cursor) -> Page`; the first call gets `cursor=None`. A page
knows the cursor of the next page (`None` on the last). Cursors are whatever the dialect uses:
a page number, an offset, a next-link URL. Seeing the same cursor twice raises
`PaginationError`, as a server bug must not become an endless loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from balance_gateway.adapters._core.errors import PaginationError

T = TypeVar("T")

# A generous ceiling: no documented collection needs more, and a runaway server is stopped.
MAX_PAGES = 100_000


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of items and the cursor of the page after it. `items` is walked once, in
    order: a list, or an iterator that validates each item as it is reached
    (`BaseClient.parse_items`)."""

    items: Iterable[T]
    next_cursor: Hashable | None = None


def next_page_number(current_page: int, total_pages: int) -> int | None:
    """Page-number pagination: the next page, or None after the last."""
    return current_page + 1 if current_page < total_pages else None


def numeric_cursor(cursor: Hashable | None, first: int = 1) -> int:
    """The page number or offset a numeric cursor names; `first` for the first page (None)."""
    return first if cursor is None else int(str(cursor))


def next_offset(offset: int, limit: int, received: int, total: int | None) -> int | None:
    """Offset/limit pagination: the next offset, or None when nothing is left."""
    if received == 0:
        return None
    following = offset + received
    if total is not None:
        return following if following < total else None
    return following if received >= limit else None


class _LoopGuard:
    def __init__(self) -> None:
        self._seen: set[Hashable] = set()

    def check(self, cursor: Hashable) -> None:
        if cursor in self._seen:
            raise PaginationError(
                f"the server sent page cursor {cursor!r} twice; stopping instead of looping"
            )
        if len(self._seen) >= MAX_PAGES:
            raise PaginationError(f"more than {MAX_PAGES} pages; stopping")
        self._seen.add(cursor)


class _Walk(Generic[T]):
    """Where a walk over pages is: the cursor of the page to fetch next, and whether the last
    page was reached. Shared by the sync and the async walk."""

    def __init__(self) -> None:
        self._guard = _LoopGuard()
        self.cursor: Hashable | None = None
        self.done = False

    def take(self, page: Page[T]) -> Iterable[T]:
        """The items of `page`, the page at `cursor`; moves on to the page after it."""
        # Checked before the items are handed out: a page that leads back must not hand out
        # its items again.
        if page.next_cursor is not None:
            self._guard.check(page.next_cursor)
        self.cursor = page.next_cursor
        self.done = page.next_cursor is None
        return page.items


def iterate_pages(fetch: Callable[[Hashable | None], Page[T]]) -> Iterator[T]:
    """Every item of every page, fetching each page only when it is reached."""
    walk: _Walk[T] = _Walk()
    while not walk.done:
        yield from walk.take(fetch(walk.cursor))


async def aiterate_pages(
    fetch: Callable[[Hashable | None], Awaitable[Page[T]]],
) -> AsyncIterator[T]:
    """Async twin of `iterate_pages`."""
    walk: _Walk[T] = _Walk()
    while not walk.done:
        for item in walk.take(await fetch(walk.cursor)):
            yield item
