"""When a request may be sent again, and how long to wait first.

Pure decisions, shared by the sync and async clients; tenacity runs the loop.

- Idempotent requests (GET, HEAD, PUT, DELETE, and writes a vendor documents as absolute) are
  retried on connect errors, timeouts, dropped connections, 408, 429 and every 5xx, as the
  Stainless SDKs (anthropic, openai) do.
- Non-idempotent requests (POST, PATCH by default) are retried only when the request surely
  did not reach the server (connect error, pool timeout) or the server said it did nothing
  (429, or 503 with Retry-After). Any other failure after sending means the outcome is unknown.
- `Retry-After` (seconds or an HTTP date) is honoured up to `retry_after_cap`; otherwise the wait
  is exponential with jitter (also for a 429 whose `Retry-After` is 0: never a tight loop).
- Budgets: the whole loop stays within `max_total_seconds` (waits included). `max_attempts`
  bounds the attempts that failed for other reasons than a rate limit; a 429 says the vendor
  did nothing and when to come back, so it is retried for as long as the time budget lasts
  (or `rate_limit_attempts`, when set). Slowing the whole system down is the engine's part
  (`gateway.budget`).
- Each attempt is numbered in the request's extensions (`ATTEMPT_EXTENSION`, 1 for the first),
  so that a transport below the client can tell a retry from a new request.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

# `request.extensions[ATTEMPT_EXTENSION]`: the attempt number (1-based) the client is sending.
ATTEMPT_EXTENSION = "balance_gateway.attempt"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({408, 429, *range(500, 600)})

# Exceptions raised before a single byte of the request left: safe to resend anything.
NOT_SENT_ERRORS: tuple[type[Exception], ...] = (httpx.ConnectError, httpx.PoolTimeout)
# ConnectTimeout subclasses TimeoutException: check it before the broader timeout family.
_CONNECT_TIMEOUT: tuple[type[Exception], ...] = (httpx.ConnectTimeout,)


@dataclass(frozen=True)
class RetryPolicy:
    """Budgets for retrying one request. The defaults suit an interactive sync.

    `max_attempts` counts attempts that failed for any retriable reason but a rate limit;
    `rate_limit_attempts` those answered 429 (None: as many as `max_total_seconds` allows);
    `max_total_seconds` bounds the whole request, waits included.
    """

    max_attempts: int = 4
    max_total_seconds: float = 60.0
    backoff_initial: float = 0.5
    backoff_max: float = 8.0
    jitter: float = 0.5
    retry_after_cap: float = 30.0
    retry_statuses: frozenset[int] = field(default=RETRY_STATUSES)
    rate_limit_attempts: int | None = None

    @classmethod
    def none(cls) -> RetryPolicy:
        """Send once, never retry (not even a 429)."""
        return cls(max_attempts=1, rate_limit_attempts=1)


def budget_spent(
    policy: RetryPolicy,
    *,
    rate_limited: int,
    other: int,
    last_rate_limited: bool,
    elapsed: float,
    upcoming: float,
) -> bool:
    """Whether to give up rather than wait `upcoming` seconds and try again, after `elapsed`
    seconds, `rate_limited` attempts answered 429 and `other` attempts that failed otherwise
    (the last one counted in its kind, `last_rate_limited`)."""
    if elapsed + upcoming > policy.max_total_seconds:
        return True
    if last_rate_limited:
        limit = policy.rate_limit_attempts
        return limit is not None and rate_limited >= limit
    return other >= policy.max_attempts


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
    """How long to wait before the next attempt: the vendor's Retry-After, capped, else backoff
    (also for a 429 that says to come back at once: retried at once, it would storm)."""
    if response is not None:
        hinted = parse_retry_after(response.headers.get("retry-after"))
        if hinted is not None and (hinted > 0 or response.status_code != 429):
            return min(hinted, policy.retry_after_cap)
    return backoff_seconds(policy, attempt, rng)


Clock = Callable[[], float]
monotonic: Clock = time.monotonic
