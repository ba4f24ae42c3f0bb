"""Auth flows: static tokens, Basic with an API key, and login-exchange with renewal."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx
from structlog.testing import capture_logs

from balance_gateway.adapters._core.auth import (
    BasicAPIKeyAuth,
    LoginAuth,
    LoginError,
    StaticTokenAuth,
    TokenGrant,
)
from balance_gateway.adapters._core.client import AsyncAPIClient, SyncAPIClient
from balance_gateway.adapters._core.errors import (
    AuthenticationError,
    GatewayError,
    ServerError,
    TransportError,
    WriteOutcomeUnknown,
)
from balance_gateway.adapters._core.secrets import Secret
from tests.adapters.sync_async import core_client, no_asleep, send

BASE = "https://hr.example.test/api"
LOGIN_URL = "https://hr.example.test/auth/login"
USERNAME = "integration@acme.example"
PASSWORD = "pw-correct-horse-battery-51"
T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def make_client(mode: str, auth: httpx.Auth, **kwargs: Any) -> SyncAPIClient | AsyncAPIClient:
    return core_client(mode, base_url=BASE, auth=auth, **kwargs)


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as mocked:
        yield mocked


# -- static credentials ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scheme", "expected"),
    [
        ("Bearer", "Bearer st-token-0a1b2c3d"),
        ("Token", "Token st-token-0a1b2c3d"),
        ("", "st-token-0a1b2c3d"),
    ],
)
async def test_static_token_uses_the_vendor_scheme(
    mode: str, router: respx.MockRouter, scheme: str, expected: str
) -> None:
    route = router.get(f"{BASE}/me").mock(return_value=httpx.Response(200, json={}))
    client = make_client(mode, StaticTokenAuth("st-token-0a1b2c3d", scheme=scheme))
    await send(client, "GET", "me")
    assert route.calls.last.request.headers["Authorization"] == expected


def test_static_token_defaults_to_bearer_and_accepts_a_secret() -> None:
    request = httpx.Request("GET", BASE)
    flow = StaticTokenAuth(Secret("st-token-ffee0011")).sync_auth_flow(request)
    assert next(flow).headers["Authorization"] == "Bearer st-token-ffee0011"


async def test_basic_api_key_auth_sends_user_and_key(mode: str, router: respx.MockRouter) -> None:
    route = router.get(f"{BASE}/me").mock(return_value=httpx.Response(200, json={}))
    client = make_client(mode, BasicAPIKeyAuth("acme", "ak-5e6f7a8b9c"))
    await send(client, "GET", "me")
    header = route.calls.last.request.headers["Authorization"]
    scheme, encoded = header.split(" ")
    assert scheme == "Basic"
    assert base64.b64decode(encoded).decode() == "acme:ak-5e6f7a8b9c"


def test_auth_objects_do_not_show_their_credentials() -> None:
    auths = [
        StaticTokenAuth("st-token-7c7c7c7c"),
        BasicAPIKeyAuth("acme", "ak-7d7d7d7d7d"),
    ]
    for auth in auths:
        shown = repr(vars(auth))
        assert "st-token-7c7c7c7c" not in shown
        assert "ak-7d7d7d7d7d" not in shown


# -- login exchange -------------------------------------------------------------------------


class PasswordLogin(LoginAuth):
    """A vendor whose login takes a user and password and answers a token with a lifetime."""

    def __init__(
        self, username: str, password: str, *, clock: Callable[[], datetime] | None = None
    ) -> None:
        super().__init__(clock=clock)
        self.username = username
        self._password = Secret(password)
        self._now = clock or (lambda: datetime.now(UTC))

    def build_login_request(self, base: httpx.URL) -> httpx.Request:
        return httpx.Request(
            "POST",
            base.join("/auth/login"),
            json={"username": self.username, "password": self._password.reveal()},
        )

    def parse_login_response(self, response: httpx.Response) -> TokenGrant:
        body = response.json()
        token = Secret(body["token"])
        expires_at = self._now() + timedelta(seconds=body["expires_in"])
        return TokenGrant(Secret(f"Bearer {token.reveal()}"), expires_at=expires_at)


class FakeVendor:
    """A login endpoint issuing numbered tokens, and an API accepting only live ones."""

    def __init__(self, router: respx.MockRouter) -> None:
        self.issued: list[str] = []
        self.valid: set[str] = set()
        self.expires_in = 3600
        self.login_route = router.post(LOGIN_URL).mock(side_effect=self.login)
        self.api_route = router.get(f"{BASE}/balances").mock(side_effect=self.balances)

    def login(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body != {"username": USERNAME, "password": PASSWORD}:
            # Some vendors echo what they were sent.
            return httpx.Response(
                401, json={"error": f"invalid credentials for {body['password']}"}
            )
        token = f"lt-{len(self.issued) + 1}-a9b8c7d6"
        self.issued.append(token)
        self.valid.add(token)
        return httpx.Response(200, json={"token": token, "expires_in": self.expires_in})

    def balances(self, request: httpx.Request) -> httpx.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token in self.valid:
            return httpx.Response(200, json={"balances": [], "token_used": token[:4]})
        return httpx.Response(401, json={"error": "token invalid or expired"})

    def tokens_sent(self) -> list[str]:
        return [call.request.headers["Authorization"] for call in self.api_route.calls]


async def test_login_happens_once_and_the_token_is_reused(
    mode: str, router: respx.MockRouter
) -> None:
    vendor = FakeVendor(router)
    auth = PasswordLogin(USERNAME, PASSWORD)
    client = make_client(mode, auth)
    for _ in range(3):
        assert (await send(client, "GET", "balances")).status_code == 200
    assert vendor.login_route.call_count == 1
    assert auth.login_count == 1
    assert vendor.tokens_sent() == ["Bearer lt-1-a9b8c7d6"] * 3


async def test_a_401_triggers_exactly_one_relogin(mode: str, router: respx.MockRouter) -> None:
    vendor = FakeVendor(router)
    auth = PasswordLogin(USERNAME, PASSWORD)
    client = make_client(mode, auth)
    await send(client, "GET", "balances")
    vendor.valid.clear()  # the vendor revokes the token

    response = await send(client, "GET", "balances")

    assert response.status_code == 200
    assert vendor.login_route.call_count == 2
    assert auth.login_count == 2
    assert vendor.tokens_sent() == [
        "Bearer lt-1-a9b8c7d6",
        "Bearer lt-1-a9b8c7d6",
        "Bearer lt-2-a9b8c7d6",
    ]


async def test_a_second_401_after_relogin_raises_without_looping(
    mode: str, router: respx.MockRouter
) -> None:
    vendor = FakeVendor(router)
    vendor.api_route.mock(return_value=httpx.Response(401, json={"error": "role missing"}))
    client = make_client(mode, PasswordLogin(USERNAME, PASSWORD))

    with pytest.raises(AuthenticationError) as caught:
        await send(client, "GET", "balances")

    assert not isinstance(caught.value, LoginError)
    assert caught.value.status_code == 401
    assert caught.value.body == {"error": "role missing"}
    assert vendor.login_route.call_count == 2
    assert vendor.api_route.call_count == 2


async def test_an_expiring_token_is_renewed_before_use(mode: str, router: respx.MockRouter) -> None:
    vendor = FakeVendor(router)
    now = [T0]
    auth = PasswordLogin(USERNAME, PASSWORD, clock=lambda: now[0])
    client = make_client(mode, auth)

    await send(client, "GET", "balances")
    assert auth.grant is not None
    assert auth.grant.expires_at == T0 + timedelta(hours=1)

    now[0] = T0 + timedelta(seconds=3600 - 61)  # outside the renewal margin: reuse
    await send(client, "GET", "balances")
    assert vendor.login_route.call_count == 1

    now[0] = T0 + timedelta(seconds=3600 - 59)  # inside it: renew first
    await send(client, "GET", "balances")
    assert vendor.login_route.call_count == 2
    assert vendor.tokens_sent()[-1] == "Bearer lt-2-a9b8c7d6"
    # Renewal came from the clock, not from a refused request.
    assert [call.response.status_code for call in vendor.api_route.calls] == [200, 200, 200]


async def test_a_refused_login_raises_login_error_and_sends_nothing_else(
    mode: str, router: respx.MockRouter
) -> None:
    vendor = FakeVendor(router)
    wrong = "pw-wrong-guess-7f6e5d"
    client = make_client(mode, PasswordLogin(USERNAME, wrong))

    with pytest.raises(LoginError) as caught:
        await send(client, "GET", "balances")

    assert isinstance(caught.value, AuthenticationError)
    assert caught.value.status_code == 401
    assert caught.value.path == "/auth/login"
    assert vendor.login_route.call_count == 1
    assert vendor.api_route.call_count == 0
    # The vendor echoed the password back; the message does not.
    assert wrong not in str(caught.value)
    assert wrong not in repr(caught.value)
    assert "***" in str(caught.value)


async def test_a_refused_relogin_raises_login_error(mode: str, router: respx.MockRouter) -> None:
    vendor = FakeVendor(router)
    client = make_client(mode, PasswordLogin(USERNAME, PASSWORD))
    await send(client, "GET", "balances")
    vendor.valid.clear()
    vendor.login_route.mock(return_value=httpx.Response(403, json={"error": "account locked"}))

    with pytest.raises(LoginError, match="account locked") as caught:
        await send(client, "GET", "balances")
    assert caught.value.status_code == 403


async def test_a_login_answer_without_a_token_names_keys_not_values(
    mode: str, router: respx.MockRouter
) -> None:
    vendor = FakeVendor(router)
    vendor.login_route.mock(
        return_value=httpx.Response(200, json={"access": "lt-unexpected-shape-31", "ttl": 60})
    )
    client = make_client(mode, PasswordLogin(USERNAME, PASSWORD))

    with pytest.raises(GatewayError, match="body keys: access, ttl") as caught:
        await send(client, "GET", "balances")
    assert not isinstance(caught.value, LoginError)
    assert "lt-unexpected-shape-31" not in str(caught.value)
    assert vendor.api_route.call_count == 0


async def test_a_retried_request_does_not_log_in_again(mode: str, router: respx.MockRouter) -> None:
    vendor = FakeVendor(router)
    vendor.api_route.mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json={"balances": []})]
    )
    client = make_client(mode, PasswordLogin(USERNAME, PASSWORD))
    assert (await send(client, "GET", "balances")).status_code == 200
    assert vendor.login_route.call_count == 1
    assert vendor.api_route.call_count == 2


async def test_a_persistent_503_does_not_trigger_login(mode: str, router: respx.MockRouter) -> None:
    vendor = FakeVendor(router)
    vendor.api_route.mock(return_value=httpx.Response(503))
    client = make_client(mode, PasswordLogin(USERNAME, PASSWORD))
    with pytest.raises(ServerError):
        await send(client, "GET", "balances")
    assert vendor.login_route.call_count == 1


def _drive_to_first_request(auth: LoginAuth, request: httpx.Request) -> Any:
    flow = auth.sync_auth_flow(request)
    sent = next(flow)
    return flow, sent


def test_a_401_after_someone_else_renewed_reuses_their_token() -> None:
    auth = PasswordLogin(USERNAME, PASSWORD)
    auth.set_grant(TokenGrant(Secret("Bearer lt-old-00112233")))
    request = httpx.Request("GET", f"{BASE}/balances")
    flow, sent = _drive_to_first_request(auth, request)
    assert sent.headers["Authorization"] == "Bearer lt-old-00112233"

    # While this request was in flight, a concurrent one renewed the token.
    auth.set_grant(TokenGrant(Secret("Bearer lt-new-44556677")))
    retried = flow.send(httpx.Response(401, request=sent))

    assert retried.url.path == "/api/balances"  # no login request in between
    assert retried.headers["Authorization"] == "Bearer lt-new-44556677"
    with pytest.raises(StopIteration):
        flow.send(httpx.Response(200, request=retried))


def test_set_grant_none_forces_a_new_login() -> None:
    auth = PasswordLogin(USERNAME, PASSWORD)
    auth.set_grant(TokenGrant(Secret("Bearer lt-cached-8899aabb")))
    assert not auth.needs_login()
    auth.set_grant(None)
    assert auth.needs_login()
    _, first = _drive_to_first_request(auth, httpx.Request("GET", f"{BASE}/balances"))
    assert str(first.url) == LOGIN_URL


def test_a_grant_without_expiry_never_expires() -> None:
    auth = PasswordLogin(USERNAME, PASSWORD, clock=lambda: datetime(9999, 1, 1, tzinfo=UTC))
    auth.set_grant(TokenGrant(Secret("Bearer lt-forever-ccddeeff")))
    assert not auth.needs_login()


# -- logging in explicitly: `login_with` / `send_login` ---------------------------------------


async def login_with(client: SyncAPIClient | AsyncAPIClient, auth: LoginAuth) -> TokenGrant:
    if isinstance(client, SyncAPIClient):
        return client.login_with(auth)
    return await client.login_with(auth)


async def send_login(client: SyncAPIClient | AsyncAPIClient, auth: LoginAuth) -> httpx.Response:
    if isinstance(client, SyncAPIClient):
        return client.send_login(auth)
    return await client.send_login(auth)


async def test_login_with_logs_in_once_and_the_grant_serves_later_requests(
    mode: str, router: respx.MockRouter
) -> None:
    vendor = FakeVendor(router)
    auth = PasswordLogin(USERNAME, PASSWORD)
    client = make_client(mode, auth)

    grant = await login_with(client, auth)

    assert grant is auth.grant
    assert grant.header_value.reveal() == "Bearer lt-1-a9b8c7d6"
    assert auth.login_count == 1
    await send(client, "GET", "balances")
    assert vendor.login_route.call_count == 1
    assert vendor.tokens_sent() == ["Bearer lt-1-a9b8c7d6"]


async def test_login_with_bypasses_auth_and_retries(mode: str, router: respx.MockRouter) -> None:
    vendor = FakeVendor(router)
    vendor.login_route.mock(return_value=httpx.Response(503))
    auth = PasswordLogin(USERNAME, PASSWORD)
    # A client whose own auth would add a header: the login request must not carry it.
    client = make_client(mode, StaticTokenAuth("st-token-0a1b2c3d"))

    with pytest.raises(LoginError) as caught:
        await login_with(client, auth)

    assert caught.value.status_code == 503
    assert vendor.login_route.call_count == 1  # not retried
    assert "Authorization" not in vendor.login_route.calls[0].request.headers
    assert auth.grant is None


async def test_login_with_raises_login_error_without_the_password(
    mode: str, router: respx.MockRouter
) -> None:
    FakeVendor(router)
    wrong = "pw-wrong-guess-0c0c0c"
    auth = PasswordLogin(USERNAME, wrong)

    with pytest.raises(LoginError) as caught:
        await login_with(make_client(mode, auth), auth)

    assert caught.value.status_code == 401
    assert caught.value.path == "/auth/login"
    assert wrong not in str(caught.value)
    assert auth.login_count == 0


async def test_login_with_maps_a_network_failure_to_transport_error(
    mode: str, router: respx.MockRouter
) -> None:
    router.post(LOGIN_URL).mock(side_effect=httpx.ConnectError("connection refused"))
    auth = PasswordLogin(USERNAME, PASSWORD)

    with capture_logs() as logs, pytest.raises(TransportError) as caught:
        await login_with(make_client(mode, auth), auth)

    assert not isinstance(caught.value, WriteOutcomeUnknown)
    # Names the host and port it could not reach (issue 14, item 7).
    assert str(caught.value).startswith(
        "POST /auth/login: could not connect to hr.example.test:443 "
        "(ConnectError: connection refused)"
    )
    assert [(e["event"], e["error"]) for e in logs] == [("http.request", "ConnectError")]


async def test_send_login_answers_the_raw_response_and_logs_one_event(
    mode: str, router: respx.MockRouter
) -> None:
    FakeVendor(router)
    auth = PasswordLogin(USERNAME, PASSWORD)

    with capture_logs() as logs:
        response = await send_login(make_client(mode, auth), auth)

    assert response.json() == {"token": "lt-1-a9b8c7d6", "expires_in": 3600}
    assert auth.grant is None  # the caller accepts it
    assert [(e["event"], e["path"], e["status"]) for e in logs] == [
        ("http.request", "/auth/login", 200)
    ]
    assert PASSWORD not in repr(logs)


# -- where a grant goes: `apply_grant` --------------------------------------------------------


class CookieLogin(PasswordLogin):
    """A vendor that wants its session as a cookie rather than in `Authorization`."""

    def apply_grant(self, request: httpx.Request, grant: TokenGrant) -> None:
        request.headers["Cookie"] = f"session={grant.header_value.reveal()}"


def test_apply_grant_sets_the_authorization_header_by_default() -> None:
    auth = PasswordLogin(USERNAME, PASSWORD)
    request = httpx.Request("GET", f"{BASE}/balances")
    auth.apply_grant(request, TokenGrant(Secret("Bearer lt-direct-10203040")))
    assert request.headers["Authorization"] == "Bearer lt-direct-10203040"


def test_an_overridden_apply_grant_places_the_grant_on_first_use_and_after_a_401() -> None:
    auth = CookieLogin(USERNAME, PASSWORD)
    auth.set_grant(TokenGrant(Secret("lt-old-50607080")))
    flow, sent = _drive_to_first_request(auth, httpx.Request("GET", f"{BASE}/balances"))
    assert sent.headers["Cookie"] == "session=lt-old-50607080"
    assert "Authorization" not in sent.headers

    auth.set_grant(TokenGrant(Secret("lt-new-90a0b0c0")))  # renewed meanwhile
    retried = flow.send(httpx.Response(401, request=sent))
    assert retried.headers["Cookie"] == "session=lt-new-90a0b0c0"
    assert "Authorization" not in retried.headers


async def test_concurrent_first_requests_share_one_login(router: respx.MockRouter) -> None:
    vendor = FakeVendor(router)

    async def slow_login(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.01)  # a real login takes a round trip: others start meanwhile
        return vendor.login(request)

    vendor.login_route.mock(side_effect=slow_login)
    auth = PasswordLogin(USERNAME, PASSWORD)
    client = AsyncAPIClient(base_url=BASE, auth=auth, sleep=no_asleep)
    responses = await asyncio.gather(*(client.request("GET", "balances") for _ in range(20)))
    assert [r.status_code for r in responses] == [200] * 20
    assert vendor.login_route.call_count == 1
    assert vendor.tokens_sent() == ["Bearer lt-1-a9b8c7d6"] * 20
    await client.aclose()
