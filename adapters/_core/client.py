"""Base HTTP clients every vendor SDK builds on.

`BaseClient` holds the pure logic (building requests, deciding retries, mapping errors);
`SyncAPIClient` and `AsyncAPIClient` are the thin I/O loops. Both accept an injected
`httpx.Client`/`httpx.AsyncClient` or transport: that is how tests (respx, MockTransport),
fixtures and in-process emulators (`httpx.ASGITransport`) plug in.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
import pydantic
import tenacity

from balance_gateway import __version__
from balance_gateway.adapters._core.auth import LoginAuth, TokenGrant
from balance_gateway.adapters._core.errors import (
    APIStatusError,
    ResponseParseError,
    TransportError,
    WriteOutcomeUnknown,
    parse_body,
    status_error,
)
from balance_gateway.adapters._core.logging import log_event
from balance_gateway.adapters._core.retry import (
    RetryPolicy,
    is_idempotent,
    never_sent,
    parse_retry_after,
    should_retry_exception,
    should_retry_response,
    wait_seconds,
)
from balance_gateway.adapters._core.secrets import scrub

M = TypeVar("M", bound=pydantic.BaseModel)

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)

QueryParams = Mapping[str, str | int | float | bool | None]


USER_AGENT = f"balance-gateway/{__version__} python-httpx/{httpx.__version__}"


class BaseClient:
    """Request building, retry decisions and error mapping, shared by sync and async."""

    vendor: str = "generic"

    def __init__(
        self,
        *,
        base_url: str | httpx.URL,
        auth: httpx.Auth | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.base_url = httpx.URL(str(base_url).rstrip("/") + "/")
        self.auth = auth
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self.retry_policy = retry or RetryPolicy()
        self._clock = clock
        self._rng = rng or random.Random()
        self._headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})}

    # -- pure logic ---------------------------------------------------------------------------

    def build_request(
        self,
        method: str,
        path: str,
        *,
        params: QueryParams | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
    ) -> httpx.Request:
        """An absolute request for `path` (relative to the base URL); None params are dropped."""
        url = self.base_url.join(path.lstrip("/"))
        query = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}
        # Merge, never replace: `httpx.Request(params=...)` would drop a query already in `path`
        # (a next-link such as `items?cursor=abc`).
        if query:
            url = url.copy_merge_params(query)
        return httpx.Request(
            method.upper(),
            url,
            json=json,
            data=data,
            headers=self._headers,
            extensions={"timeout": self.timeout.as_dict()},
        )

    def _retrying_kwargs(self, idempotent: bool, started: float) -> dict[str, Any]:
        policy = self.retry_policy

        def retry(state: tenacity.RetryCallState) -> bool:
            outcome = state.outcome
            if outcome is None:
                return False
            if outcome.failed:
                exc = outcome.exception()
                return exc is not None and should_retry_exception(exc, idempotent=idempotent)
            return should_retry_response(policy, outcome.result(), idempotent=idempotent)

        def wait(state: tenacity.RetryCallState) -> float:
            outcome = state.outcome
            response = None if outcome is None or outcome.failed else outcome.result()
            return wait_seconds(policy, state.attempt_number, response, self._rng)

        def stop(state: tenacity.RetryCallState) -> bool:
            if state.attempt_number >= policy.max_attempts:
                return True
            upcoming = getattr(state, "upcoming_sleep", 0.0) or 0.0
            return (self._clock() - started) + upcoming > policy.max_total_seconds

        def give_up(state: tenacity.RetryCallState) -> Any:
            assert state.outcome is not None
            return state.outcome.result()  # the last response, or re-raise the last error

        return {"retry": retry, "wait": wait, "stop": stop, "retry_error_callback": give_up}

    def _log(
        self,
        request: httpx.Request,
        attempt: int,
        started: float,
        response: httpx.Response | None = None,
        error: BaseException | None = None,
    ) -> None:
        log_event(
            "http.request",
            vendor=self.vendor,
            method=request.method,
            path=scrub(request.url.path),
            status=response.status_code if response is not None else None,
            error=type(error).__name__ if error is not None else None,
            attempt=attempt,
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
        )

    def _transport_failure(
        self, request: httpx.Request, exc: httpx.TransportError, idempotent: bool
    ) -> Exception:
        method, path = request.method, request.url.path
        if not idempotent and not never_sent(exc):
            return WriteOutcomeUnknown(method, path, f"{type(exc).__name__} after sending")
        return TransportError(f"{method} {path}: {type(exc).__name__}: {exc}")

    def handle_response(self, response: httpx.Response, *, idempotent: bool) -> httpx.Response:
        """The response itself when it succeeded; otherwise the matching typed error is raised."""
        status = response.status_code
        if status < 400:
            return response
        request = response.request
        said_not_done = status == 429 or (status == 503 and "retry-after" in response.headers)
        if not idempotent and status >= 500 and not said_not_done:
            raise WriteOutcomeUnknown(
                request.method, request.url.path, f"the server answered {status}"
            )
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        raise status_error(response, retry_after=retry_after)

    def parse(self, response: httpx.Response, model: type[M], data: Any = None) -> M:
        """Strictly parse a successful body (or `data` taken from it) into a wire model."""
        payload = parse_body(response) if data is None else data
        try:
            return model.model_validate(payload)
        except pydantic.ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or '<body>'}: {err['msg']}"
                for err in exc.errors()[:5]
            )
            raise ResponseParseError(
                f"{response.request.method} {response.request.url.path} answered "
                f"{response.status_code} with a body that is not a {model.__name__}: {problems}"
            ) from None


def _query_value(value: str | int | float | bool) -> str | int | float:
    return ("true" if value else "false") if isinstance(value, bool) else value


class SyncAPIClient(BaseClient):
    """Blocking client; pass `http_client` or `transport` to route requests elsewhere."""

    def __init__(
        self,
        *,
        base_url: str | httpx.URL,
        auth: httpx.Auth | None = None,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        **kwargs: Any,
    ) -> None:
        super().__init__(base_url=base_url, auth=auth, **kwargs)
        self._owns_client = http_client is None
        self._http = http_client or httpx.Client(transport=transport, timeout=self.timeout)
        self._sleep = sleep

    def request(
        self,
        method: str,
        path: str,
        *,
        params: QueryParams | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send with retries; returns a successful response or raises a `GatewayError`."""
        request = self.build_request(method, path, params=params, json=json, data=data)
        safe = is_idempotent(request.method, idempotent)
        attempts = 0

        def send_once() -> httpx.Response:
            nonlocal attempts
            attempts += 1
            started = time.perf_counter()
            try:
                response = self._http.send(request, auth=self.auth or httpx.USE_CLIENT_DEFAULT)
                response.read()
            except httpx.TransportError as exc:
                self._log(request, attempts, started, error=exc)
                raise
            self._log(request, attempts, started, response=response)
            return response

        retrying = tenacity.Retrying(
            sleep=self._sleep, **self._retrying_kwargs(safe, self._clock())
        )
        try:
            response: httpx.Response = retrying(send_once)
        except httpx.TransportError as exc:
            raise self._transport_failure(request, exc, safe) from None
        return self.handle_response(response, idempotent=safe)

    def send_login(self, auth: LoginAuth) -> httpx.Response:
        """Send the vendor's login request once and answer its response, whatever the status.

        The request (`auth.build_login_request`) goes out without the client's auth and
        without retries: a login is neither authenticated nor repeated behind the caller's
        back. For a vendor that reads more from the login body than the grant; others use
        `login_with`. Raises `TransportError` when no answer arrived.
        """
        request = auth.build_login_request(self.base_url)
        started = time.perf_counter()
        try:
            response = self._http.send(request, auth=None)
            response.read()
        except httpx.TransportError as exc:
            self._log(request, 1, started, error=exc)
            raise self._transport_failure(request, exc, idempotent=True) from None
        self._log(request, 1, started, response=response)
        return response

    def login_with(self, auth: LoginAuth) -> TokenGrant:
        """Log in now: send the vendor's login request without auth or retries, and cache and
        return the grant, which `auth` then uses for every request.

        Raises `LoginError` when the login is refused, `GatewayError` when it answers without
        a usable token, `TransportError` when no answer arrived.
        """
        return auth.accept_login_response(self.send_login(auth))

    def close(self) -> None:
        if self._owns_client:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


async def _asyncio_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


class AsyncAPIClient(BaseClient):
    """Asyncio client; the async twin of `SyncAPIClient`."""

    def __init__(
        self,
        *,
        base_url: str | httpx.URL,
        auth: httpx.Auth | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = _asyncio_sleep,
        **kwargs: Any,
    ) -> None:
        super().__init__(base_url=base_url, auth=auth, **kwargs)
        self._owns_client = http_client is None
        self._http = http_client or httpx.AsyncClient(transport=transport, timeout=self.timeout)
        self._sleep = sleep

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: QueryParams | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send with retries; returns a successful response or raises a `GatewayError`."""
        request = self.build_request(method, path, params=params, json=json, data=data)
        safe = is_idempotent(request.method, idempotent)
        attempts = 0

        async def send_once() -> httpx.Response:
            nonlocal attempts
            attempts += 1
            started = time.perf_counter()
            try:
                response = await self._http.send(
                    request, auth=self.auth or httpx.USE_CLIENT_DEFAULT
                )
                await response.aread()
            except httpx.TransportError as exc:
                self._log(request, attempts, started, error=exc)
                raise
            self._log(request, attempts, started, response=response)
            return response

        retrying = tenacity.AsyncRetrying(
            sleep=self._sleep, **self._retrying_kwargs(safe, self._clock())
        )
        try:
            response: httpx.Response = await retrying(send_once)
        except httpx.TransportError as exc:
            raise self._transport_failure(request, exc, safe) from None
        return self.handle_response(response, idempotent=safe)

    async def send_login(self, auth: LoginAuth) -> httpx.Response:
        """Send the vendor's login request once; see `SyncAPIClient.send_login`."""
        request = auth.build_login_request(self.base_url)
        started = time.perf_counter()
        try:
            response = await self._http.send(request, auth=None)
            await response.aread()
        except httpx.TransportError as exc:
            self._log(request, 1, started, error=exc)
            raise self._transport_failure(request, exc, idempotent=True) from None
        self._log(request, 1, started, response=response)
        return response

    async def login_with(self, auth: LoginAuth) -> TokenGrant:
        """Log in now: send the vendor's login request without auth or retries, and cache and
        return the grant; see `SyncAPIClient.login_with`.

        Raises `LoginError` when the login is refused, `GatewayError` when it answers without
        a usable token, `TransportError` when no answer arrived.
        """
        return auth.accept_login_response(await self.send_login(auth))

    async def aclose(self) -> None:
        if self._owns_client:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


__all__ = ["USER_AGENT", "APIStatusError", "AsyncAPIClient", "BaseClient", "SyncAPIClient"]
