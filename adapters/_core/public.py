"""What every vendor SDK re-exports from the shared core: the error tree, the retry policy and
the client options.

Each vendor package does `from balance_gateway.adapters._core.public import *`, so that an SDK
user writes `from balance_gateway.adapters.bezala import Client, NotFoundError, RetryPolicy`
and never imports a private module.
"""

from balance_gateway.adapters._core.auth import LoginError
from balance_gateway.adapters._core.client import ClientOptions
from balance_gateway.adapters._core.errors import (
    APIStatusError,
    AuthenticationError,
    ConflictError,
    DeadlineExceeded,
    GatewayError,
    NotFoundError,
    PaginationError,
    PermissionDeniedError,
    RateLimitError,
    RedirectError,
    RequestValidationError,
    ResponseParseError,
    ResponseTooLarge,
    ServerError,
    TransportError,
    UnprocessableError,
    ValidationError,
    WriteOutcomeUnknown,
)
from balance_gateway.adapters._core.retry import RetryPolicy
from balance_gateway.adapters._core.secrets import Secret

__all__ = [
    "APIStatusError",
    "AuthenticationError",
    "ClientOptions",
    "ConflictError",
    "DeadlineExceeded",
    "GatewayError",
    "LoginError",
    "NotFoundError",
    "PaginationError",
    "PermissionDeniedError",
    "RateLimitError",
    "RedirectError",
    "RequestValidationError",
    "ResponseParseError",
    "ResponseTooLarge",
    "RetryPolicy",
    "Secret",
    "ServerError",
    "TransportError",
    "UnprocessableError",
    "ValidationError",
    "WriteOutcomeUnknown",
]
