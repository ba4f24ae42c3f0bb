"""Turning a real exchange into a fixture, with every secret scrubbed out."""

from __future__ import annotations

import json
from typing import Any

import httpx

from balance_gateway.adapters._core.secrets import MASK, scrub
from balance_gateway.contracts._harness.fixture import Fixture, Provenance

_SECRET_FIELDS = frozenset({"token", "password", "apikey", "api_key", "secret", "authorization"})


def _scrub_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: (MASK if str(k).lower() in _SECRET_FIELDS else _scrub_value(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_scrub_value(v) for v in value]
    if isinstance(value, str):
        return scrub(value)
    return value


def fixture_from_exchange(
    response: httpx.Response, *, provenance: Provenance, source: str, description: str
) -> Fixture:
    """A fixture recording `response` and its request; request headers are never kept, and
    secret-named fields and registered secret values are masked in both bodies."""
    request = response.request
    try:
        request_json = json.loads(request.content) if request.content else None
    except ValueError:
        request_json = None
    try:
        response_json = response.json() if response.content else None
    except ValueError:
        response_json = None
    return Fixture.model_validate(
        {
            "provenance": provenance,
            "source": source,
            "description": description,
            "request": {
                "method": request.method,
                "path": request.url.path,
                "query": dict(request.url.params.multi_items()),
                "json": _scrub_value(request_json),
            },
            "response": {"status": response.status_code, "json": _scrub_value(response_json)},
        }
    )
