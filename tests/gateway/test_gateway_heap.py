"""`gateway.heap`: what exists when a run starts is frozen for the run and thawed after; a
process's own frozen objects are left as they are."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from balance_gateway.gateway.heap import freeze_the_plan, frozen_heap, with_frozen_heap


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


class Planned:
    """An object the collector tracks, as a plan row is."""


def test_the_plan_made_in_a_run_is_frozen_until_the_run_ends() -> None:
    with frozen_heap():
        plan = [Planned() for _ in range(100)]
        before = gc.get_freeze_count()
        freeze_the_plan()
        assert gc.get_freeze_count() >= before + len(plan)
    assert gc.get_freeze_count() == 0


def test_the_plan_is_not_frozen_where_the_run_did_not_freeze_the_heap() -> None:
    plan = [Planned() for _ in range(10)]
    freeze_the_plan()  # no run
    assert gc.get_freeze_count() == 0
    gc.freeze()  # the process froze its own objects: a run leaves them, and adds none
    before = gc.get_freeze_count()
    with frozen_heap():
        plan.append(Planned())
        freeze_the_plan()
        assert gc.get_freeze_count() == before
    assert gc.get_freeze_count() == before
