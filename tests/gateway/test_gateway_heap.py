"""`gateway.heap`: what exists when a run starts is frozen for the run and thawed after; a
process's own frozen objects are left as they are."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from balance_gateway.gateway.heap import frozen_heap, with_frozen_heap


@pytest.fixture(autouse=True)
def _thawed() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


async def test_a_run_freezes_what_exists_and_thaws_it_after() -> None:
    seen: list[int] = []

    @with_frozen_heap
    async def run(x: int) -> int:
        seen.append(gc.get_freeze_count())
        return x + 1

    assert await run(1) == 2
    assert seen[0] > 0
    assert gc.get_freeze_count() == 0


async def test_a_run_that_fails_thaws_too() -> None:
    @with_frozen_heap
    async def run() -> None:
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        await run()
    assert gc.get_freeze_count() == 0


def test_objects_the_process_froze_stay_frozen() -> None:
    gc.freeze()
    before = gc.get_freeze_count()
    with frozen_heap():
        pass
    assert gc.get_freeze_count() == before > 0


def test_a_run_nested_in_another_leaves_the_outer_one_frozen() -> None:
    with frozen_heap():
        outer = gc.get_freeze_count()
        with frozen_heap():
            pass
        assert gc.get_freeze_count() == outer > 0
    assert gc.get_freeze_count() == 0
