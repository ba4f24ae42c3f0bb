"""The garbage collector during a run: what exists when a run starts is not scanned again.

A sync allocates a great many objects (each request's httpx objects, rows, results) and keeps
the plan for the whole run, so CPython's collector runs its full (oldest-generation) collection
several times per run, each scanning every object of the process: the imported libraries
(pydantic's schemas, SQLAlchemy's, httpx), the configuration, the adapters. None of that is
garbage, and none of it becomes garbage during the run. `frozen_heap` moves it out of the
collector's sight for the run (`gc.freeze`) and back after (`gc.unfreeze`), so the full
collections scan only what the run itself made. Measured at N = 1,000 x 3
(`benchmarks/profile_sync.py`, zeitstrom-to-journyx, the collector's time inside `run_sync`):
0.42 s of full collections without, 0.13 s with (4 and 3 collections).

The plan is the same: made at the start of each wave and held to the run's end, it is the
bulk of what full collections scan while the wave's writes go out (each full collection scans
every object not frozen, so at N = 10,000 x 3 they cost several times what they cost at 1,000).
`freeze_the_plan` freezes it too, once it is made, in a run whose heap `frozen_heap` froze.

Only garbage that already exists when the run starts (cycles nobody collected yet) waits: it
is collected at the first collection after the run instead of during it. A process that froze
its own objects (e.g. a server before it forks) keeps them frozen: then nothing is changed.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

_P = ParamSpec("_P")
_R = TypeVar("_R")


# True within a `frozen_heap` that froze the heap itself (and will unfreeze it).
_froze: ContextVar[bool] = ContextVar("froze", default=False)


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Within: every object that existed on entry is left out of garbage collections (see the
    module docstring). Does nothing when objects are frozen already (by the process, or by a
    run going on) or the collector is off."""
    if gc.get_freeze_count() > 0 or not gc.isenabled():
        yield
        return
    gc.freeze()
    token = _froze.set(True)
    try:
        yield
    finally:
        _froze.reset(token)
        gc.unfreeze()


def freeze_the_plan() -> None:
    """Within a `frozen_heap` that froze the heap: what exists now (the plan just made) is
    left out of the collections too, until that `frozen_heap` ends. Elsewhere: nothing."""
    if _froze.get() and gc.isenabled():
        gc.freeze()


def with_frozen_heap(
    method: Callable[_P, Awaitable[_R]],
) -> Callable[_P, Coroutine[Any, Any, _R]]:
    """`method` (a coroutine function) run within `frozen_heap`."""

    @functools.wraps(method)
    async def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with frozen_heap():
            return await method(*args, **kwargs)

    return run
