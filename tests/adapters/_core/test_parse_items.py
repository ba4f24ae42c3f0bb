"""A list answer's items are validated one at a time, as the walk reaches them (issue 16:
a bulk read holds one wire model at a time, not one per item), and a bad body fails exactly
as a strict parse of the whole body does."""

from __future__ import annotations

from typing import Any

import httpx
import pydantic
import pytest

from balance_gateway.adapters._core.client import SyncAPIClient
from balance_gateway.adapters._core.errors import ResponseParseError, WriteOutcomeUnknown

BASE = "https://api.example.test/v1"


class Item(pydantic.BaseModel):
    id: str
    value: float | None = None


class Envelope(pydantic.BaseModel):
    count: int
    results: list[Item]


def answer(body: Any, method: str = "GET") -> httpx.Response:
    return httpx.Response(200, json=body, request=httpx.Request(method, f"{BASE}/items"))


def test_the_items_are_validated_as_reached_and_walked_once() -> None:
    with SyncAPIClient(base_url=BASE) as client:
        body = {"count": 2, "results": [{"id": "a"}, {"id": "b", "value": 1.5}]}
        rest, items = client.parse_items(answer(body), Envelope, Item)
    assert rest.count == 2
    assert rest.results == []  # the items are apart
    assert len(items) == 2
    assert [(i.id, i.value) for i in items] == [("a", None), ("b", 1.5)]
    assert list(items) == []  # their raw JSON went as they were validated


def test_an_item_that_is_not_one_fails_when_reached_naming_its_place() -> None:
    with SyncAPIClient(base_url=BASE) as client:
        body = {"count": 2, "results": [{"id": "a"}, {"value": 1}]}
        _, items = client.parse_items(answer(body), Envelope, Item)
        walk = iter(items)
        assert next(walk).id == "a"
        with pytest.raises(ResponseParseError, match=r"not a Envelope: results\.1\.id: Field"):
            next(walk)
        # The answer to a write: its outcome is unknown, as for a strict parse.
        _, items = client.parse_items(answer(body, "POST"), Envelope, Item)
        with pytest.raises(WriteOutcomeUnknown, match=r"results\.1\.id"):
            list(items)


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"results": []}, "count"),  # the rest of the envelope is checked at once
        ({"count": 1, "results": "x"}, "results"),  # no list where the items belong
        ([{"id": "a"}], "<body>"),  # not the envelope at all
    ],
)
def test_a_body_that_is_not_the_envelope_fails_at_once_as_parse_does(body: Any, where: str) -> None:
    with SyncAPIClient(base_url=BASE) as client:
        with pytest.raises(ResponseParseError, match="is not a Envelope") as caught:
            client.parse_items(answer(body), Envelope, Item)
        with pytest.raises(ResponseParseError) as strict:
            client.parse(answer(body), Envelope)
    assert where in caught.value.message
    assert caught.value.message == strict.value.message
