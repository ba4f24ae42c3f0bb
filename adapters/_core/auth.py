"""Authentication as `httpx.Auth` flows: one generator serves the sync and async clients.

- `StaticTokenAuth`: a fixed token with the vendor's scheme (`Bearer`, `Token`, or none).
- `BasicAPIKeyAuth`: HTTP Basic with an API key in place of the password.
- `LoginAuth`: exchanges credentials for a token (a login request the vendor documents), caches
  it, renews it before it expires and, once, when a request answers 401.
"""

from __future__ import annotations

import asyncio
import base64
import threading
import weakref
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from balance_gateway.adapters._core.errors import (
    AuthenticationError,
    GatewayError,
    ResponseTooLarge,
    parse_body,
    status_error,
)
from balance_gateway.adapters._core.secrets import Secret, as_secret


class StaticTokenAuth(httpx.Auth):
    """`Authorization: <scheme> <token>`; an empty scheme sends the token as it is."""

    def __init__(self, token: str | Secret, scheme: str = "Bearer") -> None:
        self._token = as_secret(token)
        self._scheme = scheme

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._token.reveal()
        request.headers["Authorization"] = f"{self._scheme} {token}" if self._scheme else token
        yield request


class BasicAPIKeyAuth(httpx.Auth):
    """HTTP Basic where the password is an API key."""

    def __init__(self, username: str, api_key: str | Secret) -> None:
        self._username = username
        self._api_key = as_secret(api_key)
        # The encoded pair is as secret as the key itself: mask it with or without "Basic ".
        pair = f"{username}:{self._api_key.reveal()}".encode()
        encoded = Secret(base64.b64encode(pair).decode("ascii"))
        self._header = Secret("Basic " + encoded.reveal())

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header.reveal()
        yield request


@dataclass(frozen=True)
class TokenGrant:
    """A token obtained by logging in; `header_value` is what goes into `Authorization`."""

    header_value: Secret
    expires_at: datetime | None = None


class LoginError(AuthenticationError):
    """The login exchange itself was refused."""


class LoginAuth(httpx.Auth, ABC):
    """Log in once, reuse the token, renew it on expiry or on one 401.

    Subclasses say how to build the login request and read its response and, by overriding
    `apply_grant`, where the grant goes when it is not the `Authorization` header. Credentials
    live in `Secret`s; nothing here logs or formats them.
    """

    # Bodies are read here, capped (`read_capped`), and only those the flow needs: httpx would
    # read every response of the flow whole, however large (an endless login answer).
    requires_response_body = False
    # Renew a little early so a token does not expire between check and use.
    expiry_margin = timedelta(seconds=60)

    def __init__(self, *, clock: Callable[[], datetime] | None = None) -> None:
        self._grant: TokenGrant | None = None
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        # One lock per event loop: an asyncio.Lock must not cross loops.
        self._async_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self.login_count = 0

    @abstractmethod
    def build_login_request(self, base: httpx.URL) -> httpx.Request:
        """The vendor's login request; `base` is the URL of the request that needs a token."""

    @abstractmethod
    def parse_login_response(self, response: httpx.Response) -> TokenGrant:
        """The grant in a successful login response."""

    @property
    def grant(self) -> TokenGrant | None:
        return self._grant

    def set_grant(self, grant: TokenGrant | None) -> None:
        """Install (or forget, with None) a token, e.g. after an explicit `client.login()`."""
        with self._lock:
            self._grant = grant

    def needs_login(self) -> bool:
        grant = self._grant
        if grant is None:
            return True
        return (
            grant.expires_at is not None and self._clock() >= grant.expires_at - self.expiry_margin
        )

    def accept_login_response(self, response: httpx.Response) -> TokenGrant:
        """Check a login response and cache its grant; raises `LoginError` when refused."""
        if response.status_code >= 400:
            error = status_error(response)
            raise LoginError(
                method=error.method, path=error.path, status_code=error.status_code, body=error.body
            )
        try:
            grant = self.parse_login_response(response)
        except (KeyError, TypeError, ValueError) as exc:
            raise GatewayError(
                f"login answered {response.status_code} without a usable token "
                f"({type(exc).__name__}); body keys: {_keys(parse_body(response))}"
            ) from None
        self.login_count += 1
        self.set_grant(grant)
        return grant

    def apply_grant(self, request: httpx.Request, grant: TokenGrant) -> None:
        """Put `grant` on an outgoing request; by default `Authorization: <header_value>`.

        Override it for a vendor that carries its session elsewhere (a cookie, another header).
        It is called for every authenticated request, and again after a renewal on 401; like
        the rest of this class it must never log or format the secret.
        """
        request.headers["Authorization"] = grant.header_value.reveal()

    def _apply(self, request: httpx.Request) -> TokenGrant:
        grant = self._grant
        assert grant is not None
        self.apply_grant(request, grant)
        return grant

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.needs_login():
            login_response = yield self.build_login_request(request.url)
            read_capped(login_response)
            self.accept_login_response(login_response)
        yield from self._authorised_flow(request, read_capped)

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        # Many requests start at once in the engine: the first logs in, the rest wait for its
        # token instead of each logging in (vendors may revoke a session on a new login).
        if self.needs_login():
            async with self._async_login_lock():
                if self.needs_login():
                    login_response = yield self.build_login_request(request.url)
                    await aread_capped(login_response)
                    self.accept_login_response(login_response)
        flow = self._authorised_flow(request, lambda response: None)
        outgoing = next(flow)
        while True:
            response = yield outgoing
            # Read (capped) what the flow goes on from: a login answer, or a 401 that httpx
            # would read whole before the next request. The final answer is the caller's.
            if outgoing is not request or response.status_code == 401:
                await aread_capped(response)
            try:
                outgoing = flow.send(response)
            except StopIteration:
                return

    def _async_login_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._async_locks.get(loop)
        if lock is None:
            lock = self._async_locks[loop] = asyncio.Lock()
        return lock

    def _authorised_flow(
        self, request: httpx.Request, read: Callable[[httpx.Response], None]
    ) -> Generator[httpx.Request, httpx.Response, None]:
        """The request with the grant; on a 401, one renewal. `read` reads a response the flow
        goes on from (the sync flow reads here; the async one has read it already)."""
        used = self._apply(request)
        response = yield request
        if response.status_code == 401:
            read(response)
            # Renew once: someone else may already have done so while we waited.
            if self._grant is used or self._grant is None:
                login_response = yield self.build_login_request(request.url)
                read(login_response)
                self.accept_login_response(login_response)
            self._apply(request)
            yield request


# The most of an answer an auth flow reads (a login answer, a 401's body).
MAX_AUTH_BODY_BYTES = 1024 * 1024


def _too_large(response: httpx.Response) -> ResponseTooLarge:
    response.close()
    request = response.request
    return ResponseTooLarge(
        f"{request.method} {request.url.path}: the answer is larger than the cap of "
        f"{MAX_AUTH_BODY_BYTES:,} bytes for an authentication answer"
    )


class _AuthBody:
    """An authentication answer's body as it arrives, at most MAX_AUTH_BODY_BYTES."""

    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self._data = bytearray()

    def take(self, chunk: bytes) -> None:
        self._data += chunk
        if len(self._data) > MAX_AUTH_BODY_BYTES:
            raise _too_large(self._response)

    def keep(self) -> None:
        # Where `Response.read()` keeps the body: httpx's own later read of it is then a no-op.
        self._response._content = bytes(self._data)


def read_capped(response: httpx.Response) -> None:
    """Read a streamed response's body, at most MAX_AUTH_BODY_BYTES (`ResponseTooLarge`)."""
    if hasattr(response, "_content"):
        return
    body = _AuthBody(response)
    for chunk in response.iter_bytes():
        body.take(chunk)
    body.keep()


async def aread_capped(response: httpx.Response) -> None:
    """The async twin of `read_capped`."""
    if hasattr(response, "_content"):
        return
    body = _AuthBody(response)
    async for chunk in response.aiter_bytes():
        body.take(chunk)
    body.keep()


def _keys(body: object) -> str:
    return ", ".join(sorted(body)) if isinstance(body, dict) else type(body).__name__
