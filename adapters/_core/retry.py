"""When a request may be sent again, and how long to wait first.

Pure decisions, shared by the sync and async clients; tenacity runs the loop.

- Idempotent requests (GET, HEAD, PUT, DELETE, and writes a vendor documents as absolute) are
  retried on connect errors, timeouts, dropped connections, 408, 429 and every 5xx, as the
  Stainless SDKs (anthropic, openai) do.
- Non-idempotent requests (POST, PATCH by default) are retried only when the request surely
  did not reach the server (connect error, pool timeout) or the server said it did nothing
  (429, or 503 with Retry-After). Any other failure after sending means the outcome is unknown.
- `Retry-After` (seconds or an HTTP date) is honoured up to `retry_after_cap`; otherwise the wait
  is exponential with jitter. The whole loop stays within `max_attempts` and `max_total_seconds`.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({408, 429, *range(500, 600)})

# Exceptions raised before a single byte of the request left: safe to resend anything.
NOT_SENT_ERRORS: tuple[type[Exception], ...] = (httpx.ConnectError, httpx.PoolTimeout)
# ConnectTimeout subclasses TimeoutException: check it before the broader timeout family.
_CONNECT_TIMEOUT: tuple[type[Exception], ...] = (httpx.ConnectTimeout,)


@dataclass(frozen=True)
class RetryPolicy:
    """Budgets for retrying one request. The defaults suit an interactive sync."""

    max_attempts: int = 4
    max_total_seconds: float = 60.0
    backoff_initial: float = 0.5
    backoff_max: float = 8.0
    jitter: float = 0.5
    retry_after_cap: float = 30.0
    retry_statuses: frozenset[int] = field(default=RETRY_STATUSES)

    @classmethod
    def none(cls) -> RetryPolicy:
        """Send once, never retry."""
        return cls(max_attempts=1)


def is_idempotent(method: str, override: bool | None = None) -> bool:
    """Whether sending the request twice has the same effect as once."""
    return override if override is not None else method.upper() in IDEMPOTENT_METHODS


def never_sent(exc: BaseException) -> bool:
    """True when the request surely never reached the server."""
    return isinstance(exc, NOT_SENT_ERRORS + _CONNECT_TIMEOUT)


def parse_retry_after(
    value: str | None, *, now: Callable[[], datetime] | None = None
) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or HTTP date), or None."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        current = now() if now is not None else datetime.now(UTC)
        seconds = (when - current).total_seconds()
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return None
    return max(0.0, seconds)


def should_retry_response(
    policy: RetryPolicy, response: httpx.Response, *, idempotent: bool
) -> bool:
    """Whether an error response is worth another attempt."""
    status = response.status_code
    if status not in policy.retry_statuses:
        return False
    if idempotent:
        return True
    # The server said it did nothing: a rate limit, or an explicit "come back later".
    return status == 429 or (status == 503 and "retry-after" in response.headers)


def should_retry_exception(exc: BaseException, *, idempotent: bool) -> bool:
    """Whether a transport failure is worth another attempt."""
    if not isinstance(exc, httpx.TransportError):
        return False
    if never_sent(exc):
        return True
    return idempotent and isinstance(
        exc, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError
    )


def backoff_seconds(policy: RetryPolicy, attempt: int, rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter for the wait after attempt number `attempt` (1-based)."""
    base = min(policy.backoff_max, policy.backoff_initial * 2.0 ** (attempt - 1))
    spread = base * policy.jitter
    draw: float = (rng or random.Random()).uniform(-spread, spread)
    return max(0.0, base + draw)


def wait_seconds(
    policy: RetryPolicy,
    attempt: int,
    response: httpx.Response | None,
    rng: random.Random | None = None,
) -> float:
    """How long to wait before the next attempt: the vendor's Retry-After, capped, else backoff."""
    if response is not None:
        hinted = parse_retry_after(response.headers.get("retry-after"))
        if hinted is not None:
            return min(hinted, policy.retry_after_cap)
    return backoff_seconds(policy, attempt, rng)


Clock = Callable[[], float]
monotonic: Clock = time.monotonic
