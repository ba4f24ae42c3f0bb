"""Fixtures for every adapter test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog


@pytest.fixture(autouse=True)
def _structlog_left_as_found() -> Iterator[None]:
    """Leave structlog unconfigured when a test found it so.

    `structlog.testing.capture_logs` (and `structlog.configure`) mark structlog as configured
    for the rest of the process; from then on every `http.request` event goes to structlog's
    default printer on stdout, where it spills into anything a later test reads from stdout
    (a command's `--json` output, say).
    """
    was_configured = structlog.is_configured()
    yield
    if not was_configured:
        structlog.reset_defaults()
