"""Coalescing per-row reads into batched requests.

The engine plans and applies rows concurrently (bounded), one `plan_write` / `apply_write` per
row. A dialect whose API reads many keys in one request (Zeitstrom's pipe-separated
`employee_ids`) gives each row's read to a `Coalescer`: the keys asked for while a batch is
being fetched wait for the next batch, which asks for all of them in one call, so N
concurrent rows cost about N / (rows in flight) reads instead of N. Every caller still gets a
read made after it asked (never an older one), which is what a write that must not trust the
plan needs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Coalescer(Generic[K, V]):
    """`await get(key)`: the value of `key` from a batched `fetch(keys)`.

    `fetch` is given at most `max_batch` distinct keys and returns a value for each (a missing
    key raises `KeyError` to its caller); batches run one at a time, and the keys asked for
    meanwhile go into the next one. An error from `fetch` is raised to the callers of a batch of
    one key; a failed batch of several is asked again one key at a time, so one key's fault
    fails only its own callers. Use from one event loop."""

    def __init__(self, fetch: Callable[[Sequence[K]], Awaitable[Mapping[K, V]]], max_batch: int):
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._fetch = fetch
        self._max_batch = max_batch
        self._waiting: dict[K, list[asyncio.Future[V]]] = {}
        self._runner: asyncio.Task[None] | None = None

    async def get(self, key: K) -> V:
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, []).append(future)
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run())
        return await future

    async def _run(self) -> None:
        # Let the callers started in the same tick join the first batch.
        await asyncio.sleep(0)
        while self._waiting:
            keys = list(self._waiting)[: self._max_batch]
            batch = {key: self._waiting.pop(key) for key in keys}
            try:
                await self._answer(batch)
            except asyncio.CancelledError:
                # The loop is going away: nobody will be answered, in this batch or after it.
                for waiting in [*batch.values(), *self._waiting.values()]:
                    for future in waiting:
                        future.cancel()
                self._waiting.clear()
                raise

    async def _answer(self, batch: dict[K, list[asyncio.Future[V]]]) -> None:
        try:
            values = await self._fetch(list(batch))
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch, {}, exc)
                return
            # One key's fault (say, an id the API refuses) must not fail the others:
            # ask again one key at a time, each caller getting its own answer.
            await asyncio.gather(*(self._answer({key: waiting}) for key, waiting in batch.items()))
            return
        _settle(batch, values, None)


def _settle(
    batch: Mapping[K, list[asyncio.Future[V]]], values: Mapping[K, V], error: Exception | None
) -> None:
    for key, waiting in batch.items():
        for future in waiting:
            if future.done():  # its caller was cancelled
                continue
            if error is not None:
                future.set_exception(error)
            elif key in values:
                future.set_result(values[key])
            else:
                future.set_exception(KeyError(key))
