"""Test-wide set-up: `--runslow` runs the long campaigns marked `slow`; structlog is reset."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", default=False, help="run slow tests")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--runslow"):
        return
    skip_slow = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)


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


# `pytester` runs users' test files (the pytest plugin's tests).
pytest_plugins = ["pytester"]
