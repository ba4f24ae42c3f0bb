"""Test-wide set-up: `--runslow` runs the long campaigns marked `slow`; a test that leaves a
resource open fails by name; structlog is reset; the state store fixtures (`postgres_url`,
`state_url`: SQLite and PostgreSQL) of the engine tests."""

from __future__ import annotations

import gc
import sys
import warnings
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
import structlog

# pytest's import mode leaves the repository root off sys.path when run as `pytest`;
# the shared test helpers are imported from it as `tests.<folder>.<module>`.
_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.gateway.stores import postgres_schema  # noqa: E402 (needs the root on sys.path)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", default=False, help="run slow tests")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--runslow"):
        return
    skip_slow = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)


def left_open() -> list[str]:
    """The ResourceWarnings of what became garbage since the last call (sockets, clients,
    processes nobody closed), collected now; what survives is set aside (`gc.freeze`), so
    that the next call looks only at what was made after this one (a full collection per
    test would make the suite several times slower)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        gc.collect()
    gc.freeze()
    return sorted({str(w.message) for w in caught if issubclass(w.category, ResourceWarning)})


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    """A client, socket or process a test leaves open fails that test, by name.

    Under `filterwarnings = error` a ResourceWarning otherwise surfaces wherever the garbage
    collector happens to run, as an error of some later, unrelated test."""
    result = yield
    leaked = left_open()
    if leaked:
        raise AssertionError(f"{item.nodeid} left open: " + "; ".join(leaked))
    return result


@pytest.fixture(autouse=True)
def _structlog_reset() -> Iterator[None]:
    """Every test starts and ends with structlog unconfigured.

    `capture_logs`, and the CLI's own logging set-up, configure structlog for the whole process:
    left behind, they would filter or redirect the events a later test captures, or print them
    into a later command's `--json` output.
    """
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


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


# `pytester` runs users' test files (the pytest plugin's tests).
pytest_plugins = ["pytester"]
