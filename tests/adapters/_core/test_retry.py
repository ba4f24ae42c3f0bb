"""Retries: which requests are sent again, how long the client waits, and when it gives up.

Client-level tests run the sync and the async client alike against respx, with an injected
`sleep` that records each wait and advances an injected `clock`: nothing really sleeps.
"""

from __future__ import annotations

import email.utils
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx
from hypothesis import given
from hypothesis import strategies as st

from balance_gateway.adapters._core.client import AsyncAPIClient, SyncAPIClient
from balance_gateway.adapters._core.errors import (
    APIStatusError,
    RateLimitError,
    ServerError,
    TransportError,
    WriteOutcomeUnknown,
)
from balance_gateway.adapters._core.retry import (
    ATTEMPT_EXTENSION,
    RetryPolicy,
    backoff_seconds,
    is_idempotent,
    never_sent,
    parse_retry_after,
    should_retry_exception,
    should_retry_response,
    wait_seconds,
)
from tests.adapters.sync_async import send

BASE = "https://api.example.test/v1"
OK_BODY = {"id": "e-1", "remaining": 12.5}


class Harness:
    """A sync or async client whose `sleep` records waits and advances its fake `clock`."""

    def __init__(self, mode: str, **kwargs: Any) -> None:
        self.now = 1_000.0
        self.waits: list[float] = []
        self.client: SyncAPIClient | AsyncAPIClient
        if mode == "sync":
            self.client = SyncAPIClient(base_url=BASE, sleep=self.sleep, clock=self.clock, **kwargs)
        else:
            self.client = AsyncAPIClient(
                base_url=BASE, sleep=self.asleep, clock=self.clock, **kwargs
            )

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await send(self.client, method, path, **kwargs)


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


def http_date(moment: datetime) -> str:
    return email.utils.format_datetime(moment, usegmt=True)


# -- idempotent requests --------------------------------------------------------------------


async def test_get_is_retried_on_503_then_succeeds(mode: str, api: respx.MockRouter) -> None:
    route = api.get("/employees/e-1").mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json=OK_BODY)]
    )
    harness = Harness(mode)

    response = await harness.request("GET", "employees/e-1")

    assert route.call_count == 2
    assert response.status_code == 200
    assert response.json() == OK_BODY
    assert len(harness.waits) == 1


@pytest.mark.parametrize("status", [408, 429, 500, 501, 502, 503, 504])
async def test_get_is_retried_on_every_retry_status(
    mode: str, api: respx.MockRouter, status: int
) -> None:
    route = api.get("/items").mock(
        side_effect=[httpx.Response(status), httpx.Response(200, json=[1])]
    )
    response = await Harness(mode).request("GET", "items")
    assert route.call_count == 2
    assert response.json() == [1]


@pytest.mark.parametrize("status", [400, 404, 409, 422])
async def test_get_is_not_retried_on_other_errors(
    mode: str, api: respx.MockRouter, status: int
) -> None:
    route = api.get("/items").mock(return_value=httpx.Response(status, json={"error": "no"}))
    harness = Harness(mode)
    with pytest.raises(APIStatusError) as caught:
        await harness.request("GET", "items")
    assert caught.value.status_code == status
    assert route.call_count == 1
    assert harness.waits == []


@pytest.mark.parametrize("error", [httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("dropped")])
async def test_get_is_retried_after_a_failure_after_sending(
    mode: str, api: respx.MockRouter, error: Exception
) -> None:
    route = api.get("/items").mock(side_effect=[error, httpx.Response(200, json=[1])])
    response = await Harness(mode).request("GET", "items")
    assert route.call_count == 2
    assert response.json() == [1]


async def test_put_and_delete_are_retried_as_idempotent(mode: str, api: respx.MockRouter) -> None:
    put = api.put("/balances/b-1").mock(
        side_effect=[httpx.ReadTimeout("slow"), httpx.Response(200, json={"ok": True})]
    )
    delete = api.delete("/credits/c-1").mock(side_effect=[httpx.Response(502), httpx.Response(204)])
    harness = Harness(mode)
    assert (await harness.request("PUT", "balances/b-1", json={"days": 3})).json() == {"ok": True}
    assert (await harness.request("DELETE", "credits/c-1")).status_code == 204
    assert put.call_count == 2
    assert delete.call_count == 2


async def test_a_retried_request_resends_the_same_body(mode: str, api: respx.MockRouter) -> None:
    route = api.put("/balances/b-1").mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json={})]
    )
    await Harness(mode).request("PUT", "balances/b-1", json={"days": 3})
    bodies = [call.request.content for call in route.calls]
    assert bodies == [b'{"days":3}', b'{"days":3}']


async def test_persistent_network_failure_raises_transport_error(
    mode: str, api: respx.MockRouter
) -> None:
    route = api.get("/items").mock(side_effect=httpx.ConnectError("connection refused"))
    harness = Harness(mode, retry=RetryPolicy(max_attempts=3))
    expected = r"GET /v1/items: could not connect to api.example.test:443"
    with pytest.raises(TransportError, match=expected) as caught:
        await harness.request("GET", "items")
    assert caught.value.retriable
    assert route.call_count == 3
    assert len(harness.waits) == 2


# -- Retry-After, backoff and budgets -------------------------------------------------------


async def test_retry_after_seconds_is_waited(mode: str, api: respx.MockRouter) -> None:
    route = api.get("/items").mock(
        side_effect=[
            httpx.Response(503, headers={"Retry-After": "2"}),
            httpx.Response(200, json=[1]),
        ]
    )
    harness = Harness(mode)
    response = await harness.request("GET", "items")
    assert harness.waits == [2.0]
    assert harness.now == 1_002.0
    assert route.call_count == 2
    assert response.json() == [1]


async def test_retry_after_http_date_is_waited(mode: str, api: respx.MockRouter) -> None:
    # An HTTP date is resolved against the wall clock (it has one-second resolution).
    when = datetime.now(UTC) + timedelta(seconds=10)
    api.get("/items").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": http_date(when)}),
            httpx.Response(200, json=[1]),
        ]
    )
    harness = Harness(mode)
    await harness.request("GET", "items")
    assert len(harness.waits) == 1
    assert 8.0 < harness.waits[0] <= 10.0


async def test_retry_after_in_the_past_retries_at_once(mode: str, api: respx.MockRouter) -> None:
    past = http_date(datetime(2015, 10, 21, 7, 28, tzinfo=UTC))
    api.get("/items").mock(
        side_effect=[
            httpx.Response(503, headers={"Retry-After": past}),
            httpx.Response(200, json=[1]),
        ]
    )
    harness = Harness(mode)
    await harness.request("GET", "items")
    assert harness.waits == [0.0]


@pytest.mark.parametrize(("cap", "header"), [(30.0, "86400"), (5.0, "3600"), (5.0, "1e9")])
async def test_retry_after_is_clamped_to_the_cap(
    mode: str, api: respx.MockRouter, cap: float, header: str
) -> None:
    api.get("/items").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": header}),
            httpx.Response(200, json=[1]),
        ]
    )
    harness = Harness(mode, retry=RetryPolicy(retry_after_cap=cap))
    await harness.request("GET", "items")
    assert harness.waits == [cap]


async def test_without_retry_after_the_wait_backs_off_exponentially(
    mode: str, api: respx.MockRouter
) -> None:
    route = api.get("/items").mock(return_value=httpx.Response(503))
    policy = RetryPolicy(max_attempts=5, backoff_initial=1.0, backoff_max=3.0, jitter=0.0)
    harness = Harness(mode, retry=policy)
    with pytest.raises(ServerError):
        await harness.request("GET", "items")
    assert harness.waits == [1.0, 2.0, 3.0, 3.0]
    assert route.call_count == 5


async def test_jittered_backoff_draws_from_the_injected_rng(
    mode: str, api: respx.MockRouter
) -> None:
    api.get("/items").mock(return_value=httpx.Response(504))
    policy = RetryPolicy(max_attempts=3)
    harness = Harness(mode, retry=policy, rng=random.Random(7))
    with pytest.raises(ServerError):
        await harness.request("GET", "items")
    reference = random.Random(7)
    expected = [backoff_seconds(policy, 1, reference), backoff_seconds(policy, 2, reference)]
    assert harness.waits == expected


async def test_max_attempts_stops_retrying_and_surfaces_the_last_error(
    mode: str, api: respx.MockRouter
) -> None:
    route = api.get("/items").mock(
        return_value=httpx.Response(503, json={"message": "maintenance"})
    )
    harness = Harness(mode, retry=RetryPolicy(max_attempts=3))
    with pytest.raises(ServerError) as caught:
        await harness.request("GET", "items")
    assert route.call_count == 3
    assert len(harness.waits) == 2
    assert caught.value.status_code == 503
    assert caught.value.body == {"message": "maintenance"}


async def test_total_time_budget_stops_before_a_wait_that_would_exceed_it(
    mode: str, api: respx.MockRouter
) -> None:
    route = api.get("/items").mock(return_value=httpx.Response(503, headers={"Retry-After": "3"}))
    harness = Harness(mode, retry=RetryPolicy(max_attempts=10, max_total_seconds=5.0))
    with pytest.raises(ServerError):
        await harness.request("GET", "items")
    # t=0 fail, wait 3 (3 <= 5); t=3 fail, 3 + 3 > 5: stop without sleeping.
    assert harness.waits == [3.0]
    assert route.call_count == 2


async def test_total_time_budget_counts_time_spent_in_requests(
    mode: str, api: respx.MockRouter
) -> None:
    harness = Harness(mode, retry=RetryPolicy(max_attempts=10, max_total_seconds=10.0))

    def slow_503(request: httpx.Request) -> httpx.Response:
        harness.now += 4.0  # each attempt takes four (fake) seconds
        return httpx.Response(503, headers={"Retry-After": "1"})

    route = api.get("/items").mock(side_effect=slow_503)
    with pytest.raises(ServerError):
        await harness.request("GET", "items")
    # t=4: 4 + 1 <= 10, wait; t=9: 9 + 1 <= 10, wait; t=14: over budget.
    assert harness.waits == [1.0, 1.0]
    assert route.call_count == 3


async def test_retry_policy_none_sends_once(mode: str, api: respx.MockRouter) -> None:
    route = api.get("/items").mock(return_value=httpx.Response(503))
    harness = Harness(mode, retry=RetryPolicy.none())
    with pytest.raises(ServerError):
        await harness.request("GET", "items")
    assert route.call_count == 1
    assert harness.waits == []


# -- non-idempotent writes ------------------------------------------------------------------


async def test_post_timing_out_after_sending_is_an_unknown_outcome_sent_once(
    mode: str, api: respx.MockRouter
) -> None:
    route = api.post("/credits").mock(side_effect=httpx.ReadTimeout("no answer"))
    harness = Harness(mode)
    with pytest.raises(WriteOutcomeUnknown) as caught:
        await harness.request("POST", "credits", json={"days": 1})
    assert route.call_count == 1
    assert harness.waits == []
    assert caught.value.method == "POST"
    assert caught.value.path == "/v1/credits"
    assert "ReadTimeout" in str(caught.value)
    assert not isinstance(caught.value, TransportError)


@pytest.mark.parametrize("status", [500, 502, 504])
async def test_post_answered_5xx_is_an_unknown_outcome_sent_once(
    mode: str, api: respx.MockRouter, status: int
) -> None:
    route = api.post("/credits").mock(return_value=httpx.Response(status))
    harness = Harness(mode)
    with pytest.raises(WriteOutcomeUnknown, match=str(status)):
        await harness.request("POST", "credits", json={"days": 1})
    assert route.call_count == 1
    assert harness.waits == []


async def test_post_answered_503_without_retry_after_is_an_unknown_outcome(
    mode: str, api: respx.MockRouter
) -> None:
    route = api.post("/credits").mock(return_value=httpx.Response(503))
    with pytest.raises(WriteOutcomeUnknown):
        await Harness(mode).request("POST", "credits", json={"days": 1})
    assert route.call_count == 1


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("connection refused"),
        httpx.ConnectTimeout("no connection"),
        httpx.PoolTimeout("pool exhausted"),
    ],
)
async def test_post_that_never_reached_the_server_is_retried(
    mode: str, api: respx.MockRouter, error: Exception
) -> None:
    route = api.post("/credits").mock(side_effect=[error, httpx.Response(201, json={"id": "c-1"})])
    harness = Harness(mode)
    response = await harness.request("POST", "credits", json={"days": 1})
    assert route.call_count == 2
    assert response.status_code == 201
    assert response.json() == {"id": "c-1"}


async def test_post_that_never_connects_raises_transport_error_not_unknown_outcome(
    mode: str, api: respx.MockRouter
) -> None:
    route = api.post("/credits").mock(side_effect=httpx.ConnectError("connection refused"))
    with pytest.raises(TransportError):
        await Harness(mode, retry=RetryPolicy(max_attempts=2)).request("POST", "credits")
    assert route.call_count == 2


async def test_post_refused_with_429_and_retry_after_is_retried(
    mode: str, api: respx.MockRouter
) -> None:
    route = api.post("/credits").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "2"}, json={"error": "slow down"}),
            httpx.Response(201, json={"id": "c-1"}),
        ]
    )
    harness = Harness(mode)
    response = await harness.request("POST", "credits", json={"days": 1})
    assert route.call_count == 2
    assert harness.waits == [2.0]
    assert response.json() == {"id": "c-1"}


async def test_post_answered_503_with_retry_after_is_retried(
    mode: str, api: respx.MockRouter
) -> None:
    route = api.post("/credits").mock(
        side_effect=[
            httpx.Response(503, headers={"Retry-After": "1"}),
            httpx.Response(201, json={"id": "c-1"}),
        ]
    )
    harness = Harness(mode)
    await harness.request("POST", "credits")
    assert route.call_count == 2
    assert harness.waits == [1.0]


async def test_post_rate_limited_to_the_end_raises_rate_limit_error(
    mode: str, api: respx.MockRouter
) -> None:
    route = api.post("/credits").mock(
        return_value=httpx.Response(429, headers={"Retry-After": "4"}, json={"error": "slow"})
    )
    harness = Harness(mode, retry=RetryPolicy(rate_limit_attempts=2))
    with pytest.raises(RateLimitError) as caught:
        await harness.request("POST", "credits")
    assert caught.value.retry_after == 4.0
    assert caught.value.retriable
    assert route.call_count == 2


async def test_a_429_is_retried_past_max_attempts_while_the_time_budget_lasts(
    mode: str, api: respx.MockRouter
) -> None:
    route = api.get("/items").mock(
        return_value=httpx.Response(429, headers={"Retry-After": "4"}, json={"error": "slow"})
    )
    harness = Harness(mode, retry=RetryPolicy(max_attempts=2, max_total_seconds=30.0))
    with pytest.raises(RateLimitError):
        await harness.request("GET", "items")
    # Attempts at t = 0, 4, ..., 28: the wait after the one at 28 would end past 30 s.
    assert route.call_count == 8
    assert harness.waits == [4.0] * 7


async def test_a_long_rate_limit_is_ridden_out_then_succeeds(
    mode: str, api: respx.MockRouter
) -> None:
    limited = httpx.Response(429, headers={"Retry-After": "2"})
    route = api.get("/items").mock(side_effect=[limited] * 10 + [httpx.Response(200, json=[1])])
    harness = Harness(mode, retry=RetryPolicy(max_attempts=2))
    assert (await harness.request("GET", "items")).json() == [1]
    assert route.call_count == 11


async def test_429s_do_not_spend_the_attempts_other_failures_have(
    mode: str, api: respx.MockRouter
) -> None:
    limited = httpx.Response(429, headers={"Retry-After": "1"})
    route = api.get("/items").mock(
        side_effect=[limited, httpx.Response(503), limited, httpx.Response(503), limited]
        + [httpx.Response(503)] * 3
    )
    harness = Harness(mode, retry=RetryPolicy(max_attempts=3, backoff_initial=0, jitter=0))
    with pytest.raises(ServerError):
        await harness.request("GET", "items")
    # Three 503s end it (max_attempts), whatever the 429s between them.
    assert route.call_count == 6


async def test_a_429_saying_retry_at_once_still_backs_off(mode: str, api: respx.MockRouter) -> None:
    api.get("/items").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "0"}),
            httpx.Response(429),
            httpx.Response(200, json=[1]),
        ]
    )
    policy = RetryPolicy(backoff_initial=1.0, jitter=0.0)
    harness = Harness(mode, retry=policy)
    await harness.request("GET", "items")
    assert harness.waits == [1.0, 2.0]


async def test_no_retry_policy_sends_a_rate_limited_request_once(
    mode: str, api: respx.MockRouter
) -> None:
    route = api.get("/items").mock(return_value=httpx.Response(429, headers={"Retry-After": "1"}))
    with pytest.raises(RateLimitError):
        await Harness(mode, retry=RetryPolicy.none()).request("GET", "items")
    assert route.call_count == 1


async def test_every_attempt_is_numbered_for_the_transport(
    mode: str, api: respx.MockRouter
) -> None:
    seen: list[object] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions.get(ATTEMPT_EXTENSION))
        return httpx.Response(503) if len(seen) < 3 else httpx.Response(200, json=[1])

    api.get("/items").mock(side_effect=answer)
    await Harness(mode).request("GET", "items")
    assert seen == [1, 2, 3]


async def test_a_write_declared_idempotent_is_retried_after_a_timeout(
    mode: str, api: respx.MockRouter
) -> None:
    route = api.post("/balances/set").mock(
        side_effect=[httpx.ReadTimeout("slow"), httpx.Response(200, json={})]
    )
    await Harness(mode).request("POST", "balances/set", idempotent=True)
    assert route.call_count == 2


async def test_a_put_declared_non_idempotent_is_not_retried(
    mode: str, api: respx.MockRouter
) -> None:
    route = api.put("/ledger").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(WriteOutcomeUnknown):
        await Harness(mode).request("PUT", "ledger", idempotent=False)
    assert route.call_count == 1


# -- pure decisions -------------------------------------------------------------------------


def _response(method: str, status: int, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, headers=headers, request=httpx.Request(method, BASE))


@pytest.mark.parametrize(
    ("method", "status", "headers", "expected"),
    [
        ("GET", 503, {}, True),
        ("GET", 429, {}, True),
        ("GET", 500, {}, True),
        ("GET", 408, {}, True),
        ("GET", 404, {}, False),
        ("POST", 429, {}, True),
        ("POST", 503, {}, False),
        ("POST", 503, {"Retry-After": "1"}, True),
        ("POST", 502, {"Retry-After": "1"}, False),
        ("POST", 500, {}, False),
    ],
)
def test_should_retry_response(
    method: str, status: int, headers: dict[str, str], expected: bool
) -> None:
    response = _response(method, status, headers)
    decision = should_retry_response(RetryPolicy(), response, idempotent=is_idempotent(method))
    assert decision is expected


def test_retry_statuses_are_configurable() -> None:
    policy = RetryPolicy(retry_statuses=frozenset({500}))
    assert should_retry_response(policy, _response("GET", 500), idempotent=True)
    assert not should_retry_response(policy, _response("GET", 503), idempotent=True)


@pytest.mark.parametrize(
    ("error", "idempotent", "expected"),
    [
        (httpx.ConnectError("x"), False, True),
        (httpx.ConnectTimeout("x"), False, True),
        (httpx.PoolTimeout("x"), False, True),
        (httpx.ReadTimeout("x"), False, False),
        (httpx.WriteTimeout("x"), False, False),
        (httpx.ReadError("x"), False, False),
        (httpx.RemoteProtocolError("x"), False, False),
        (httpx.ReadTimeout("x"), True, True),
        (httpx.ReadError("x"), True, True),
        (httpx.RemoteProtocolError("x"), True, True),
        (ValueError("not a transport error"), True, False),
    ],
)
def test_should_retry_exception(error: Exception, idempotent: bool, expected: bool) -> None:
    assert should_retry_exception(error, idempotent=idempotent) is expected


def test_never_sent_covers_only_failures_before_sending() -> None:
    assert never_sent(httpx.ConnectError("x"))
    assert never_sent(httpx.ConnectTimeout("x"))
    assert not never_sent(httpx.ReadTimeout("x"))
    assert not never_sent(httpx.WriteTimeout("x"))


@pytest.mark.parametrize(
    ("method", "override", "expected"),
    [
        ("GET", None, True),
        ("get", None, True),
        ("PUT", None, True),
        ("DELETE", None, True),
        ("POST", None, False),
        ("PATCH", None, False),
        ("POST", True, True),
        ("PUT", False, False),
    ],
)
def test_is_idempotent(method: str, override: bool | None, expected: bool) -> None:
    assert is_idempotent(method, override) is expected


def test_retry_policy_none_allows_one_attempt() -> None:
    assert RetryPolicy.none().max_attempts == 1


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("2", 2.0),
        (" 7 ", 7.0),
        ("0", 0.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("nan", None),
        ("inf", None),
        ("Mon, 32 Jan 2024 00:00:00 GMT", None),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_parse_retry_after_http_date_uses_the_given_now() -> None:
    now = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Wed, 01 May 2024 12:00:30 GMT", now=lambda: now) == 30.0
    # A date without a zone (`-0000`) is taken as UTC.
    assert parse_retry_after("Wed, 01 May 2024 12:01:00 -0000", now=lambda: now) == 60.0
    assert parse_retry_after("Wed, 01 May 2024 14:00:10 +0200", now=lambda: now) == 10.0
    assert parse_retry_after("Wed, 01 May 2024 11:00:00 GMT", now=lambda: now) == 0.0


def test_wait_seconds_prefers_a_capped_retry_after_to_backoff() -> None:
    policy = RetryPolicy(retry_after_cap=10.0, jitter=0.0, backoff_initial=0.5)
    assert wait_seconds(policy, 3, _response("GET", 503, {"Retry-After": "4"})) == 4.0
    assert wait_seconds(policy, 3, _response("GET", 503, {"Retry-After": "400"})) == 10.0
    assert wait_seconds(policy, 3, _response("GET", 503)) == 2.0
    assert wait_seconds(policy, 3, None) == 2.0


# -- properties -----------------------------------------------------------------------------


@given(st.one_of(st.none(), st.text(max_size=40)))
def test_parse_retry_after_never_raises_and_is_never_negative(header: str | None) -> None:
    seconds = parse_retry_after(header)
    assert seconds is None or 0.0 <= seconds < float("inf")


@given(st.integers(min_value=0, max_value=10**9))
def test_parse_retry_after_reads_delta_seconds_exactly(seconds: int) -> None:
    assert parse_retry_after(str(seconds)) == float(seconds)


@given(
    now=st.datetimes(
        min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    delay=st.integers(min_value=0, max_value=10**7),
)
def test_parse_retry_after_http_date_round_trips(now: datetime, delay: int) -> None:
    now = now.replace(microsecond=0)
    header = http_date(now + timedelta(seconds=delay))
    assert parse_retry_after(header, now=lambda: now) == float(delay)


@given(
    initial=st.floats(min_value=0.0, max_value=60.0),
    maximum=st.floats(min_value=0.0, max_value=600.0),
    jitter=st.floats(min_value=0.0, max_value=1.0),
    attempt=st.integers(min_value=1, max_value=200),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_backoff_stays_within_its_jitter_band(
    initial: float, maximum: float, jitter: float, attempt: int, seed: int
) -> None:
    policy = RetryPolicy(backoff_initial=initial, backoff_max=maximum, jitter=jitter)
    wait = backoff_seconds(policy, attempt, random.Random(seed))
    base = min(maximum, initial * 2.0 ** (attempt - 1))
    tolerance = 1e-9 * max(1.0, base)
    assert wait >= 0.0
    assert base * (1 - jitter) - tolerance <= wait <= base * (1 + jitter) + tolerance
    assert wait <= maximum * (1 + jitter) + tolerance


@given(
    header=st.one_of(st.none(), st.integers(min_value=0, max_value=10**6).map(str)),
    cap=st.floats(min_value=0.0, max_value=120.0),
    attempt=st.integers(min_value=1, max_value=20),
)
def test_wait_never_exceeds_the_cap_when_the_vendor_hints(
    header: str | None, cap: float, attempt: int
) -> None:
    policy = RetryPolicy(retry_after_cap=cap)
    response = _response("GET", 503, {} if header is None else {"Retry-After": header})
    wait = wait_seconds(policy, attempt, response, random.Random(0))
    assert wait >= 0.0
    if header is not None:
        assert wait == min(float(header), cap)
