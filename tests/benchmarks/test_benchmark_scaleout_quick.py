"""The scale-out benchmark's quick mode (`python benchmarks/bench_scaleout.py --quick`): a tiny
N synced in one process and over 1 and 2 Celery workers, on fresh emulators each time. What a
user relies on: every run ends as planned, and spreading the writes over workers sends the
same requests as one process does (no unit applied twice, no extra reads). Needs Redis."""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any

import pytest

from tests.benchmarks._scripts import load_script

QUICK_N = 40
REQUIRE = "BALANCE_GATEWAY_REQUIRE_SERVICES"


def _load() -> ModuleType:
    return load_script("bench_scaleout")


def _need_redis() -> None:
    try:
        import redis

        with redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=2) as client:
            client.ping()
    except Exception as exc:  # not installed, or not reachable
        reason = f"Redis is not reachable at 127.0.0.1:6379, or not installed ({exc})"
        if os.environ.get(REQUIRE) == "1":
            pytest.fail(f"{reason} ({REQUIRE}=1)")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def quick() -> list[Any]:
    _need_redis()
    results: list[Any] = _load().run(QUICK_N, [1, 2], log=lambda _message: None)
    return results


def test_every_run_ends_as_planned(quick: list[Any]) -> None:
    assert [r.workers for r in quick] == [0, 1, 2]
    assert all(r.exit_code == 0 and r.correct for r in quick), quick


def test_one_and_two_workers_send_the_same_requests(quick: list[Any]) -> None:
    one, two = (r.requests for r in quick[1:])
    # About one request per balance, and about nine in ten of the 2 x QUICK_N balances change.
    assert one > QUICK_N
    assert two == one


def test_workers_send_the_requests_one_process_sends(quick: list[Any]) -> None:
    # A worker's adapter has read nothing: it writes to the record the coordinator's plan saw
    # (`WriteIntent.target_record`) instead of looking each balance up again.
    alone = quick[0].requests
    assert [r.requests for r in quick[1:]] == [alone, alone]
