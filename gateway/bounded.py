"""Concurrency with a fixed number of tasks: `limit` workers take the items one after another,
instead of one task (and its frame) per item waiting on a semaphore; and a group of tasks
none of which outlives the first to fail."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import TypeVar

_T = TypeVar("_T")
_R = TypeVar("_R")


async def map_bounded(
    items: Iterable[_T], work: Callable[[_T], Awaitable[_R]], limit: int
) -> list[_R]:
    """`work` of each of `items`, in their order, with at most `limit` at once: `limit` worker
    tasks each take the next item when done with one (items are taken in order, as they come;
    `items` may be an iterator). The first exception stops the taking of new items; the items
    already in progress finish (a write in flight ends with its outcome, not cancelled), then
    that exception propagates."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    results: dict[int, _R] = {}
    queue = enumerate(items)
    failed: list[BaseException] = []

    async def worker() -> None:
        for index, item in queue:
            try:
                results[index] = await work(item)
            except Exception as exc:
                failed.append(exc)
            if failed:
                return

    await asyncio.gather(*(worker() for _ in range(limit)))
    if failed:
        raise failed[0]
    return [results[index] for index in range(len(results))]


@asynccontextmanager
async def all_or_none() -> AsyncIterator[asyncio.TaskGroup]:
    """An `asyncio.TaskGroup` whose first failure is raised as itself, not in an exception
    group: the group's other tasks are cancelled and awaited first, so none is left running
    (into clients its caller closes next)."""
    try:
        async with asyncio.TaskGroup() as group:
            yield group
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0]  # noqa: B904  (the group adds nothing but the wrapping)
