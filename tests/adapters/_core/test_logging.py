"""Request logging costs nothing when nothing is shown, and masks secrets when it is."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
import structlog

from balance_gateway.adapters._core.logging import log_enabled, log_event
from balance_gateway.adapters._core.secrets import register_secret


@pytest.fixture
def printed() -> Iterator[io.StringIO]:
    out = io.StringIO()
    yield out
    structlog.reset_defaults()


def _configure(out: io.StringIO, level: int) -> None:
    structlog.configure(
        processors=[structlog.processors.KeyValueRenderer()],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=out),
    )


def test_at_warning_a_request_event_is_neither_shown_nor_prepared(printed: io.StringIO) -> None:
    _configure(printed, logging.WARNING)
    assert not log_enabled()
    log_event("http.request", method="GET", path="/x")
    assert printed.getvalue() == ""


def test_at_info_a_request_event_is_shown_with_secrets_masked(printed: io.StringIO) -> None:
    register_secret("tok-very-secret-1234")
    _configure(printed, logging.INFO)
    assert log_enabled()
    log_event("http.request", method="GET", path="/x/tok-very-secret-1234", token="abc")
    text = printed.getvalue()
    assert "event='http.request'" in text
    assert "tok-very-secret-1234" not in text
    assert "abc" not in text


def test_unconfigured_it_follows_the_stdlib_logger(caplog: pytest.LogCaptureFixture) -> None:
    structlog.reset_defaults()
    assert not structlog.is_configured()
    with caplog.at_level(logging.DEBUG, logger="balance_gateway.http"):
        assert log_enabled()
        log_event("http.request", method="GET", path="/y")
    assert "http.request method=GET path=/y" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="balance_gateway.http"):
        assert not log_enabled()
        log_event("http.request", method="GET", path="/z")
    assert caplog.text == ""
