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
from typing import Any, NoReturn, Self, TypeVar

import httpx
import pydantic
import tenacity

from balance_gateway import __version__
from balance_gateway.adapters._core.auth import LoginAuth, TokenGrant
from balance_gateway.adapters._core.errors import (
    APIStatusError,
    DeadlineExceeded,
    RedirectError,
    ResponseParseError,
    ResponseTooLarge,
    TransportError,
    WriteOutcomeUnknown,
    parse_body,
    status_error,
)
from balance_gateway.adapters._core.jsonbody import UnreadableJSON, loads_json
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
# The whole of one request (every attempt, and the waits between them) from first byte sent to
# last byte read: a per-read timeout alone lets a server trickling a byte a second hold a call
# (and a sync's lock) for hours.
DEFAULT_DEADLINE = 60.0
# ASSUMED: no balance API answers one request with more than this; a larger body is refused.
DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024
# Methods that only read: any other request is a write, whose unclear answer is an unknown
# outcome rather than an error.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WRITE = "balance_gateway.write"


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
        deadline: float | None = DEFAULT_DEADLINE,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        """The one constructor of every client, sync or async (a vendor's own `__init__` adds
        only its credentials). `http_client` / `transport` route requests elsewhere (tests,
        emulators); they must suit the client (`httpx.Client` / a sync transport for a sync
        client, their async kinds for an async one), or `TypeError` says which to use.
        `deadline` (seconds, None for none) bounds one request from start to last byte,
        retries included; `max_response_bytes` caps the body of one answer."""
        if deadline is not None and not deadline > 0:
            raise ValueError(f"deadline must be a positive number of seconds, got {deadline!r}")
        if max_response_bytes < 1:
            raise ValueError(f"max_response_bytes must be at least 1, got {max_response_bytes!r}")
        self.deadline = deadline
        self.max_response_bytes = max_response_bytes
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
        method = method.upper()
        extensions: dict[str, Any] = {"timeout": self.timeout.as_dict()}
        if method not in SAFE_METHODS:
            extensions[_WRITE] = True
        return httpx.Request(
            method, url, json=json, data=data, headers=self._headers, extensions=extensions
        )

    # -- deadline and size cap ----------------------------------------------------------------

    def _deadline_at(self) -> float | None:
        return None if self.deadline is None else self._clock() + self.deadline

    def _remaining(self, request: httpx.Request, deadline_at: float | None) -> float | None:
        """Seconds left before `deadline_at`; raises `_PastDeadline` when none are."""
        if deadline_at is None:
            return None
        left = deadline_at - self._clock()
        if left <= 0:
            raise _PastDeadline(self.deadline or 0.0, request=request)
        return left

    def _attempt_timeouts(self, request: httpx.Request, left: float | None) -> None:
        """No single read, write or connect may wait past the deadline either."""
        if left is None:
            return
        request.extensions["timeout"] = {
            key: left if value is None else min(value, left)
            for key, value in self.timeout.as_dict().items()
        }

    def _take(self, request: httpx.Request, body: bytearray, chunk: bytes) -> None:
        body += chunk
        if len(body) > self.max_response_bytes:
            raise _TooLarge(self.max_response_bytes)

    def _finished(self, response: httpx.Response, body: bytes) -> httpx.Response:
        """`response` (its stream read and closed) holding `body`, as `Response.read()` would
        leave it: `.content`, `.text` and `.json()` work as on any read response."""
        response._content = body
        return response

    def _retrying_kwargs(
        self, idempotent: bool, started: float, deadline_at: float | None = None
    ) -> dict[str, Any]:
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
            upcoming = getattr(state, "upcoming_sleep", 0.0) or 0.0
            if deadline_at is not None and self._clock() + upcoming >= deadline_at:
                return True  # the request's total deadline comes first
            return budget_spent(
                policy,
                rate_limited=failed["rate_limited"],
                other=failed["other"],
                last_rate_limited=limited,
                elapsed=self._clock() - started,
                upcoming=upcoming,
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
        self, request: httpx.Request, exc: httpx.TransportError | _TooLarge, idempotent: bool
    ) -> Exception:
        method, path = request.method, request.url.path
        if isinstance(exc, _TooLarge):
            if _is_write(request):
                return WriteOutcomeUnknown(method, path, f"the answer is {exc}")
            return ResponseTooLarge(f"{method} {path}: the answer is {exc}")
        if not idempotent and not never_sent(exc):
            return WriteOutcomeUnknown(method, path, f"{_failure_text(exc)} after sending")
        if isinstance(exc, _PastDeadline):
            return DeadlineExceeded(f"{method} {path}: {exc}")
        url = request.url
        port = url.port or {"http": 80, "https": 443}.get(url.scheme, 0)
        where = f"{url.host}:{port}"
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
            return TransportError(
                f"{method} {path}: could not connect to {where} ({type(exc).__name__}: {exc}); "
                "is the system's base_url right, and is it reachable from here?"
            )
        return TransportError(f"{method} {path} ({where}): {_failure_text(exc)}")

    def handle_response(self, response: httpx.Response, *, idempotent: bool) -> httpx.Response:
        """The response itself when it succeeded (2xx); otherwise the matching typed error is
        raised. A 3xx is never followed: `RedirectError`, or `WriteOutcomeUnknown` for a write
        (whatever answered may or may not have passed it on)."""
        status = response.status_code
        request = response.request
        if 300 <= status < 400:
            location = _location(response)
            if _is_write(request):
                raise WriteOutcomeUnknown(
                    request.method,
                    request.url.path,
                    f"the server answered {status}, a redirect to {location or '(none)'}, "
                    "which is not followed",
                )
            raise RedirectError(
                method=request.method,
                path=request.url.path,
                status_code=status,
                body=parse_body(response),
                location=location,
            )
        if status < 400:
            return response
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

    def json_body(self, response: httpx.Response) -> Any:
        """The body of a successful response as JSON, read without trusting it (see
        `adapters._core.jsonbody`). A body that is not readable JSON, or one that says
        `"success": false`, raises `ResponseParseError`, or `WriteOutcomeUnknown` when it
        answers a write: the server took the request, and what it did is not known."""
        try:
            body = loads_json(response.content)
        except UnreadableJSON as exc:
            self._not_documented(response, f"a body that is not JSON: {exc.reason}")
        if isinstance(body, dict) and body.get("success") is False:
            text = body.get("error") or body.get("message") or body.get("response_code") or ""
            self._not_documented(response, f'"success": false ({str(text)[:300]})')
        return body

    def _not_documented(self, response: httpx.Response, what: str) -> NoReturn:
        request = response.request
        if _is_write(request):
            raise WriteOutcomeUnknown(
                request.method, request.url.path, f"it answered {response.status_code} with {what}"
            )
        raise ResponseParseError(
            f"{request.method} {request.url.path} answered {response.status_code} with {what}"
        )

    def parse(self, response: httpx.Response, model: type[M], data: Any = None) -> M:
        """Strictly parse a successful body (or `data` taken from it) into a wire model.

        Raises `ResponseParseError` when the body is not the documented JSON (`json_body`) or
        not a `model`; for the answer to a write, `WriteOutcomeUnknown` instead."""
        payload = self.json_body(response) if data is None else data
        try:
            return model.model_validate(payload)
        except pydantic.ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or '<body>'}: {err['msg'][:200]}"
                for err in exc.errors()[:5]
            )
            self._not_documented(response, f"a body that is not a {model.__name__}: {problems}")


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


def _is_write(request: httpx.Request) -> bool:
    return bool(request.extensions.get(_WRITE)) or request.method not in SAFE_METHODS


def _location(response: httpx.Response) -> str:
    """Where a redirect points, as scheme://host/path (no query: it may carry a token)."""
    raw = response.headers.get("location", "")
    try:
        url = response.request.url.join(raw)
    except (httpx.InvalidURL, ValueError):
        return "(an invalid Location)"
    return f"{url.scheme}://{url.host}{url.path}" if raw else ""


def _failure_text(exc: Exception) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class _PastDeadline(httpx.TimeoutException):
    """Raised inside an attempt when the request's total deadline has passed."""

    def __init__(self, deadline: float, *, request: httpx.Request) -> None:
        super().__init__(
            f"no complete answer within the request's deadline of {deadline:g} s "
            "(the server is too slow, or trickles its answer)",
            request=request,
        )


class _TooLarge(Exception):
    """Raised inside an attempt when the body passes the size cap."""

    def __init__(self, cap: int) -> None:
        super().__init__(f"larger than the cap of {cap:,} bytes (max_response_bytes)")


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
        deadline_at = self._deadline_at()

        def send_once() -> httpx.Response:
            nonlocal attempts
            attempts += 1
            request.extensions[ATTEMPT_EXTENSION] = attempts
            started = time.perf_counter()
            try:
                self._attempt_timeouts(request, self._remaining(request, deadline_at))
                response = self._read(request, deadline_at)
            except (httpx.TransportError, _TooLarge) as exc:
                self._log(request, attempts, started, error=exc)
                raise
            self._log(request, attempts, started, response=response)
            return response

        retrying = tenacity.Retrying(
            sleep=self._sleep, **self._retrying_kwargs(safe, self._clock(), deadline_at)
        )
        try:
            response: httpx.Response = retrying(send_once)
        except (httpx.TransportError, _TooLarge) as exc:
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

    def _read(
        self, request: httpx.Request, deadline_at: float | None, *, login: bool = False
    ) -> httpx.Response:
        """Send once and read the body, within the size cap and the deadline (checked between
        chunks; no single read waits past it either). Redirects are never followed. A `login`
        request goes out without the client's auth."""
        response = self._http.send(
            request,
            auth=None if login else (self.auth or httpx.USE_CLIENT_DEFAULT),
            stream=True,
            follow_redirects=False,
        )
        try:
            body = bytearray()
            for chunk in response.iter_bytes():
                self._take(request, body, chunk)
                self._remaining(request, deadline_at)
        except httpx.DecodingError as exc:
            raise httpx.RemoteProtocolError(str(exc), request=request) from None
        finally:
            response.close()
        return self._finished(response, bytes(body))

    def send_login(self, auth: LoginAuth) -> httpx.Response:
        """Send the vendor's login request once and answer its response, whatever the status.

        The request (`auth.build_login_request`) goes out without the client's auth and
        without retries: a login is neither authenticated nor repeated behind the caller's
        back. For a vendor that reads more from the login body than the grant; others use
        `login_with`. Raises `TransportError` when no answer arrived.
        """
        request = auth.build_login_request(self.base_url)
        started = time.perf_counter()
        deadline_at = self._deadline_at()
        try:
            self._attempt_timeouts(request, self._remaining(request, deadline_at))
            response = self._read(request, deadline_at, login=True)
        except (httpx.TransportError, _TooLarge) as exc:
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
        deadline_at = self._deadline_at()

        async def send_once() -> httpx.Response:
            nonlocal attempts
            attempts += 1
            request.extensions[ATTEMPT_EXTENSION] = attempts
            started = time.perf_counter()
            try:
                left = self._remaining(request, deadline_at)
                self._attempt_timeouts(request, left)
                try:
                    async with asyncio.timeout(left):
                        response = await self._read(request)
                except TimeoutError:
                    raise _PastDeadline(self.deadline or 0.0, request=request) from None
            except (httpx.TransportError, _TooLarge) as exc:
                self._log(request, attempts, started, error=exc)
                raise
            self._log(request, attempts, started, response=response)
            return response

        retrying = tenacity.AsyncRetrying(
            sleep=self._sleep, **self._retrying_kwargs(safe, self._clock(), deadline_at)
        )
        try:
            response: httpx.Response = await retrying(send_once)
        except (httpx.TransportError, _TooLarge) as exc:
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

    async def _read(self, request: httpx.Request, *, login: bool = False) -> httpx.Response:
        """Send once and read the body within the size cap (the caller bounds the time).
        Redirects are never followed. A `login` request goes out without the client's auth."""
        response = await self._http.send(
            request,
            auth=None if login else (self.auth or httpx.USE_CLIENT_DEFAULT),
            stream=True,
            follow_redirects=False,
        )
        try:
            body = bytearray()
            async for chunk in response.aiter_bytes():
                self._take(request, body, chunk)
        except httpx.DecodingError as exc:
            raise httpx.RemoteProtocolError(str(exc), request=request) from None
        finally:
            await response.aclose()
        return self._finished(response, bytes(body))

    async def send_login(self, auth: LoginAuth) -> httpx.Response:
        """Send the vendor's login request once; see `SyncAPIClient.send_login`."""
        request = auth.build_login_request(self.base_url)
        started = time.perf_counter()
        deadline_at = self._deadline_at()
        try:
            left = self._remaining(request, deadline_at)
            self._attempt_timeouts(request, left)
            try:
                async with asyncio.timeout(left):
                    response = await self._read(request, login=True)
            except TimeoutError:
                raise _PastDeadline(self.deadline or 0.0, request=request) from None
        except (httpx.TransportError, _TooLarge) as exc:
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
