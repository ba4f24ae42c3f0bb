"""The Zeitstrom SDK against a mock transport: every method, sync and async alike."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest

from balance_gateway.adapters._core.errors import (
    AuthenticationError,
    NotFoundError,
    PaginationError,
    PermissionDeniedError,
    RequestValidationError,
    ValidationError,
    WriteOutcomeUnknown,
)
from balance_gateway.adapters._core.retry import RetryPolicy
from balance_gateway.adapters.zeitstrom import AsyncClient, Client, QuoteMode, Source

BASE = "https://api.zeitstrom.com"
TOKEN = "zeitstrom-test-token"
ANNA = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
LIST = "/api/v2/timestamps/absence-transactions/"
AGG = LIST + "aggregate/"
FAST_RETRY = RetryPolicy(max_attempts=3, backoff_initial=0, jitter=0)

Handler = Callable[[httpx.Request], httpx.Response]


def tx(id_: str = "t1", amount: float = 30.0, source: str = "repeating-rule") -> dict[str, Any]:
    return {
        "id": id_,
        "employee_id": ANNA,
        "label": "Annual vacation entitlement 2024",
        "missing_type": "holiday",
        "date": "2024-01-01",
        "amount": amount,
        "source": source,
    }


class Recorder:
    """A mock vendor: answers with `handler`, remembers every request."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)


async def call(
    mode: str, recorder: Recorder, name: str, *args: Any, retry: RetryPolicy | None = None,
    **kwargs: Any,
) -> Any:  # fmt: skip
    """Run SDK method `name` through the sync or the async client; lists iterators."""
    transport = httpx.MockTransport(recorder)
    policy = retry or RetryPolicy.none()
    if mode == "sync":
        with Client(
            BASE, token=TOKEN, transport=transport, retry=policy, sleep=lambda s: None
        ) as c:
            result = getattr(c, name)(*args, **kwargs)
            return list(result) if name.startswith("iter_") else result

    async def no_sleep(seconds: float) -> None:
        return None

    async with AsyncClient(
        BASE, token=TOKEN, transport=transport, retry=policy, sleep=no_sleep
    ) as ac:
        if name.startswith("iter_"):
            return [item async for item in getattr(ac, name)(*args, **kwargs)]
        return await getattr(ac, name)(*args, **kwargs)


def ok(body: Any, status: int = 200) -> Handler:
    return lambda request: httpx.Response(status, json=body)


def query(request: httpx.Request) -> dict[str, str]:
    return dict(request.url.params)


async def test_list_sends_every_filter_and_parses_decimals(mode: str) -> None:
    rec = Recorder(ok({"count": 1, "next": None, "previous": None, "results": [tx()]}))
    page = await call(
        mode, rec, "list_transactions",
        employee_ids=[ANNA, "b2"], daterange=(date(2024, 1, 1), "2024-12-31"),
        sources=[Source.MANUAL, "absence"], quote_mode=QuoteMode.QUOTA, limit=50, offset=100,
    )  # fmt: skip
    (request,) = rec.requests
    assert request.method == "GET"
    assert request.url.path == LIST
    assert request.headers["Authorization"] == f"Token {TOKEN}"
    assert query(request) == {
        "employee_ids": f"{ANNA}|b2",
        "daterange": "2024-01-01|2024-12-31",
        "sources": "manual,absence",
        "quote_mode": "quota",
        "limit": "50",
        "offset": "100",
    }
    assert page.count == 1
    assert page.results[0].amount == Decimal("30.0")
    assert isinstance(page.results[0].amount, Decimal)
    assert page.results[0].date == date(2024, 1, 1)


async def test_list_without_filters_sends_no_query(mode: str) -> None:
    rec = Recorder(ok({"count": 0, "results": []}))
    page = await call(mode, rec, "list_transactions")
    assert query(rec.requests[0]) == {}
    assert page.next is None
    assert page.results == []


async def test_iter_walks_next_links_with_our_own_base_url(mode: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params.get("offset", "0"))
        following = (
            # An absolute link on another host: only its query may be used.
            f"https://elsewhere.example/x/?employee_ids={ANNA}&limit=2&offset={offset + 2}"
            if offset < 4
            else None
        )
        results = [tx(f"t{offset + i}") for i in range(2 if offset < 4 else 1)]
        return httpx.Response(200, json={"count": 5, "next": following, "results": results})

    rec = Recorder(handler)
    items = await call(mode, rec, "iter_transactions", employee_ids=[ANNA], limit=2)
    assert [t.id for t in items] == ["t0", "t1", "t2", "t3", "t4"]
    assert [r.url.host for r in rec.requests] == ["api.zeitstrom.com"] * 3
    assert [r.url.path for r in rec.requests] == [LIST] * 3
    assert [query(r) for r in rec.requests][1:] == [
        {"employee_ids": ANNA, "limit": "2", "offset": "2"},
        {"employee_ids": ANNA, "limit": "2", "offset": "4"},
    ]


async def test_iter_refuses_a_next_link_loop(mode: str) -> None:
    body = {"count": 9, "next": f"{BASE}{LIST}?offset=1", "results": [tx()]}
    rec = Recorder(ok(body))
    with pytest.raises(PaginationError):
        await call(mode, rec, "iter_transactions")
    assert len(rec.requests) == 2


async def test_create_sends_the_seed_body_and_returns_the_transaction(mode: str) -> None:
    created = {**tx("new-1", 5.0, "manual"), "label": "Carryover from 2023"}
    rec = Recorder(ok(created, 201))
    result = await call(
        mode, rec, "create_transaction",
        employee_id=ANNA, label="Carryover from 2023", missing_type="holiday",
        date=date(2024, 1, 1), amount=Decimal("5.0"),
    )  # fmt: skip
    (request,) = rec.requests
    assert (request.method, request.url.path) == ("POST", LIST)
    assert json.loads(request.content) == {
        "employee_id": ANNA,
        "label": "Carryover from 2023",
        "missing_type": "holiday",
        "date": "2024-01-01",
        "amount": 5.0,
    }
    assert result.id == "new-1"
    assert result.source == "manual"
    assert result.amount == Decimal("5")


async def test_create_sends_fractional_days_exactly(mode: str) -> None:
    rec = Recorder(ok(tx("n", 0.1, "manual"), 201))
    result = await call(
        mode, rec, "create_transaction",
        employee_id=ANNA, missing_type="holiday", date="2024-01-01", amount="0.1",
    )  # fmt: skip
    assert b'"amount":0.1' in rec.requests[0].content.replace(b" ", b"")
    assert "label" not in json.loads(rec.requests[0].content)
    assert result.amount == Decimal("0.1")


async def test_update_puts_the_full_body_to_the_id_path(mode: str) -> None:
    rec = Recorder(ok({**tx("t1t1", 7.0, "manual"), "label": "Updated carryover from 2023"}))
    result = await call(
        mode, rec, "update_transaction", "t1t1t1t1-t2t2-t3t3-t4t4-t5t5t5t5t5t5",
        employee_id=ANNA, label="Updated carryover from 2023", missing_type="holiday",
        date="2024-01-01", amount=7,
    )  # fmt: skip
    (request,) = rec.requests
    assert request.method == "PUT"
    assert request.url.path == LIST + "t1t1t1t1-t2t2-t3t3-t4t4-t5t5t5t5t5t5/"
    assert json.loads(request.content)["amount"] == 7.0
    assert result.amount == Decimal("7")


async def test_delete_sends_delete_to_the_id_path(mode: str) -> None:
    rec = Recorder(lambda r: httpx.Response(204))
    assert await call(mode, rec, "delete_transaction", "t1t1") is None
    assert (rec.requests[0].method, rec.requests[0].url.path) == ("DELETE", LIST + "t1t1/")


async def test_aggregate_balances_asks_for_net_and_parses_it(mode: str) -> None:
    row = {
        "employee_id": ANNA, "missing_type": "holiday",
        "credited": 30.0, "debited": 8.5, "balance": 21.5,
    }  # fmt: skip
    rec = Recorder(ok({"count": 1, "results": [row]}))
    result = await call(mode, rec, "aggregate_balances", employee_ids=[ANNA])
    assert rec.requests[0].url.path == AGG
    assert query(rec.requests[0]) == {"employee_ids": ANNA, "balance": "true"}
    assert result.results[0].balance == Decimal("21.5")


async def test_aggregate_totals_asks_for_gross_and_parses_aliases(mode: str) -> None:
    totals = {"manual": 1.0, "absence": 8.0, "one-time-rule": 2.0, "repeating-rule": 30.0}
    row = {"employee_id": ANNA, "missing_type": "holiday", "totals": totals}
    rec = Recorder(ok({"count": 1, "results": [row]}))
    result = await call(mode, rec, "aggregate_totals")
    assert query(rec.requests[0]) == {"balance": "false"}
    assert result.results[0].totals.one_time_rule == Decimal("2")
    assert result.results[0].totals.repeating_rule == Decimal("30")


WRITE = {"employee_id": ANNA, "missing_type": "holiday", "date": "2024-01-01", "amount": 1}

REFUSED: list[tuple[str, tuple[Any, ...], dict[str, Any], str]] = [
    ("create_transaction", (), {**WRITE, "amount": -1}, "amount"),
    ("create_transaction", (), {**WRITE, "amount": float("nan")}, "amount"),
    ("create_transaction", (), {**WRITE, "amount": float("inf")}, "amount"),
    ("create_transaction", (), {**WRITE, "amount": "Infinity"}, "amount"),
    ("create_transaction", (), {**WRITE, "amount": "five"}, "amount"),
    ("create_transaction", (), {**WRITE, "amount": True}, "amount"),
    ("create_transaction", (), {**WRITE, "amount": Decimal("0.12345678901234567890")}, "amount"),
    ("create_transaction", (), {**WRITE, "date": "2024-02-30"}, "date"),
    ("create_transaction", (), {**WRITE, "date": "01.01.2024"}, "date"),
    ("create_transaction", (), {**WRITE, "employee_id": ""}, "employee_id"),
    ("create_transaction", (), {**WRITE, "missing_type": " "}, "missing_type"),
    ("update_transaction", ("t1",), {**WRITE, "amount": -0.5}, "amount"),
    ("update_transaction", ("a/b",), WRITE, "transaction_id"),
    ("update_transaction", ("",), WRITE, "transaction_id"),
    ("delete_transaction", ("../x",), {}, "transaction_id"),
    ("delete_transaction", ("x?y",), {}, "transaction_id"),
    ("list_transactions", (), {"daterange": ("2024-12-31", "2024-01-01")}, "daterange"),
    ("list_transactions", (), {"daterange": ("2024-01-01", "2024-13-01")}, "daterange"),
    ("list_transactions", (), {"daterange": "2024-01-01|2024-12-31"}, "daterange"),
    ("list_transactions", (), {"sources": ["manual", "bonus"]}, "sources"),
    ("list_transactions", (), {"sources": []}, "sources"),
    ("list_transactions", (), {"quote_mode": "quotas"}, "quote_mode"),
    ("list_transactions", (), {"limit": 1001}, "limit"),
    ("list_transactions", (), {"limit": 0}, "limit"),
    ("list_transactions", (), {"offset": -1}, "offset"),
    ("list_transactions", (), {"employee_ids": []}, "employee_ids"),
    ("list_transactions", (), {"employee_ids": ["a|b"]}, "employee_ids[0]"),
    ("iter_transactions", (), {"quote_mode": "none"}, "quote_mode"),
    ("aggregate_balances", (), {"employee_ids": ["a", ""]}, "employee_ids[1]"),
]


@pytest.mark.parametrize(("name", "args", "kwargs", "field"), REFUSED)
async def test_client_side_checks_name_the_field_and_send_nothing(
    mode: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any], field: str
) -> None:
    rec = Recorder(ok({}))
    with pytest.raises(RequestValidationError) as caught:
        await call(mode, rec, name, *args, **kwargs)
    assert caught.value.field == field
    assert rec.requests == []


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (400, {"amount": ["Ensure this value is greater than or equal to 0."]}, ValidationError),
        (401, {"detail": "Invalid token."}, AuthenticationError),
        (403, {"detail": "Only manual transactions."}, PermissionDeniedError),
        (404, {"detail": "Not found."}, NotFoundError),
    ],
)
async def test_error_answers_map_to_typed_errors_with_the_body(
    mode: str, status: int, body: Any, error: type[Exception]
) -> None:
    rec = Recorder(ok(body, status))
    with pytest.raises(error) as caught:
        await call(mode, rec, "delete_transaction", "t2")
    assert getattr(caught.value, "body", None) == body
    assert TOKEN not in str(caught.value)


async def test_a_post_answered_500_is_outcome_unknown_and_never_resent(mode: str) -> None:
    rec = Recorder(ok({"detail": "boom"}, 500))
    with pytest.raises(WriteOutcomeUnknown):
        await call(mode, rec, "create_transaction", retry=FAST_RETRY, **WRITE)
    assert len(rec.requests) == 1


async def test_a_post_dropped_after_sending_is_outcome_unknown(mode: str) -> None:
    def drop(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("connection reset", request=request)

    rec = Recorder(drop)
    with pytest.raises(WriteOutcomeUnknown):
        await call(mode, rec, "create_transaction", retry=FAST_RETRY, **WRITE)
    assert len(rec.requests) == 1


async def test_reads_and_deletes_are_retried_on_503(mode: str) -> None:
    answers = iter([httpx.Response(503), httpx.Response(204)])
    rec = Recorder(lambda r: next(answers))
    await call(mode, rec, "delete_transaction", "t9", retry=FAST_RETRY)
    assert len(rec.requests) == 2


@pytest.mark.parametrize("token", [None, ""])
def test_a_token_is_required(token: str | None) -> None:
    with pytest.raises(RequestValidationError) as caught:
        Client(token=token)
    assert caught.value.field == "token"
    with pytest.raises(RequestValidationError):
        AsyncClient(token=token)
