"""The engine-vs-peer benchmark (`python benchmarks/bench_peer.py --quick`) at a tiny N.

Both pairs (an absolute target and the ledger target) run the engine and the concurrent
hand-written script (`benchmarks/peer_script.py`) on fresh emulators under the same latency and
rate limit; both must leave the target equal to the source, and every request count must add
up. The sequential loop is left out here: `test_benchmark_quick.py` runs it.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from benchmarks._harness import PAIRS as HARNESS_PAIRS
from tests.benchmarks._scripts import load_script

TINY_N = 20
PAIRS = tuple(HARNESS_PAIRS)  # both pairs, as `bench_peer.py` runs by default


def _load() -> ModuleType:
    return load_script("bench_peer")


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return _load()


@pytest.fixture(scope="module")
def results(bench: ModuleType) -> dict[str, Any]:
    found = bench.run(PAIRS, TINY_N, loop_subset=0, log=lambda _message: None)
    return {r.pair: r for r in found}


@pytest.mark.parametrize("pair", PAIRS)
def test_engine_and_peer_reach_the_same_end_state(results: dict[str, Any], pair: str) -> None:
    result = results[pair]
    [engine] = result.engines
    [peer] = result.peers
    assert result.engine_wrong == [0]
    assert peer.wrong == 0
    # The same changes: every tenth person's balances already matched the source.
    assert 0 < engine.applied == peer.server_writes == peer.writes < result.balances
    assert peer.blocked == 0
    assert engine.second_writes == 0


@pytest.mark.parametrize("pair", PAIRS)
def test_the_peer_reads_in_bulk_and_writes_once_per_change(
    results: dict[str, Any], pair: str
) -> None:
    [peer] = results[pair].peers
    # One bulk read of the source, one of the target (a single page at this N), one write
    # per changed balance; every request it counted reached an emulator, nothing else did.
    assert peer.requests - peer.target_requests == 1
    assert peer.target_reads == 1
    assert peer.target_requests == 1 + peer.server_writes
    assert peer.own_count == peer.requests
    assert peer.rate_limited == 0  # its token bucket kept under the vendor's limit


def test_report_and_checks(bench: ModuleType, results: dict[str, Any]) -> None:
    assert bench.check(list(results.values())) == []
    for result in results.values():
        table = bench.pair_table(result)
        assert result.pair in table
        assert "| end state = source | yes | yes |" in table


def test_the_peer_retries_a_429_after_its_retry_after(bench: ModuleType, tmp_path: Path) -> None:
    # Without its own bucket the script runs into the vendor's limit (10/s, a burst of 10 for
    # 20 requests): it must wait out each 429 and still write every change exactly once.
    from benchmarks._harness import ABSOLUTE, generate

    data = generate(10, ABSOLUTE)
    peer = bench.measure_peer(data, tmp_path, 10.0, budget=0)
    assert peer.rate_limited > 0
    assert peer.wrong == 0
    assert peer.server_writes == peer.writes > 0
    assert peer.own_count == peer.requests  # the 429s counted on both sides
    assert peer.wall >= 1.0  # it waited for Retry-After (at least a second) before retrying
