"""Every SDK call of every vendor against a hostile server (issue 14, item 9).

Each case is one SDK call (`CALLS`: every vendor's `SDK_CALLS`, in
`tests/adapters/<vendor>/facts.py`) against one misbehaviour of `hostile.HostileServer` on
127.0.0.1 (a redirect to another host, HTML 200, truncated JSON, 200,000-level nesting,
5,000-digit numbers, 1e1000000, NaN/Infinity, wrong types, `success: false`, a body trickled a
byte at a time, an endless chunked body, trickled headers, a cut body, a dropped connection).
Every case must end, within the client's total deadline, in one of the project's typed errors
(`GatewayError`); a call that ignores its answer's body (a logout, a delete) may return. Never
an untyped exception (JSONDecodeError, RecursionError, ValueError, decimal errors), never a
hang past the deadline, never a write that returns as if applied, and the redirect's host is
never contacted.

The normal test command runs the async clients, each call against three of the fast
behaviours in rotation (every behaviour meets calls of every vendor), and the two slow ones
against one read per vendor (a trickle of a byte every 0.2 s, a 1 s deadline); `--runslow`
runs every call of the sync and the async clients against every behaviour, trickling one
byte a second against a 3 s deadline. The sync clients bound a body trickle (between chunks)
but not trickled headers, which only the async clients (the engine's) bound: `slow_headers`
runs against the async clients only. The summary line (calls x
behaviours, outcomes, 0 untyped, 0 hangs) is printed at the end of the run
(tests/adversarial/conftest.py); BENCHMARKS.md holds the full run's.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from balance_gateway.adapters._core.errors import GatewayError, WriteOutcomeUnknown
from balance_gateway.adapters._core.retry import RetryPolicy
from tests.adapters.vendor_facts import SdkCall, facts, vendors_with
from tests.adversarial.hostile import BEHAVIOURS, SLOW, HostileServer

FULL = "--runslow" in sys.argv  # parametrization happens before options can be read
INTERVAL = 1.0 if FULL else 0.2  # seconds between trickled bytes
DEADLINE = 3.0 if FULL else 1.0  # the clients' total deadline per request
# How far past the deadline a case may end before it counts as a hang: the sync clients check
# the deadline between chunks, so they may overrun it by one trickle interval, by design.
SLACK = 2 * INTERVAL + 1.0
CAP = 1024 * 1024  # max_response_bytes
OPTIONS: dict[str, Any] = {
    "deadline": DEADLINE,
    "max_response_bytes": CAP,
    "retry": RetryPolicy(max_attempts=2, backoff_initial=0.01, backoff_max=0.02),
}


@dataclass(frozen=True)
class Call:
    """One SDK call of `vendor` (one of its `SDK_CALLS`, `tests/adapters/<vendor>/facts.py`)."""

    vendor: str
    sdk: SdkCall

    @property
    def name(self) -> str:
        return self.sdk.name

    @property
    def write(self) -> bool:
        return self.sdk.write

    @property
    def ignores_body(self) -> bool:
        return self.sdk.ignores_body

    def client(self, base_url: str, is_async: bool) -> Any:
        module = importlib.import_module(f"balance_gateway.adapters.{self.vendor}")
        cls = getattr(module, "AsyncClient" if is_async else "Client")
        return cls(base_url, **self.sdk.credentials, **OPTIONS)

    def run(self, client: Any) -> Any:
        return self.sdk.run(client)


CALLS = [
    Call(vendor, sdk)
    for vendor in vendors_with("SDK_CALLS")
    for sdk in facts(vendor, "SDK_CALLS", list)
]
# One call per vendor for the slow behaviours in the normal run.
REPRESENTATIVE = {c.vendor: c for c in reversed(CALLS) if not c.write}


FAST_BEHAVIOURS = [b for b in BEHAVIOURS if b not in SLOW]
PER_CALL = 3  # fast behaviours per call in the normal run, in rotation


def _in_fast_subset(index: int, call: Call, behaviour: str) -> bool:
    """The normal run's share: each call meets PER_CALL of the fast behaviours (rotating, so
    that each behaviour meets calls of every vendor), and the slow ones meet one read per
    vendor."""
    if behaviour in SLOW:
        return REPRESENTATIVE[call.vendor] is call
    position = FAST_BEHAVIOURS.index(behaviour)
    return (position - index * PER_CALL) % len(FAST_BEHAVIOURS) < PER_CALL


def _cases() -> Iterator[Any]:
    for mode in ("async", "sync") if FULL else ("async",):
        for behaviour in BEHAVIOURS:
            if behaviour == "slow_headers" and mode == "sync":
                continue  # see the module docstring
            for index, call in enumerate(CALLS):
                if not FULL and not _in_fast_subset(index, call, behaviour):
                    continue
                yield pytest.param(
                    mode, behaviour, call, id=f"{mode}-{behaviour}-{call.vendor}.{call.name}"
                )


OUTCOMES: Counter[str] = Counter()
SEEN: dict[str, set[str]] = {"calls": set(), "behaviours": set()}
SLOWEST = [0.0]


@pytest.fixture(scope="module")
def server() -> Iterator[HostileServer]:
    hostile = HostileServer(interval=INTERVAL).start()
    yield hostile
    hostile.stop()


def _drain_sync(result: Any) -> Any:
    if isinstance(result, Iterator):
        return list(result)
    return result


async def _drain_async(result: Any) -> Any:
    if inspect.isawaitable(result):
        result = await result
    if hasattr(result, "__aiter__"):
        return [item async for item in result]
    return result


async def _one(mode: str, call: Call, base_url: str) -> Any:
    if mode == "async":
        client = call.client(base_url, True)
        try:
            return await _drain_async(call.run(client))
        finally:
            await client.aclose()

    def blocking() -> Any:
        with call.client(base_url, False) as client:
            return _drain_sync(call.run(client))

    return await asyncio.to_thread(blocking)


@pytest.mark.parametrize(("mode", "behaviour", "call"), list(_cases()))
async def test_every_sdk_call_fails_typed_and_in_time(
    server: HostileServer, mode: str, behaviour: str, call: Call
) -> None:
    server.behaviour = behaviour
    redirected_before = server.other.hits
    started = time.monotonic()
    outcome = "returned"
    error: BaseException | None = None
    try:
        await asyncio.wait_for(_one(mode, call, server.base_url), timeout=DEADLINE + SLACK)
    except TimeoutError:
        outcome = "hang"
    except GatewayError as exc:
        outcome = "unknown_outcome" if isinstance(exc, WriteOutcomeUnknown) else "typed"
        error = exc
    except Exception as exc:  # what the suite is here to catch
        outcome = "untyped"
        error = exc
    elapsed = time.monotonic() - started
    SLOWEST[0] = max(SLOWEST[0], elapsed)
    SEEN["calls"].add(f"{mode} {call.vendor}.{call.name}")
    SEEN["behaviours"].add(behaviour)
    OUTCOMES[outcome] += 1
    OUTCOMES["cases"] += 1
    if outcome == "returned" and not call.ignores_body:
        OUTCOMES["misread"] += 1
    assert outcome != "untyped", f"{type(error).__name__}: {error}"
    assert outcome != "hang", f"still running {DEADLINE + SLACK} s after it started"
    assert elapsed <= DEADLINE + SLACK
    if call.write and outcome == "returned":
        assert call.ignores_body, "a write answered by a hostile server returned as if applied"
    if not call.ignores_body:
        assert outcome != "returned", "a hostile answer was taken for a success"
    assert server.other.hits == redirected_before, "a redirect was followed to another host"
    if error is not None:
        str(error)  # renders (no RecursionError on a deep body)


def summary() -> str | None:
    """The suite's figures, for the terminal summary (None when it did not run)."""
    if not OUTCOMES["cases"]:
        return None
    calls = len(SEEN["calls"])
    behaviours = len(SEEN["behaviours"])
    return (
        f"adversarial SDK suite ({'full' if FULL else 'fast subset'}): "
        f"calls={calls} behaviours={behaviours} cases={OUTCOMES['cases']} "
        f"typed={OUTCOMES['typed']} unknown_outcome={OUTCOMES['unknown_outcome']} "
        f"returned_ignoring_body={OUTCOMES['returned'] - OUTCOMES['misread']} "
        f"misread_as_success={OUTCOMES['misread']} untyped={OUTCOMES['untyped']} "
        f"hangs={OUTCOMES['hang']} slowest_case={SLOWEST[0]:.2f}s deadline={DEADLINE:g}s"
    )
