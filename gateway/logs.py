"""Logging for the command line: structured events on stderr, secrets masked.

stdout belongs to results (tables, `--json`), so log events never go there. The default
level shows warnings only; `--verbose` shows one event per HTTP request.
"""

from __future__ import annotations

import logging
import sys

import structlog

from balance_gateway.adapters._core.logging import redact_secrets


def configure_logging(verbose: bool = False) -> None:
    """Send structlog events to stderr, at INFO with `verbose`, else WARNING."""
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact_secrets,
            structlog.dev.ConsoleRenderer(colors=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.INFO if verbose else logging.WARNING
        ),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
