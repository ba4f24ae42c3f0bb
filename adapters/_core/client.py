"""Base HTTP clients every vendor SDK builds on.

`BaseClient` holds the pure logic (building requests, deciding retries, mapping errors);
`SyncAPIClient` and `AsyncAPIClient` are the thin I/O loops. Both accept an injected
`httpx.Client`/`httpx.AsyncClient` or transport: that is how tests (respx, MockTransport),
fixtures and in-process emulators (`httpx.ASGITransport`) plug in.
"""

from __future__ import annotations

import asyncio
import functools
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterator, Mapping
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
from balance_gateway.adapters._core.operations import (
    Call,
    Done,
    Login,
    Pager,
    QueryParams,
    Request,
)
from balance_gateway.adapters._core.pagination import Page, aiterate_pages, iterate_pages
from balance_gateway.adapters._core.retry import (
    ATTEMPT_EXTENSION,
    RetryPolicy,
    budget_spent,
    is_idempotent,
    never_sent,
    parse_retry_after,
    should_retry_exception,
    should_retry_response,
    wait_seconds,
)
from balance_gateway.adapters._core.secrets import scrub

M = TypeVar("M", bound=pydantic.BaseModel)
T = TypeVar("T")

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


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
        http_client: httpx.Client | httpx.AsyncClient | None = None,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Any] | None = None,
    ) -> None:
        """The one constructor of every client, sync or async (a vendor's own `__init__` adds
        only its credentials). `http_client` / `transport` route requests elsewhere (tests,
        emulators); they must suit the client (`httpx.Client` / a sync transport for a sync
        client, their async kinds for an async one), or `TypeError` says which to use."""
        self.base_url = httpx.URL(str(base_url).rstrip("/") + "/")
        self.auth = auth
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self.retry_policy = retry or RetryPolicy()
        self._clock = clock
        self._rng = rng or random.Random()
        self._headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})}
        self._owns_client = http_client is None
        self._open(http_client, transport, sleep)

    def _open(
        self,
        http_client: httpx.Client | httpx.AsyncClient | None,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None,
        sleep: Callable[[float], Any] | None,
    ) -> None:
        """Set up the I/O side (the HTTP client and how to wait): `SyncAPIClient` and
        `AsyncAPIClient` each do it their way; the pure `BaseClient` sends nothing."""

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
        failed = {"rate_limited": 0, "other": 0}  # retriable attempts so far, by kind

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
            # Asked once per retriable failed attempt, after its wait was computed.
            outcome = state.outcome
            limited = (
                outcome is not None and not outcome.failed and outcome.result().status_code == 429
            )
            failed["rate_limited" if limited else "other"] += 1
            return budget_spent(
                policy,
                rate_limited=failed["rate_limited"],
                other=failed["other"],
                last_rate_limited=limited,
                elapsed=self._clock() - started,
                upcoming=getattr(state, "upcoming_sleep", 0.0) or 0.0,
            )

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

    def expect(self, model: type[M]) -> Callable[[httpx.Response], M]:
        """The parser of a `Call` whose successful body is one `model`."""
        return functools.partial(self.parse, model=model)

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


def _request_args(call: Call[Any]) -> dict[str, Any]:
    """The `request()` arguments of a described `Call`."""
    return {
        "method": call.method,
        "path": call.path,
        "params": call.params,
        "json": call.json,
        "data": call.data,
        "idempotent": call.idempotent,
    }


def _check_io(
    client: BaseClient,
    http_client: object,
    transport: object,
    wanted: tuple[type[object], type[object]],
    other: str,
) -> None:
    """Refuse an HTTP client or transport of the other kind (sync vs async), saying which
    client takes it."""
    for given, kind in ((http_client, wanted[0]), (transport, wanted[1])):
        if given is not None and not isinstance(given, kind):
            raise TypeError(
                f"{type(client).__name__} needs {kind.__module__}.{kind.__qualname__}, not "
                f"{type(given).__name__} (use the {other} for that)"
            )


class SyncAPIClient(BaseClient):
    """Blocking client; pass `http_client` or `transport` to route requests elsewhere."""

    def _open(
        self,
        http_client: httpx.Client | httpx.AsyncClient | None,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None,
        sleep: Callable[[float], Any] | None,
    ) -> None:
        _check_io(self, http_client, transport, (httpx.Client, httpx.BaseTransport), "AsyncClient")
        # Narrowing for the type checker: `_check_io` has refused anything else.
        assert http_client is None or isinstance(http_client, httpx.Client)
        assert transport is None or isinstance(transport, httpx.BaseTransport)
        self._http = http_client or httpx.Client(transport=transport, timeout=self.timeout)
        self._sleep: Callable[[float], None] = sleep or time.sleep

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
            request.extensions[ATTEMPT_EXTENSION] = attempts
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

    def run(self, request: Request[T]) -> T:
        """Send one described operation (see `operations`) and parse its answer."""
        if isinstance(request, Done):
            return request.value
        if isinstance(request, Login):
            return request.parse(self.send_login(request.auth))
        return request.parse(self.request(**_request_args(request)))

    def iterate(self, pager: Pager[T]) -> Iterator[T]:
        """Every item of a paginated list, each page fetched when the loop reaches it."""
        return iterate_pages(lambda cursor: self.run(pager.call(cursor)))

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

    def _open(
        self,
        http_client: httpx.Client | httpx.AsyncClient | None,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None,
        sleep: Callable[[float], Any] | None,
    ) -> None:
        _check_io(
            self, http_client, transport, (httpx.AsyncClient, httpx.AsyncBaseTransport), "Client"
        )
        # Narrowing for the type checker: `_check_io` has refused anything else.
        assert http_client is None or isinstance(http_client, httpx.AsyncClient)
        assert transport is None or isinstance(transport, httpx.AsyncBaseTransport)
        self._http = http_client or httpx.AsyncClient(transport=transport, timeout=self.timeout)
        self._sleep: Callable[[float], Awaitable[None]] = sleep or _asyncio_sleep

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
            request.extensions[ATTEMPT_EXTENSION] = attempts
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

    async def run(self, request: Request[T]) -> T:
        """Send one described operation (see `operations`) and parse its answer."""
        if isinstance(request, Done):
            return request.value
        if isinstance(request, Login):
            return request.parse(await self.send_login(request.auth))
        return request.parse(await self.request(**_request_args(request)))

    def iterate(self, pager: Pager[T]) -> AsyncIterator[T]:
        """Every item of a paginated list, each page fetched when the loop reaches it."""

        async def fetch(cursor: Hashable | None) -> Page[T]:
            return await self.run(pager.call(cursor))

        return aiterate_pages(fetch)

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
