"""Structured request logging with secrets kept out.

Each request attempt logs one event (`http.request`) with method, path, status, attempt and
duration. Headers and bodies are never logged, and every string that is logged passes through
`scrub`, which masks any credential a client was given.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

import structlog

from balance_gateway.adapters._core.secrets import scrub

LOGGER_NAME = "balance_gateway.http"
# A library must not print unless asked: until the application configures structlog, events go
# to the stdlib logger (silent by default, at DEBUG) instead of structlog's default printer.
_stdlib_logger = logging.getLogger(LOGGER_NAME)
logger = structlog.get_logger(LOGGER_NAME)

_SECRET_KEYS = frozenset(
    {"authorization", "cookie", "set-cookie", "token", "api_key", "apikey", "password", "secret"}
)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {
            k: ("***" if str(k).lower() in _SECRET_KEYS else _clean(v)) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(_clean(v) for v in value)
    return value


def redact_secrets(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A structlog processor: masks secret-named keys and any registered secret value."""
    for key in list(event_dict):
        event_dict[key] = "***" if key.lower() in _SECRET_KEYS else _clean(event_dict[key])
    return event_dict


def log_enabled() -> bool:
    """Whether `log_event` would emit an event now: structlog configured with a level that
    lets INFO through (a wrapper that cannot say: yes), or else the stdlib logger at DEBUG.
    A caller with fields to compute per request asks first, so that a sync logging nothing
    pays nothing for them (the CLI's default level is WARNING)."""
    if not structlog.is_configured():
        return _stdlib_logger.isEnabledFor(logging.DEBUG)
    wrapper = structlog.get_config().get("wrapper_class")
    check = getattr(wrapper, "is_enabled_for", None)
    if check is None:
        return True
    try:  # structlog's filtering loggers decide by level alone, on the class
        return bool(check(wrapper, logging.INFO))
    except Exception:  # a wrapper of another kind: let it decide when logging
        return True


def log_event(event: str, **fields: Any) -> None:
    """Emit one structured event, secrets masked, through structlog if the application
    configured it, otherwise through the stdlib logger at DEBUG (nothing, and no masking
    work, when neither would show it: `log_enabled`)."""
    if not log_enabled():
        return
    cleaned = redact_secrets(None, "info", dict(fields))
    if structlog.is_configured():
        logger.info(event, **cleaned)
    else:
        rendered = " ".join(f"{key}={value}" for key, value in cleaned.items())
        _stdlib_logger.debug("%s %s", event, rendered)
