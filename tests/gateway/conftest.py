"""The engine's unit tests import their fakes as `tests.gateway.gateway_fakes`; the state
store fixtures (`postgres_url`, `state_url`: SQLite and PostgreSQL) are here."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# pytest's import mode leaves the repository root off sys.path when run as `pytest`;
# the shared test helpers are imported from it as `tests.<folder>.<module>`.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.gateway.stores import postgres_schema  # noqa: E402 (needs the root on sys.path)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A state store URL on a fresh PostgreSQL schema (skips, or fails in CI, without one)."""
    with postgres_schema() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request: pytest.FixtureRequest) -> str | None:
    """Each engine test twice: with the SQLite file its configuration names (None), and with
    a PostgreSQL store (its URL)."""
    if request.param == "sqlite":
        return None
    url: str = request.getfixturevalue("postgres_url")
    return url
