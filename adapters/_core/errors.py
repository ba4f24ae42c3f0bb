"""The error tree every vendor SDK raises.

    GatewayError
    ├── RequestValidationError   a documented constraint broken; raised before any request
    ├── PaginationError          a paginator saw the same page twice (a server-side loop)
    ├── ResponseParseError       the vendor answered 2xx with a body that is not the
    │   │                        documented JSON (not JSON, hostile, `success: false`, a
    │   │                        shape the wire model rejects)
    │   └── ResponseTooLarge     the answer is larger than the client's size cap
    ├── TransportError           the network failed (connect, timeout, dropped connection)
    │   └── DeadlineExceeded     no complete answer within the request's total deadline
    ├── WriteOutcomeUnknown      a non-idempotent write was sent and its fate is unknown:
    │                            read the target back before trying again
    └── APIStatusError           the vendor answered with an error status
        ├── ValidationError          400
        │   └── UnprocessableError   422
        ├── AuthenticationError      401
        ├── PermissionDeniedError    403
        ├── NotFoundError            404
        ├── ConflictError            409
        ├── RateLimitError           429
        ├── ServerError              5xx
        └── RedirectError            3xx: never followed (a redirect may lead to another host,
                                     and credentials never follow one)

The engine acts on three groups: `retriable` (worth another attempt later: 429, 5xx, network),
fatal (everything else), and `WriteOutcomeUnknown` (resolve by reading back).
Messages never contain a secret: every message passes through `scrub`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx

from balance_gateway.adapters._core.jsonbody import UnreadableJSON, loads_json
from balance_gateway.adapters._core.secrets import scrub


class GatewayError(Exception):
    """Base of every error raised by balance-gateway's SDKs."""

    retriable: ClassVar[bool] = False

    def __init__(self, message: str) -> None:
        self.message = scrub(message)
        super().__init__(self.message)


class RequestValidationError(GatewayError, ValueError):
    """A request breaks a documented constraint; nothing was sent.

    `field` names the offending parameter, so the caller knows what to fix.
    """

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        super().__init__(f"{field}: {problem}")


class PaginationError(GatewayError):
    """A paginator was sent back to a page it had already read."""


class ResponseParseError(GatewayError):
    """A 2xx response whose body does not match the documented shape."""


class ResponseTooLarge(ResponseParseError):
    """The answer's body is larger than the client's cap (`max_response_bytes`)."""


class TransportError(GatewayError):
    """The network failed before a usable response arrived."""

    retriable = True


class DeadlineExceeded(TransportError):
    """No complete answer arrived within the request's total deadline (`deadline`), however
    the server spread it out (a body trickled a byte at a time defeats a per-read timeout)."""


class WriteOutcomeUnknown(GatewayError):
    """A non-idempotent write reached the wire, and whether it took effect is unknown.

    Never retry blindly (a second POST may credit twice): read the target back first.
    """

    def __init__(self, method: str, path: str, reason: str) -> None:
        self.method = method
        self.path = path
        super().__init__(
            f"{method} {path}: the write may or may not have been applied ({reason}); "
            "read the target back before retrying"
        )


def _error_text(body: Any) -> str:
    """The vendor's own message, whatever its dialect calls the field."""
    if isinstance(body, dict):
        for key in ("error", "message", "detail", "errors"):
            if key in body:
                return str(body[key])[:500]
        return str(body)[:500]
    if isinstance(body, str):
        return body[:500]
    return "" if body is None else str(body)[:500]


class APIStatusError(GatewayError):
    """The vendor answered with an error status; `body` holds its parsed error body."""

    status_code: int

    def __init__(self, *, method: str, path: str, status_code: int, body: Any) -> None:
        self.status_code = status_code
        self.method = method
        self.path = path
        self.body = body
        text = _error_text(body)
        super().__init__(f"{method} {path} -> {status_code}" + (f": {text}" if text else ""))


class ValidationError(APIStatusError):
    """400: the vendor rejected the request as malformed."""


class UnprocessableError(ValidationError):
    """422: the vendor rejected the request's values."""


class AuthenticationError(APIStatusError):
    """401: missing, wrong or expired credentials (or, for some vendors, a role failure)."""


class PermissionDeniedError(APIStatusError):
    """403: the credentials lack a permission."""


class NotFoundError(APIStatusError):
    """404: no such resource (or, for some vendors, no right to see it)."""


class ConflictError(APIStatusError):
    """409: the request conflicts with the resource's current state."""


class RateLimitError(APIStatusError):
    """429: too many requests; `retry_after` is the vendor's hint in seconds, if any."""

    retriable = True

    def __init__(
        self, *, method: str, path: str, status_code: int, body: Any, retry_after: float | None
    ) -> None:
        self.retry_after = retry_after
        super().__init__(method=method, path=path, status_code=status_code, body=body)


class ServerError(APIStatusError):
    """5xx: the vendor failed."""

    retriable = True


class RedirectError(APIStatusError):
    """3xx: the vendor answered with a redirect, which is never followed (it may point at
    another host, and credentials must never follow it); `location` is where it pointed."""

    def __init__(self, *, method: str, path: str, status_code: int, body: Any, location: str):
        self.location = location
        super().__init__(method=method, path=path, status_code=status_code, body=None)
        self.body = body
        self.message = scrub(
            f"{method} {path} -> {status_code}: a 3xx answer"
            + (f" (a redirect to {location})" if location else "")
            + ", not followed and not a success: check the system's base_url"
        )
        self.args = (self.message,)


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableError,
}


def parse_body(response: httpx.Response) -> Any:
    """The response body as JSON when it is readable JSON (see `loads_json`), else as text (at
    most 2,000 characters: an error body is for messages, never for more)."""
    try:
        return loads_json(response.content)
    except UnreadableJSON:
        return response.content[:2000].decode("utf-8", errors="replace")


def status_error(
    response: httpx.Response, *, body: Any = None, retry_after: float | None = None
) -> APIStatusError:
    """The typed error for an error response."""
    status = response.status_code
    method = response.request.method
    path = response.request.url.path
    parsed = parse_body(response) if body is None else body
    if status == 429:
        return RateLimitError(
            method=method, path=path, status_code=status, body=parsed, retry_after=retry_after
        )
    if status >= 500:
        return ServerError(method=method, path=path, status_code=status, body=parsed)
    cls = _BY_STATUS.get(status, APIStatusError)
    return cls(method=method, path=path, status_code=status, body=parsed)
