"""Error mapping, and secrets kept out of logs and error messages."""

from __future__ import annotations

import base64
import io
import json
import traceback
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx
import structlog
from structlog.testing import capture_logs

from balance_gateway.adapters._core.auth import (
    BasicAPIKeyAuth,
    LoginAuth,
    StaticTokenAuth,
    TokenGrant,
)
from balance_gateway.adapters._core.client import AsyncAPIClient, SyncAPIClient
from balance_gateway.adapters._core.errors import (
    APIStatusError,
    AuthenticationError,
    ConflictError,
    GatewayError,
    NotFoundError,
    PaginationError,
    PermissionDeniedError,
    RateLimitError,
    RequestValidationError,
    ResponseParseError,
    ServerError,
    TransportError,
    UnprocessableError,
    ValidationError,
    WriteOutcomeUnknown,
    status_error,
)
from balance_gateway.adapters._core.logging import logger, redact_secrets
from balance_gateway.adapters._core.retry import RetryPolicy
from balance_gateway.adapters._core.secrets import MASK, Secret, register_secret, scrub
from tests.adapters.sync_async import core_client, send

BASE = "https://api.example.test/v1"
# Distinctive values: the scrubber remembers every secret for the rest of the session.
TOKEN = "tok-live-4f9c2e7a1b"
API_KEY = "ak-live-8d3e6f0a2c"
PASSWORD = "pw-s3cret-horse-92"
LOGIN_TOKEN = "lt-issued-6b5a4c3d"
SECRETS = (TOKEN, API_KEY, PASSWORD, LOGIN_TOKEN)


def make_client(mode: str, **kwargs: Any) -> SyncAPIClient | AsyncAPIClient:
    return core_client(mode, **{"base_url": BASE, "retry": RetryPolicy.none(), **kwargs})


async def failure(
    client: SyncAPIClient | AsyncAPIClient, method: str, path: str, **kwargs: Any
) -> GatewayError:
    """The error a request raises (the test fails if it succeeds)."""
    with pytest.raises(GatewayError) as caught:
        await send(client, method, path, **kwargs)
    return caught.value


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


# -- error mapping --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, ValidationError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableError),
        (429, RateLimitError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (504, ServerError),
        (418, APIStatusError),
    ],
)
async def test_error_statuses_map_to_typed_errors_with_the_parsed_body(
    mode: str, api: respx.MockRouter, status: int, error_class: type[APIStatusError]
) -> None:
    body = {"error": "vendor says no", "code": f"E{status}"}
    api.get("/employees/e-9").mock(return_value=httpx.Response(status, json=body))

    error = await failure(make_client(mode), "GET", "employees/e-9")

    assert type(error) is error_class
    assert isinstance(error, APIStatusError)
    assert error.status_code == status
    assert error.body == body
    assert error.method == "GET"
    assert error.path == "/v1/employees/e-9"
    assert str(error) == f"GET /v1/employees/e-9 -> {status}: vendor says no"
    assert error.retriable is (status == 429 or status >= 500)


def test_unprocessable_is_a_kind_of_validation_error() -> None:
    assert issubclass(UnprocessableError, ValidationError)


@pytest.mark.parametrize(
    "error_class",
    [
        RequestValidationError,
        PaginationError,
        ResponseParseError,
        TransportError,
        WriteOutcomeUnknown,
        APIStatusError,
    ],
)
def test_every_error_is_a_gateway_error(error_class: type[Exception]) -> None:
    assert issubclass(error_class, GatewayError)


def test_request_validation_error_is_also_a_value_error() -> None:
    error = RequestValidationError("limit", "must be at most 100")
    assert isinstance(error, ValueError)
    assert error.field == "limit"
    assert str(error) == "limit: must be at most 100"


async def test_rate_limit_error_carries_the_retry_after_hint(
    mode: str, api: respx.MockRouter
) -> None:
    api.get("/a").mock(return_value=httpx.Response(429, headers={"Retry-After": "12"}))
    api.get("/b").mock(return_value=httpx.Response(429))
    client = make_client(mode)
    hinted = await failure(client, "GET", "a")
    unhinted = await failure(client, "GET", "b")
    assert isinstance(hinted, RateLimitError)
    assert hinted.retry_after == 12.0
    assert isinstance(unhinted, RateLimitError)
    assert unhinted.retry_after is None


async def test_a_non_json_error_body_is_kept_as_text(mode: str, api: respx.MockRouter) -> None:
    api.get("/x").mock(return_value=httpx.Response(404, text="no such route"))
    error = await failure(make_client(mode), "GET", "x")
    assert isinstance(error, NotFoundError)
    assert error.body == "no such route"
    assert str(error) == "GET /v1/x -> 404: no such route"


async def test_an_empty_error_body_gives_a_bare_message(mode: str, api: respx.MockRouter) -> None:
    api.delete("/x").mock(return_value=httpx.Response(409))
    error = await failure(make_client(mode), "DELETE", "x")
    assert isinstance(error, ConflictError)
    assert error.body == ""
    assert str(error) == "DELETE /v1/x -> 409"


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        ({"message": "m"}, "m"),
        ({"detail": "d"}, "d"),
        ({"errors": ["a", "b"]}, "['a', 'b']"),
        ({"error": "e", "message": "m"}, "e"),
        ({"other": 1}, "{'other': 1}"),
        (["x"], "['x']"),
    ],
)
def test_the_vendor_message_is_found_whatever_its_field_is_called(body: Any, shown: str) -> None:
    response = httpx.Response(400, json=body, request=httpx.Request("POST", BASE + "/x"))
    assert str(status_error(response)) == f"POST /v1/x -> 400: {shown}"


def test_a_long_text_body_is_truncated_in_the_message_but_kept_whole() -> None:
    text = "x" * 2000
    response = httpx.Response(500, text=text, request=httpx.Request("GET", BASE))
    error = status_error(response)
    assert error.body == text
    assert len(str(error)) < 600


# -- secrets: values, scrubbing, structlog processor ----------------------------------------


def test_a_secret_never_shows_its_value() -> None:
    secret = Secret(TOKEN)
    assert str(secret) == MASK
    assert repr(secret) == "Secret('***')"
    assert f"{secret}" == MASK
    assert TOKEN not in f"{[secret]} {secret!r} {secret!s}"
    assert secret.reveal() == TOKEN
    assert Secret(secret).reveal() == TOKEN
    assert secret == Secret(TOKEN)
    assert hash(secret) == hash(Secret(TOKEN))
    assert not Secret("")


def test_a_secret_must_be_text() -> None:
    with pytest.raises(TypeError):
        Secret(1234)  # type: ignore[arg-type]


def test_scrub_masks_every_registered_value_longest_first() -> None:
    register_secret("sk-prefix-0c0c0c")
    register_secret("sk-prefix-0c0c0c-and-more")
    text = "a=sk-prefix-0c0c0c-and-more b=sk-prefix-0c0c0c c=public"
    assert scrub(text) == "a=*** b=*** c=public"


def test_very_short_values_are_not_scrubbed() -> None:
    register_secret("ab")  # would mask innocent text everywhere
    assert scrub("label abc") == "label abc"


def test_redact_secrets_masks_secret_keys_and_known_values() -> None:
    Secret(TOKEN)
    event = {
        "event": f"calling with {TOKEN}",
        "Authorization": f"Bearer {TOKEN}",
        "password": "anything-at-all",
        "headers": {"authorization": "x", "Cookie": "sid=1", "X-Trace": f"t {TOKEN}"},
        "attempts": [f"a {TOKEN}", ("b", TOKEN)],
        "status": 401,
    }
    cleaned = redact_secrets(None, "info", event)
    assert cleaned == {
        "event": "calling with ***",
        "Authorization": "***",
        "password": "***",
        "headers": {"authorization": "***", "Cookie": "***", "X-Trace": "t ***"},
        "attempts": ["a ***", ("b", "***")],
        "status": 401,
    }


@pytest.fixture
def rendered() -> Iterator[io.StringIO]:
    """structlog rendering JSON lines through `redact_secrets` into a buffer."""
    previous = structlog.get_config()
    buffer = io.StringIO()
    structlog.configure(
        processors=[redact_secrets, structlog.processors.JSONRenderer(sort_keys=True)],
        logger_factory=structlog.PrintLoggerFactory(file=buffer),
        cache_logger_on_first_use=False,
    )
    try:
        yield buffer
    finally:
        structlog.configure(**previous)


class FormLogin(LoginAuth):
    def __init__(self, password: str) -> None:
        super().__init__()
        self._password = Secret(password)

    def build_login_request(self, base: httpx.URL) -> httpx.Request:
        return httpx.Request(
            "POST", base.join("/v1/login"), data={"user": "ada", "pass": self._password.reveal()}
        )

    def parse_login_response(self, response: httpx.Response) -> TokenGrant:
        token = Secret(response.json()["token"])
        return TokenGrant(Secret(f"Token {token.reveal()}"))


def echo_everything(request: httpx.Request) -> httpx.Response:
    """A vendor that echoes the credentials it was sent, in its body and in a header."""
    authorization = request.headers.get("Authorization", "")
    sent = request.content.decode()
    return httpx.Response(
        401,
        headers={"WWW-Authenticate": authorization},
        json={"error": f"rejected {authorization!r}; body {sent}", "token": TOKEN},
    )


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text
    basic = base64.b64encode(f"acme:{API_KEY}".encode()).decode()
    assert basic not in text


def error_texts(error: BaseException) -> str:
    return "\n".join(
        [str(error), repr(error), *map(str, error.args), *traceback.format_exception(error)]
    )


async def fail_with_every_credential(mode: str) -> list[str]:
    """Send a GET and a POST with each kind of credential to a vendor that echoes them; return
    the text of every error raised."""
    auths: list[httpx.Auth] = [
        StaticTokenAuth(TOKEN),
        StaticTokenAuth(TOKEN, scheme="Token"),
        BasicAPIKeyAuth("acme", API_KEY),
        FormLogin(PASSWORD),
    ]
    texts: list[str] = []
    for auth in auths:
        client = make_client(mode, auth=auth)
        for method in ("GET", "POST"):
            payload = {"password": PASSWORD, "api_key": API_KEY}
            error = await failure(client, method, "secure", json=payload)
            assert isinstance(error, AuthenticationError)
            texts.append(error_texts(error))
    return texts


@pytest.fixture
def echoing_vendor(api: respx.MockRouter) -> respx.MockRouter:
    api.post("/login").mock(return_value=httpx.Response(200, json={"token": LOGIN_TOKEN}))
    api.get("/secure").mock(side_effect=echo_everything)
    api.post("/secure").mock(side_effect=echo_everything)
    return api


async def test_credentials_never_reach_captured_logs_or_errors(
    mode: str, echoing_vendor: respx.MockRouter
) -> None:
    with capture_logs() as captured:
        texts = await fail_with_every_credential(mode)
    assert len(captured) == 8  # one event per request
    assert_no_secret(json.dumps(captured, default=str))
    assert_no_secret("\n".join(texts))
    # The echoing vendor was really sent (and answered with) the credentials.
    sent = [call.request.headers.get("Authorization", "") for call in echoing_vendor.calls]
    assert f"Bearer {TOKEN}" in sent


async def test_credentials_never_reach_a_rendered_log_line(
    mode: str, echoing_vendor: respx.MockRouter, rendered: io.StringIO
) -> None:
    await fail_with_every_credential(mode)
    # Somebody logs carelessly through the same logger.
    logger.info("debug", headers={"Authorization": f"Bearer {TOKEN}"}, note=f"key={API_KEY}")
    lines = rendered.getvalue().splitlines()
    assert len(lines) == 8 + 1
    assert all(json.loads(line)["event"] == "http.request" for line in lines[:-1])
    assert_no_secret(rendered.getvalue())
    assert json.loads(lines[-1]) == {
        "event": "debug",
        "headers": {"Authorization": "***"},
        "note": "key=***",
    }


async def test_an_echoed_basic_credential_is_masked_in_errors(
    mode: str, api: respx.MockRouter
) -> None:
    encoded = base64.b64encode(f"acme:{API_KEY}".encode()).decode()
    api.get("/me").mock(
        return_value=httpx.Response(401, json={"error": f"unknown credentials {encoded}"})
    )
    error = await failure(make_client(mode, auth=BasicAPIKeyAuth("acme", API_KEY)), "GET", "me")
    assert encoded not in str(error)
    assert str(error).endswith("unknown credentials ***")


async def test_a_network_error_quoting_a_secret_is_masked(mode: str, api: respx.MockRouter) -> None:
    Secret(API_KEY)
    api.get("/x").mock(side_effect=httpx.ConnectError(f"cannot reach ?api_key={API_KEY}"))
    api.post("/y").mock(side_effect=httpx.ReadTimeout(f"timed out on ?api_key={API_KEY}"))
    client = make_client(mode)
    transport_error = await failure(client, "GET", "x")
    unknown = await failure(client, "POST", "y")
    assert isinstance(transport_error, TransportError)
    assert isinstance(unknown, WriteOutcomeUnknown)
    assert_no_secret(error_texts(transport_error) + error_texts(unknown))
    assert "api_key=***" in str(transport_error)


async def test_a_secret_in_a_path_is_masked_in_logs_and_errors(
    mode: str, api: respx.MockRouter
) -> None:
    # Some vendors put the key in the URL path itself.
    Secret(API_KEY)
    api.get(f"/keys/{API_KEY}/employees").mock(return_value=httpx.Response(404))
    with capture_logs() as captured:
        error = await failure(make_client(mode), "GET", f"keys/{API_KEY}/employees")
    assert captured[0]["path"] == "/v1/keys/***/employees"
    assert_no_secret(error_texts(error))
