"""Concurrency with a fixed number of tasks: `limit` workers take the items one after another,
instead of one task (and its frame) per item waiting on a semaphore."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
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
