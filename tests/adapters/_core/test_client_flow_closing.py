"""A request's flow (the generator of send/wait steps both clients carry out) ends cleanly
however it is abandoned: a cancelled task, or the garbage collector closing it after the
retry loop it runs in (regression: a flow closed after tenacity's iterator raised an
AssertionError, printed as "Exception ignored in: <generator object BaseClient._flow>" into the
CLI's output when the collector happened to finalize them in that order)."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Generator, Iterator
from typing import Any

import httpx
import pytest
import tenacity

from balance_gateway.adapters._core.client import (
    AsyncAPIClient,
    SyncAPIClient,
    _Outcome,
    _Send,
    _Wait,
)
from balance_gateway.adapters._core.operations import Call


def _call() -> Call[httpx.Response]:
    return Call("GET", "/a", parse=lambda response: response)


def test_a_flow_closed_after_its_retry_loop_closes_cleanly(monkeypatch: pytest.MonkeyPatch) -> None:
    client = SyncAPIClient(
        base_url="http://vendor.invalid",
        transport=httpx.MockTransport(lambda r: httpx.Response(200)),
    )
    loops: list[Generator[Any, None, None]] = []
    build = client._retrying

    class Recorded(tenacity.Retrying):
        def __iter__(self) -> Generator[Any, None, None]:
            loop = super().__iter__()
            loops.append(loop)
            return loop

    def retrying(*args: Any) -> tenacity.Retrying:
        made = build(*args)
        return Recorded(
            **{k: getattr(made, k) for k in ("sleep", "retry", "wait", "stop")},
            retry_error_callback=made.retry_error_callback,
        )

    monkeypatch.setattr(client, "_retrying", retrying)
    flow = client._flow(_call())
    sent = _Outcome().resume(flow)  # the first attempt's send
    assert isinstance(sent, _Send)
    # Answered 503: the retry loop judges it (a GET is retried) and waits, then sends again.
    waiting = _Outcome(httpx.Response(503, request=sent.request)).resume(flow)
    assert isinstance(waiting, _Wait)
    assert isinstance(_Outcome().resume(flow), _Send)  # the second attempt, not answered yet
    assert len(loops) == 1
    loops[0].close()  # the collector may finalize the retry loop first
    flow.close()  # then the flow: it must end, not swallow its close
    assert inspect.getgeneratorstate(flow) == inspect.GEN_CLOSED


async def test_a_cancelled_request_leaves_no_suspended_flow(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def never(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    client = AsyncAPIClient(base_url="http://vendor.invalid", transport=httpx.MockTransport(never))
    flows: list[Iterator[Any]] = []
    make = client._flow

    def recorded(request: Any) -> Any:
        flow = make(request)
        flows.append(flow)
        return flow

    monkeypatch.setattr(client, "_flow", recorded)
    task = asyncio.create_task(client.run(_call()))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [inspect.getgeneratorstate(f) for f in flows] == [inspect.GEN_CLOSED]  # type: ignore[arg-type]
    await client.aclose()
