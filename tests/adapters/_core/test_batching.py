"""`Coalescer`: concurrent per-row reads become batched fetches, each answered after it asked."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

import pytest

from balance_gateway.adapters._core.batching import Coalescer


class Source:
    """A fetch that records each batch it was asked for; `version` changes between batches."""

    def __init__(self, refuse: str | None = None) -> None:
        self.batches: list[list[str]] = []
        self.version = 0
        self.refuse = refuse

    async def fetch(self, keys: Sequence[str]) -> Mapping[str, str]:
        self.batches.append(list(keys))
        if self.refuse in keys:
            raise ValueError(f"refused {self.refuse}")
        await asyncio.sleep(0.01)
        self.version += 1
        return {k: f"{k}@{self.version}" for k in keys if k != "missing"}


async def test_concurrent_gets_share_one_fetch_per_batch() -> None:
    source = Source()
    coalescer = Coalescer(source.fetch, max_batch=3)

    values = await asyncio.gather(*(coalescer.get(k) for k in ["a", "b", "c", "d", "a"]))

    assert source.batches == [["a", "b", "c"], ["d"]]
    assert values == ["a@1", "b@1", "c@1", "d@2", "a@1"]


async def test_a_get_made_during_a_fetch_waits_for_the_next_one() -> None:
    source = Source()
    coalescer = Coalescer(source.fetch, max_batch=10)

    first = asyncio.ensure_future(coalescer.get("a"))
    await asyncio.sleep(0.001)  # the first fetch is under way
    second = await coalescer.get("a")

    assert await first == "a@1"
    assert second == "a@2"  # never the answer of a read that started before it asked
    assert source.batches == [["a"], ["a"]]


async def test_one_keys_fault_fails_only_its_own_callers() -> None:
    source = Source(refuse="bad")
    coalescer = Coalescer(source.fetch, max_batch=10)

    results = await asyncio.gather(
        coalescer.get("a"), coalescer.get("bad"), coalescer.get("b"), return_exceptions=True
    )

    assert results[0] in ("a@1", "a@2")
    assert isinstance(results[1], ValueError)
    assert results[2] in ("b@1", "b@2")
    # The failed batch, then each of its keys alone.
    assert source.batches[0] == ["a", "bad", "b"]
    assert sorted(source.batches[1:]) == [["a"], ["b"], ["bad"]]


async def test_a_key_the_fetch_does_not_answer_raises_key_error() -> None:
    coalescer = Coalescer(Source().fetch, max_batch=10)

    with pytest.raises(KeyError):
        await coalescer.get("missing")


def test_max_batch_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_batch"):
        Coalescer(Source().fetch, max_batch=0)
