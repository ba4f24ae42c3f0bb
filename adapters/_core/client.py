"""Base HTTP clients every vendor SDK builds on.

`BaseClient` holds everything but the I/O: building requests, the retry loop, deadlines,
mapping errors. An operation runs as a generator of steps (send one attempt, wait before the
next), each step answered with its outcome, as one `httpx.Auth` flow serves both of httpx's
clients; `SyncAPIClient` and `AsyncAPIClient` only perform the steps, blocking or awaited.
Both accept an injected
`httpx.Client`/`httpx.AsyncClient` or transport: that is how tests (respx, MockTransport),
fixtures and in-process emulators (`httpx.ASGITransport`) plug in.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import time
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Hashable,
    Iterator,
    Mapping,
)
from dataclasses import dataclass
from typing import Any, Generic, NoReturn, Self, TypedDict, TypeVar, Unpack

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
from balance_gateway.adapters._core.logging import log_enabled, log_event
from balance_gateway.adapters._core.operations import (
    Call,
    Done,
    Login,
    Pager,
    QueryParams,
    Request,
    operation,
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
E = TypeVar("E", bound=pydantic.BaseModel)
T = TypeVar("T")
H = TypeVar("H", httpx.Client, httpx.AsyncClient)

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


class ClientOptions(TypedDict, total=False):
    """What every client takes besides its base URL and credentials; all optional.

    `timeout` per read/write/connect (default 30 s, connect 10 s); `retry` the retry budget
    (`RetryPolicy()`; `RetryPolicy.none()` sends once); `deadline` (seconds, None for none)
    bounds one request from start to last byte, retries included (default 60);
    `max_response_bytes` caps the body of one answer (16 MiB); `headers` are added to every
    request. `http_client` / `transport` route requests elsewhere (tests, emulators); they must
    suit the client (`httpx.Client` / a sync transport for a sync client, their async kinds for
    an async one), or `TypeError` says which to use. `clock`, `rng` and `sleep` replace time,
    jitter and waiting (tests); an async client's `sleep` returns an awaitable.
    """

    timeout: float | httpx.Timeout
    retry: RetryPolicy | None
    clock: Callable[[], float]
    rng: random.Random | None
    headers: Mapping[str, str] | None
    http_client: httpx.Client | httpx.AsyncClient | None
    transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None
    sleep: Callable[[float], Any] | None
    deadline: float | None
    max_response_bytes: int


class RequestParts(TypedDict, total=False):
    """What a request carries besides its method and path: the query (None values are
    dropped), and a JSON or a form body."""

    params: QueryParams | None
    json: Any
    data: Mapping[str, Any] | None


def base_url_of(base_url: str | httpx.URL) -> httpx.URL:
    """`base_url` as a client holds it: with one trailing slash, so that paths join under it."""
    return httpx.URL(str(base_url).rstrip("/") + "/")


def url_under(base_url: httpx.URL, path: str) -> httpx.URL:
    """`path` (relative to `base_url`, a leading slash ignored) as an absolute URL: what
    `base_url.join(path.lstrip("/"))` gives.

    A plain relative path (no scheme, no dot or empty segment, no fragment) is appended to
    the base's text and parsed once; `join` (RFC 3986 resolution) parses the path, resolves
    it and parses the result again, which costs about as much as the rest of building a
    request.
    Anything else (a next-link that is a full URL, `..`) still goes through `join`."""
    relative = path.lstrip("/")
    head = relative.split("/", 1)[0].split("?", 1)[0]
    where = "/" + relative.split("?", 1)[0]
    if ":" in head or "#" in relative or "/." in where or "//" in where:
        return base_url.join(relative)
    text = str(base_url)
    if "?" in text or "#" in text:  # a base with a query: the join drops it
        return base_url.join(relative)
    return httpx.URL(text + relative)


class BaseClient:
    """Everything but the I/O, shared by sync and async: building requests, the retry loop,
    deadlines, error mapping, and the operations every client serves (`request`,
    `send_login`, `login_with`)."""

    vendor: str = "generic"

    def __init__(
        self,
        *,
        base_url: str | httpx.URL,
        auth: httpx.Auth | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        """The one constructor of every client, sync or async (a vendor's own `__init__` adds
        only its credentials); the options are `ClientOptions`. An option it does not know
        raises `TypeError`, as a misspelt keyword argument would."""
        unknown = sorted(options.keys() - ClientOptions.__optional_keys__)
        if unknown:
            raise TypeError(
                f"{type(self).__name__}() got unexpected keyword argument(s): "
                f"{', '.join(unknown)} (the options are those of ClientOptions)"
            )
        deadline = options.get("deadline", DEFAULT_DEADLINE)
        max_response_bytes = options.get("max_response_bytes", DEFAULT_MAX_RESPONSE_BYTES)
        if deadline is not None and not deadline > 0:
            raise ValueError(f"deadline must be a positive number of seconds, got {deadline!r}")
        if max_response_bytes < 1:
            raise ValueError(f"max_response_bytes must be at least 1, got {max_response_bytes!r}")
        self.deadline = deadline
        self.max_response_bytes = max_response_bytes
        self.base_url = base_url_of(base_url)
        self.auth = auth
        timeout = options.get("timeout", DEFAULT_TIMEOUT)
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self.retry_policy = options.get("retry") or RetryPolicy()
        self._clock = options.get("clock", time.monotonic)
        self._rng = options.get("rng") or random.Random()
        self._headers = {
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
            **(options.get("headers") or {}),
        }
        self._owns_client = options.get("http_client") is None
        self._open(options)

    def _open(self, options: ClientOptions) -> None:
        """Set up the I/O side (the HTTP client and how to wait): `SyncAPIClient` and
        `AsyncAPIClient` each do it their way; the pure `BaseClient` sends nothing."""

    # -- the operations every client serves -----------------------------------------------------

    @operation
    def request(
        self,
        method: str,
        path: str,
        *,
        idempotent: bool | None = None,
        **parts: Unpack[RequestParts],
    ) -> Call[httpx.Response]:
        """Send with retries; returns a successful response or raises a `GatewayError`.
        `idempotent` overrides the method's default (see `retry`)."""
        return Call(method, path, parse=_as_is, idempotent=idempotent, **parts)

    @operation
    def send_login(self, auth: LoginAuth) -> Login[httpx.Response]:
        """Send the vendor's login request once and answer its response, whatever the status.

        The request (`auth.build_login_request`) goes out without the client's auth and
        without retries: a login is neither authenticated nor repeated behind the caller's
        back. For a vendor that reads more from the login body than the grant; others use
        `login_with`. Raises `TransportError` when no answer arrived.
        """
        return Login(auth, parse=_as_is)

    @operation
    def login_with(self, auth: LoginAuth) -> Login[TokenGrant]:
        """Log in now: send the vendor's login request without auth or retries, and cache and
        return the grant, which `auth` then uses for every request.

        Raises `LoginError` when the login is refused, `GatewayError` when it answers without
        a usable token, `TransportError` when no answer arrived.
        """
        return Login(auth, parse=auth.accept_login_response)

    # -- the steps of an operation --------------------------------------------------------------

    def _flow(self, request: Request[T]) -> _Flow[T]:
        """The steps of one described operation (see `operations`), then its parsed answer."""
        if isinstance(request, Done):
            return request.value
        if isinstance(request, Login):
            return request.parse((yield from self._login_steps(request.auth)))
        return request.parse((yield from self._request_steps(request)))

    def _request_steps(self, call: Call[Any]) -> _Flow[httpx.Response]:
        """`call` sent with retries (tenacity, deciding as `retry` says; `_retrying`): a successful
        response, or the typed error.

        The first attempt is sent before tenacity's loop is made: an answer that is not to be
        retried (nearly every one) is handled at once, as the loop would (its `retry` says no
        to the same answer), and tenacity's machinery, which costs about as much per request
        as the rest of this flow, is only built for an attempt it must judge: the first one's
        error or retriable answer is then its attempt 1, judged as if the loop had sent it."""
        request = self.build_request(
            call.method, call.path, params=call.params, json=call.json, data=call.data
        )
        safe = is_idempotent(request.method, call.idempotent)
        deadline_at = self._deadline_at()
        started = self._clock()
        request.extensions[ATTEMPT_EXTENSION] = 1
        first: httpx.Response | Exception
        try:
            first = yield from self._attempt(request, 1, deadline_at)
        except Exception as exc:  # an attempt's outcome: judged below, as tenacity would
            first = exc
        if isinstance(first, httpx.Response) and not should_retry_response(
            self.retry_policy, first, idempotent=safe
        ):
            return self.handle_response(first, idempotent=safe)
        waits: list[float] = []  # what tenacity would sleep, done as a `_Wait` step instead
        response: httpx.Response | None = None
        try:
            for attempt in self._retrying(safe, deadline_at, waits.append, started):
                if waits:
                    yield _Wait(float(waits.pop()))
                state = attempt.retry_state
                request.extensions[ATTEMPT_EXTENSION] = state.attempt_number
                escaped: BaseException | None = None
                with attempt:
                    try:
                        if state.attempt_number == 1:  # sent above
                            if isinstance(first, Exception):
                                raise first
                            response = first
                        else:
                            response = yield from self._attempt(
                                request, state.attempt_number, deadline_at
                            )
                    except Exception:
                        raise  # an attempt's outcome: tenacity judges it
                    except BaseException as exc:
                        # A close or a cancellation is no attempt's outcome, and tenacity's
                        # block would swallow it: it ends the flow.
                        escaped = exc
                if escaped is not None:
                    raise escaped
                if state.outcome is not None and not state.outcome.failed:
                    state.set_result(response)  # for `retry` to judge (tenacity's block form)
        except (httpx.TransportError, _TooLarge) as exc:
            raise self._transport_failure(request, exc, safe) from None
        assert response is not None  # tenacity ends the loop with an answer, or re-raises
        return self.handle_response(response, idempotent=safe)

    def _retrying(
        self,
        idempotent: bool,
        deadline_at: float | None,
        sleep: Callable[[float], None],
        started: float,
    ) -> tenacity.Retrying:
        """tenacity's loop over the decisions in `retry`: retry?, then the wait, then stop
        (which counts the failed attempts by kind and keeps to the time budget, counted from
        `started`, the first attempt's start, and the request's deadline). Past the budget, the
        last answer stands: its response, or its error re-raised."""
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
            upcoming = state.upcoming_sleep
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

        return tenacity.Retrying(
            sleep=sleep, retry=retry, wait=wait, stop=stop, retry_error_callback=give_up
        )

    def _login_steps(self, auth: LoginAuth) -> _Flow[httpx.Response]:
        """The login request sent once, without the client's auth: its answer, any status."""
        request = auth.build_login_request(self.base_url)
        try:
            return (yield from self._attempt(request, 1, self._deadline_at(), login=True))
        except (httpx.TransportError, _TooLarge) as exc:
            raise self._transport_failure(request, exc, idempotent=True) from None

    def _attempt(
        self,
        request: httpx.Request,
        attempt: int,
        deadline_at: float | None,
        *,
        login: bool = False,
    ) -> _Flow[httpx.Response]:
        """One attempt at `request` within the deadline, logged; the response, or the
        transport failure raised."""
        started = time.perf_counter()
        try:
            left = self._remaining(request, deadline_at)
            self._attempt_timeouts(request, left)
            response = yield _Send(request, deadline_at, left, login)
        except (httpx.TransportError, _TooLarge) as exc:
            self._log(request, attempt, started, error=exc)
            raise
        assert response is not None  # a `_Send` is answered with its response
        self._log(request, attempt, started, response=response)
        return response

    def _send_args(self, step: _Send) -> dict[str, Any]:
        """How `step` goes out: streamed (the size cap is checked as it arrives), redirects
        never followed, a login without the client's auth."""
        auth = None if step.login else (self.auth or httpx.USE_CLIENT_DEFAULT)
        return {"auth": auth, "stream": True, "follow_redirects": False}

    # -- pure logic ---------------------------------------------------------------------------

    def build_request(self, method: str, path: str, **parts: Unpack[RequestParts]) -> httpx.Request:
        """An absolute request for `path` (relative to the base URL); None params are dropped."""
        url = url_under(self.base_url, path)
        params = parts.get("params") or {}
        query = {k: _query_value(v) for k, v in params.items() if v is not None}
        # Merge, never replace: `httpx.Request(params=...)` would drop a query already in `path`
        # (a next-link such as `items?cursor=abc`).
        if query:
            url = url.copy_merge_params(query)
        method = method.upper()
        extensions: dict[str, Any] = {"timeout": self.timeout.as_dict()}
        if method not in SAFE_METHODS:
            extensions[_WRITE] = True
        return httpx.Request(
            method,
            url,
            json=parts.get("json"),
            data=parts.get("data"),
            headers=self._headers,
            extensions=extensions,
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

    def _log(
        self,
        request: httpx.Request,
        attempt: int,
        started: float,
        response: httpx.Response | None = None,
        error: BaseException | None = None,
    ) -> None:
        if not log_enabled():
            return
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
        raise _undocumented(response.request, response.status_code, what)

    def parse(self, response: httpx.Response, model: type[M], data: Any = None) -> M:
        """Strictly parse a successful body (or `data` taken from it) into a wire model.

        Raises `ResponseParseError` when the body is not the documented JSON (`json_body`) or
        not a `model`; for the answer to a write, `WriteOutcomeUnknown` instead."""
        payload = self.json_body(response) if data is None else data
        try:
            return model.model_validate(payload)
        except pydantic.ValidationError as exc:
            problems = _problems(exc)
            self._not_documented(response, f"a body that is not a {model.__name__}: {problems}")

    def parse_items(
        self,
        response: httpx.Response,
        model: type[E],
        item: type[M],
        field: str = "results",
    ) -> tuple[E, ItemsOnce[M] | list[M]]:
        """A list answer (`model`, whose `field` is a list of `item`) with its items apart: the
        rest of the body parsed now (as strictly as `parse` does, with its errors), `field`
        left empty there; and the items, each validated into an `item` only when it is
        reached, its raw JSON let go then: a long answer never holds every item's wire model
        at once. Walk the items once, in order; one that is not an `item` raises the same
        `ResponseParseError` (or `WriteOutcomeUnknown`) when reached, naming its place
        (`results.7.amount`)."""
        body = self.json_body(response)
        raw = body.get(field) if isinstance(body, dict) else None
        if not isinstance(raw, list):
            # Not a list where the items belong: the strict parse says what is wrong (or,
            # for an optional field, what it holds).
            whole = self.parse(response, model, body)
            items: list[M] = list(getattr(whole, field))
            return whole, items
        rest = self.parse(response, model, {**body, field: []})
        request, status = response.request, response.status_code

        def failed(problems: str) -> NoReturn:
            raise _undocumented(
                request, status, f"a body that is not a {model.__name__}: {problems}"
            )

        return rest, ItemsOnce(raw, item, field, failed)


def _undocumented(request: httpx.Request, status: int, what: str) -> Exception:
    """The error for a successful answer (`status`) to `request` that is not as documented
    (`what` it was): `WriteOutcomeUnknown` for a write, else `ResponseParseError`."""
    if _is_write(request):
        return WriteOutcomeUnknown(
            request.method, request.url.path, f"it answered {status} with {what}"
        )
    return ResponseParseError(f"{request.method} {request.url.path} answered {status} with {what}")


class ItemsOnce(Generic[M]):
    """The items of one list answer (`BaseClient.parse_items`), each validated into a `model`
    when it is reached and its raw JSON let go then, so it can be walked once; `len` is the
    number of items the answer holds."""

    def __init__(
        self, raw: list[Any], model: type[M], field: str, failed: Callable[[str], NoReturn]
    ) -> None:
        self._raw, self._model, self._field, self._failed = raw, model, field, failed
        self._count = len(raw)

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[M]:
        raw, self._raw = self._raw, []  # a second walk finds nothing, never stale items
        for index in range(len(raw)):
            item, raw[index] = raw[index], None
            try:
                yield self._model.model_validate(item)
            except pydantic.ValidationError as exc:
                self._failed(_problems(exc, f"{self._field}.{index}"))
            del item


def _problems(exc: pydantic.ValidationError, prefix: str = "") -> str:
    """The first few problems of a failed validation, each with where it is in the body
    (below `prefix`, the place of the validated part)."""
    texts = []
    for err in exc.errors()[:5]:
        where = ".".join(([prefix] if prefix else []) + [str(p) for p in err["loc"]])
        texts.append(f"{where or '<body>'}: {err['msg'][:200]}")
    return "; ".join(texts)


def _query_value(value: str | int | float | bool) -> str | int | float:
    return ("true" if value else "false") if isinstance(value, bool) else value


def _as_is(response: httpx.Response) -> httpx.Response:
    return response


def _http_client(
    client: BaseClient, kinds: tuple[type[H], type[object]], options: ClientOptions, other: str
) -> H:
    """The option `http_client`, or a new one of `kinds[0]` over the option `transport`. One of
    the other kind (sync vs async) is refused, saying which client takes it."""
    http_client = options.get("http_client")
    transport: Any = options.get("transport")  # of `kinds[1]`, checked below
    for given, kind in zip((http_client, transport), kinds, strict=True):
        if given is not None and not isinstance(given, kind):
            raise TypeError(
                f"{type(client).__name__} needs {kind.__module__}.{kind.__qualname__}, not "
                f"{type(given).__name__} (use the {other} for that)"
            )
    if isinstance(http_client, kinds[0]):
        return http_client
    return kinds[0](transport=transport, timeout=client.timeout)


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


@dataclass(frozen=True)
class _Send:
    """Send `request` once and read its body, within the deadline `deadline_at` (`left`
    seconds from now; None: no deadline)."""

    request: httpx.Request
    deadline_at: float | None
    left: float | None
    login: bool


@dataclass(frozen=True)
class _Wait:
    """Wait before the next attempt."""

    seconds: float


_Step = _Send | _Wait
# The steps of one operation: each `_Send` is answered with its response (or what sending
# raised, thrown in), each `_Wait` with None; the generator's value is the operation's result.
_Flow = Generator[_Step, httpx.Response | None, T]


@dataclass(frozen=True)
class _Finished(Generic[T]):
    value: T


@dataclass(frozen=True)
class _Outcome:
    """What performing a step came to: its response (None after a wait) or its error."""

    response: httpx.Response | None = None
    error: Exception | None = None

    def resume(self, flow: _Flow[T]) -> _Step | _Finished[T]:
        """Hand this outcome to `flow`: its next step, or its result."""
        try:
            if self.error is not None:
                return flow.throw(self.error)
            return flow.send(self.response)
        except StopIteration as done:
            return _Finished(done.value)


class _Body:
    """The body of one answer as it arrives, within the size cap."""

    def __init__(self, request: httpx.Request, cap: int) -> None:
        self._request = request
        self._cap = cap
        self._data = bytearray()

    def take(self, chunk: bytes) -> None:
        self._data += chunk
        if len(self._data) > self._cap:
            raise _TooLarge(self._cap)

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """A body the server encoded wrongly is a broken answer, as a dropped one is."""
        try:
            yield
        except httpx.DecodingError as exc:
            raise httpx.RemoteProtocolError(str(exc), request=self._request) from None

    def into(self, response: httpx.Response) -> httpx.Response:
        """`response` (its stream read and closed) holding the body, as `Response.read()`
        would leave it: `.content`, `.text` and `.json()` work as on any read response."""
        response._content = bytes(self._data)
        # The stream httpx left on the response points back at it: a cycle, which kept each
        # answer (a page of a bulk read can be megabytes) until the cyclic collector ran. The
        # stream is read and closed; the body now stands in for it, as for a built response.
        response.stream = httpx.ByteStream(response._content)
        return response


class SyncAPIClient(BaseClient):
    """Blocking client; pass `http_client` or `transport` to route requests elsewhere."""

    def _open(self, options: ClientOptions) -> None:
        kinds = (httpx.Client, httpx.BaseTransport)
        self._http = _http_client(self, kinds, options, "AsyncClient")
        self._sleep: Callable[[float], None] = options.get("sleep") or time.sleep

    def run(self, request: Request[T]) -> T:
        """Send one described operation (see `operations`) and parse its answer."""
        flow = self._flow(request)
        try:
            step = _Outcome().resume(flow)
            while not isinstance(step, _Finished):
                step = self._perform(step).resume(flow)
            return step.value
        finally:
            flow.close()  # an abandoned flow ends here, not whenever the collector runs

    def iterate(self, pager: Pager[T]) -> Iterator[T]:
        """Every item of a paginated list, each page fetched when the loop reaches it."""
        return iterate_pages(lambda cursor: self.run(pager.call(cursor)))

    def _perform(self, step: _Step) -> _Outcome:
        try:
            if isinstance(step, _Wait):
                self._sleep(step.seconds)
                return _Outcome()
            return _Outcome(self._read(step))
        except Exception as exc:
            return _Outcome(error=exc)

    def _read(self, step: _Send) -> httpx.Response:
        """Send once and read the body, within the size cap and the deadline (checked between
        chunks; no single read waits past it either)."""
        response = self._http.send(step.request, **self._send_args(step))
        body = _Body(step.request, self.max_response_bytes)
        with contextlib.closing(response), body.reading():
            for chunk in response.iter_bytes():
                body.take(chunk)
                self._remaining(step.request, step.deadline_at)
        return body.into(response)

    def close(self) -> None:
        if self._owns_client:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


async def _asyncio_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


class AsyncAPIClient(BaseClient):
    """Asyncio client: the same operations as `SyncAPIClient`, awaited."""

    def _open(self, options: ClientOptions) -> None:
        kinds = (httpx.AsyncClient, httpx.AsyncBaseTransport)
        self._http = _http_client(self, kinds, options, "Client")
        self._sleep: Callable[[float], Awaitable[None]] = options.get("sleep") or _asyncio_sleep

    async def run(self, request: Request[T]) -> T:
        """Send one described operation (see `operations`) and parse its answer."""
        flow = self._flow(request)
        try:
            step = _Outcome().resume(flow)
            while not isinstance(step, _Finished):
                step = (await self._perform(step)).resume(flow)
            return step.value
        finally:
            flow.close()  # a cancelled request's flow ends here, not in the collector

    def iterate(self, pager: Pager[T]) -> AsyncIterator[T]:
        """Every item of a paginated list, each page fetched when the loop reaches it."""

        async def fetch(cursor: Hashable | None) -> Page[T]:
            return await self.run(pager.call(cursor))

        return aiterate_pages(fetch)

    async def _perform(self, step: _Step) -> _Outcome:
        try:
            if isinstance(step, _Wait):
                await self._sleep(step.seconds)
                return _Outcome()
            try:
                async with asyncio.timeout(step.left):
                    return _Outcome(await self._read(step))
            except TimeoutError:
                raise _PastDeadline(self.deadline or 0.0, request=step.request) from None
        except Exception as exc:
            return _Outcome(error=exc)

    async def _read(self, step: _Send) -> httpx.Response:
        """Send once and read the body within the size cap (`_perform` bounds the time)."""
        response = await self._http.send(step.request, **self._send_args(step))
        body = _Body(step.request, self.max_response_bytes)
        async with contextlib.aclosing(response):
            with body.reading():
                async for chunk in response.aiter_bytes():
                    body.take(chunk)
        return body.into(response)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


__all__ = [
    "USER_AGENT",
    "APIStatusError",
    "AsyncAPIClient",
    "BaseClient",
    "ClientOptions",
    "SyncAPIClient",
    "base_url_of",
]
