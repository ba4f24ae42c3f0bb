"""`SharedWhileRunning`: one run shared by the callers asking while it runs, none left running
once every one of them gave up."""

from __future__ import annotations

import asyncio

import pytest

from balance_gateway.adapters._core.concurrency import SharedWhileRunning


class Reads:
    """A read counting its runs, each held until `answer` is set."""

    def __init__(self) -> None:
        self.runs = 0
        self.cancelled = 0
        self.answer = asyncio.Event()
        self.started = asyncio.Event()

    async def __call__(self) -> int:
        self.runs += 1
        self.started.set()
        try:
            await self.answer.wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        return self.runs


async def test_callers_asking_while_it_runs_share_one_run_and_later_ones_start_another() -> None:
    reads = Reads()
    shared = SharedWhileRunning(reads)
    first, second = asyncio.ensure_future(shared()), asyncio.ensure_future(shared())
    await reads.started.wait()
    reads.answer.set()
    assert list(await asyncio.gather(first, second)) == [1, 1]
    assert await shared() == 2  # after it ended: a new run, not the old answer
    assert reads.runs == 2


async def test_one_caller_giving_up_leaves_the_run_to_the_others() -> None:
    reads = Reads()
    shared = SharedWhileRunning(reads)
    leaving, staying = asyncio.ensure_future(shared()), asyncio.ensure_future(shared())
    await reads.started.wait()
    leaving.cancel()
    await asyncio.gather(leaving, return_exceptions=True)
    reads.answer.set()
    assert await staying == 1
    assert reads.cancelled == 0


async def test_the_run_is_cancelled_once_every_caller_gave_up() -> None:
    reads = Reads()
    shared = SharedWhileRunning(reads)
    callers = [asyncio.ensure_future(shared()) for _ in range(2)]
    await reads.started.wait()
    for caller in callers:
        caller.cancel()
    await asyncio.gather(*callers, return_exceptions=True)
    assert reads.cancelled == 1
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []
    reads.answer.set()
    assert await shared() == 2  # the next caller is not given the cancelled run


async def test_a_failed_run_fails_every_caller_and_is_not_kept() -> None:
    runs = 0

    async def failing() -> int:
        nonlocal runs
        runs += 1
        await asyncio.sleep(0)
        raise ValueError(f"run {runs} failed")

    shared = SharedWhileRunning(failing)
    results = await asyncio.gather(shared(), shared(), return_exceptions=True)
    assert [str(r) for r in results] == ["run 1 failed", "run 1 failed"]
    with pytest.raises(ValueError, match="run 2 failed"):
        await shared()
