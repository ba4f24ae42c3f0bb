"""The harness itself: matching, request comparison, strict parsing, scrubbing."""

from __future__ import annotations

import httpx
import pytest
from pydantic import BaseModel, ConfigDict

from balance_gateway.adapters._core.secrets import Secret
from balance_gateway.contracts._harness.fixture import Fixture
from balance_gateway.contracts._harness.matching import compare, shape_drift
from balance_gateway.contracts._harness.record import fixture_from_exchange
from balance_gateway.contracts._harness.runner import FixtureTransport, unknown_fields


def _fixture(**overrides: object) -> Fixture:
    data: dict[str, object] = {
        "provenance": "assumed",
        "source": "test",
        "description": "test",
        "request": {"method": "GET", "path": "/things", "query": {"page": "2"}},
        "response": {"status": 200, "json": {"id": 1}},
    }
    data.update(overrides)
    return Fixture.model_validate(data)


def test_compare_reports_missing_unexpected_and_changed_members() -> None:
    problems = compare({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}, {})
    assert "$.b: expected 2, got 3" in problems
    assert any(p.startswith("$.c: unexpected") for p in problems)
    assert compare({"a": 1}, {}, {}) == ["$.a: missing"]


def test_compare_treats_5_and_5_0_as_the_same_number_but_not_a_string() -> None:
    assert compare({"v": 5.0}, {"v": 5}, {}) == []
    assert compare({"v": 5}, {"v": "5"}, {}) != []


def test_matchers_accept_varying_values_of_the_right_kind_only() -> None:
    matchers = {"$.items[*].id": "int", "$.at": "iso-datetime"}
    expected = {"items": [{"id": 1}, {"id": 2}], "at": "2025-01-01T00:00:00Z"}
    assert (
        compare(expected, {"items": [{"id": 7}, {"id": 9}], "at": "2026-11-21T05:00:00Z"}, matchers)
        == []
    )
    problems = compare(expected, {"items": [{"id": "x"}, {"id": 9}], "at": "yesterday"}, matchers)
    assert problems == [
        "$.items[0].id: expected int, got 'x'",
        "$.at: expected iso-datetime, got 'yesterday'",
    ]


def test_shape_drift_separates_additive_from_breaking() -> None:
    additive, breaking = shape_drift(
        {"id": 1, "name": "a", "value": 1.5}, {"id": 2, "value": "1.5", "colour": "red"}
    )
    assert additive == ["$.colour: new member"]
    assert "$.name: missing" in breaking
    assert "$.value: was number, now string" in breaking


def test_fixture_transport_answers_and_reports_a_different_request() -> None:
    fixture = _fixture()
    transport = FixtureTransport(fixture)
    with httpx.Client(transport=transport, base_url="http://x") as client:
        response = client.get("/things", params={"page": "3"})
    assert response.json() == {"id": 1}
    assert transport.problems == ["query: expected {'page': '2'}, sent {'page': '3'}"]


def test_unknown_fields_finds_extras_at_any_depth() -> None:
    class Inner(BaseModel):
        model_config = ConfigDict(extra="allow")
        x: int

    class Outer(BaseModel):
        model_config = ConfigDict(extra="allow")
        inner: list[Inner]

    parsed = Outer.model_validate({"inner": [{"x": 1, "surprise": True}]})
    assert unknown_fields(parsed) == ["result.inner[0].surprise: not a documented field of Inner"]
    assert unknown_fields(Outer.model_validate({"inner": [{"x": 1}]})) == []


@pytest.mark.parametrize("field", ["token", "password", "apiKey"])
def test_recording_masks_secret_fields_and_registered_secrets(field: str) -> None:
    secret = Secret("s3cr3t-value-for-recording")
    request = httpx.Request(
        "POST", "http://x/login", json={field: secret.reveal(), "email": "a@b.c"}
    )
    response = httpx.Response(
        200, json={field: "another-one", "note": f"echo {secret.reveal()}"}, request=request
    )
    fixture = fixture_from_exchange(response, provenance="docs", source="t", description="t")
    text = fixture.model_dump_json(by_alias=True)
    assert secret.reveal() not in text
    assert "another-one" not in text
    assert fixture.request.json_body["email"] == "a@b.c"
