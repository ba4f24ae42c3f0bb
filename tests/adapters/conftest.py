"""Fixtures every adapter and SDK test shares."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    """ "sync" or "async": a test taking `mode` runs once against each client (see
    `tests.adapters.sync_async` for the helpers that send through either)."""
    return str(request.param)
