"""Replaying fixtures three ways: against the SDK, against the emulator, against a live vendor.

- SDK: a `FixtureTransport` answers the SDK's request from the fixture and checks that the SDK
  sent exactly the recorded request; the SDK's result must parse into wire models with no
  unknown field anywhere (or the SDK must raise the recorded error). Sync and async.
- Emulator: the recorded request goes to a fresh in-process emulator (`httpx.ASGITransport`),
  with `given.state` loaded; status and body must match, matchers aside.
- Live: the recorded request goes to the real vendor; only the body's SHAPE is compared, and
  the differences are reported as drift, additive or breaking.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
from pydantic import BaseModel

from balance_gateway.adapters._core.errors import GatewayError
from balance_gateway.adapters._core.registry import load
from balance_gateway.contracts._harness.binding import ContractBinding
from balance_gateway.contracts._harness.fixture import Fixture, RecordedRequest
from balance_gateway.contracts._harness.matching import compare, shape_drift

Target = Literal["sdk", "sdk-async", "emulator", "live"]


@dataclass
class CheckResult:
    fixture: Fixture
    target: Target
    problems: list[str] = field(default_factory=list)
    skipped: str | None = None
    additive: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def name(self) -> str:
        return self.fixture.name


def load_binding(vendor: str) -> ContractBinding:
    """`contracts/<vendor>/binding.py`'s `BINDING` (found by convention: the registry)."""
    binding: ContractBinding = load(vendor, "binding").BINDING
    return binding


# -- comparing requests -----------------------------------------------------------------------


def _request_json(request: httpx.Request) -> Any:
    content = request.content
    if not content:
        return None
    try:
        return json.loads(content)
    except ValueError:
        return None


def request_problems(recorded: RecordedRequest, request: httpx.Request) -> list[str]:
    """How `request` differs from the recorded one (method, path, query, body)."""
    problems = []
    if request.method != recorded.method.upper():
        problems.append(f"method: expected {recorded.method}, sent {request.method}")
    if request.url.path != recorded.path:
        problems.append(f"path: expected {recorded.path}, sent {request.url.path}")
    sent_query = dict(request.url.params.multi_items())
    if sent_query != recorded.query:
        problems.append(f"query: expected {recorded.query}, sent {sent_query}")
    if recorded.json_body is not None:
        problems += [f"json {p}" for p in compare(recorded.json_body, _request_json(request), {})]
    if recorded.form is not None:
        sent_form = dict(httpx.QueryParams(request.content.decode()).multi_items())
        if sent_form != recorded.form:
            problems.append(f"form: expected {recorded.form}, sent {sent_form}")
    return problems


class FixtureTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Answers every request with the fixture's response and records how requests differ."""

    def __init__(self, fixture: Fixture) -> None:
        self.fixture = fixture
        self.sent: list[httpx.Request] = []
        self.problems: list[str] = []

    def _answer(self, request: httpx.Request) -> httpx.Response:
        request.read()
        if not self.sent:  # retries of the same request are the SDK's business
            self.problems += request_problems(self.fixture.request, request)
        self.sent.append(request)
        recorded = self.fixture.response
        headers = dict(recorded.headers)
        if recorded.json_body is None:
            return httpx.Response(recorded.status, headers=headers, request=request)
        return httpx.Response(
            recorded.status, json=recorded.json_body, headers=headers, request=request
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._answer(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return self._answer(request)


# -- strict parsing ---------------------------------------------------------------------------


def unknown_fields(value: Any, path: str = "result") -> list[str]:
    """Every field a wire model did not declare (kept by `extra="allow"`), anywhere in `value`."""
    found: list[str] = []
    if isinstance(value, BaseModel):
        for key in value.model_extra or {}:
            found.append(f"{path}.{key}: not a documented field of {type(value).__name__}")
        for name in type(value).model_fields:
            found += unknown_fields(getattr(value, name), f"{path}.{name}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found += unknown_fields(item, f"{path}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            found += unknown_fields(item, f"{path}.{key}")
    return found


def _expected_error(fixture: Fixture, exc: BaseException) -> list[str]:
    expected = fixture.sdk.raises if fixture.sdk else None
    names = {cls.__name__ for cls in type(exc).__mro__}
    if expected is None:
        return [f"the SDK raised {type(exc).__name__}: {exc}"]
    if expected not in names:
        return [f"expected {expected}, the SDK raised {type(exc).__name__}: {exc}"]
    return []


def _usage_problems(fixture: Fixture, transport: FixtureTransport) -> list[str]:
    assert fixture.sdk is not None
    if fixture.sdk.sends and not transport.sent:
        return ["the SDK sent no request; the recorded exchange was not used"]
    if not fixture.sdk.sends and transport.sent:
        return ["the SDK sent a request it should have refused before sending"]
    return []


def _materialise(result: Any) -> Any:
    if isinstance(result, Iterator):
        return list(result)
    return result


def check_sdk(binding: ContractBinding, fixture: Fixture) -> CheckResult:
    """Replay `fixture` through the vendor's sync Client."""
    result = CheckResult(fixture, "sdk")
    if fixture.sdk is None:
        result.skipped = "no SDK call recorded"
        return result
    transport = FixtureTransport(fixture)
    client = binding.make_client(transport)
    try:
        value = _materialise(getattr(client, fixture.sdk.call)(**fixture.sdk.args))
    except GatewayError as exc:
        result.problems += _expected_error(fixture, exc)
    else:
        if fixture.sdk.raises:
            result.problems.append(f"expected {fixture.sdk.raises}, the SDK returned {value!r}")
        result.problems += unknown_fields(value)
    finally:
        client.close()
    result.problems += transport.problems + _usage_problems(fixture, transport)
    return result


async def check_sdk_async(binding: ContractBinding, fixture: Fixture) -> CheckResult:
    """Replay `fixture` through the vendor's AsyncClient."""
    result = CheckResult(fixture, "sdk-async")
    if fixture.sdk is None:
        result.skipped = "no SDK call recorded"
        return result
    transport = FixtureTransport(fixture)
    client = binding.make_async_client(transport)
    try:
        outcome = getattr(client, fixture.sdk.call)(**fixture.sdk.args)
        if isinstance(outcome, AsyncIterator):
            value: Any = [item async for item in outcome]
        elif inspect.isawaitable(outcome):
            value = await outcome
        else:
            value = outcome
    except GatewayError as exc:
        result.problems += _expected_error(fixture, exc)
    else:
        if fixture.sdk.raises:
            result.problems.append(f"expected {fixture.sdk.raises}, the SDK returned {value!r}")
        result.problems += unknown_fields(value)
    finally:
        await client.aclose()
    result.problems += transport.problems + _usage_problems(fixture, transport)
    return result


# -- emulator and live ------------------------------------------------------------------------


async def _send(
    client: httpx.AsyncClient, fixture: Fixture, headers: Mapping[str, str]
) -> httpx.Response:
    recorded = fixture.request
    return await client.request(
        recorded.method,
        recorded.path,
        params=recorded.query,
        json=recorded.json_body,
        data=recorded.form,
        headers=dict(headers),
    )


def _body(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


def _response_problems(fixture: Fixture, response: httpx.Response) -> list[str]:
    expected = fixture.response
    problems = []
    if response.status_code != expected.status:
        problems.append(f"status: expected {expected.status}, got {response.status_code}")
    if expected.json_body is not None or response.content:
        problems += compare(expected.json_body, _body(response), fixture.matchers)
    for name, value in expected.headers.items():
        if response.headers.get(name) != value:
            problems.append(
                f"header {name}: expected {value!r}, got {response.headers.get(name)!r}"
            )
    return problems


async def check_emulator(binding: ContractBinding, fixture: Fixture) -> CheckResult:
    """Replay `fixture` against a fresh in-process emulator of its vendor."""
    from balance_gateway.adapters._emulator import EmulatorOptions, build_emulator

    result = CheckResult(fixture, "emulator")
    emulator = build_emulator(fixture.vendor, EmulatorOptions())
    if fixture.given.state is not None:
        emulator.load_state(fixture.given.state)
    if binding.prepare_emulator is not None:
        binding.prepare_emulator(emulator)
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
        headers: Mapping[str, str] = {}
        if fixture.given.auth == "valid" and fixture.given.login is not None:
            headers = await binding.emulator_logins[fixture.given.login](emulator, client)
        elif fixture.given.auth == "valid":
            headers = await binding.emulator_auth(emulator, client)
        elif fixture.given.auth == "invalid":
            headers = binding.invalid_auth
        response = await _send(client, fixture, headers)
    result.problems += _response_problems(fixture, response)
    return result


def replays_live(fixture: Fixture, allow_writes: bool) -> bool:
    """Reads marked safe always; writes only when asked, and only without preconditions."""
    if fixture.live:
        return True
    return allow_writes and fixture.given.state is None and fixture.sdk is not None


async def check_live(
    binding: ContractBinding,
    fixture: Fixture,
    base_url: str,
    env: Mapping[str, str],
    *,
    allow_writes: bool = False,
) -> CheckResult:
    """Replay `fixture` against the live vendor and report drift in the response's shape."""
    result = CheckResult(fixture, "live")
    if not replays_live(fixture, allow_writes):
        result.skipped = "not replayed live (a write, or needs emulator state)"
        return result
    if binding.live_auth is None:
        result.skipped = "no live credentials defined for this vendor"
        return result
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        headers: Mapping[str, str] = {}
        if fixture.given.auth == "valid":
            headers = await binding.live_auth(env, client)
        elif fixture.given.auth == "invalid":
            headers = binding.invalid_auth
        try:
            response = await _send(client, fixture, headers)
        except httpx.HTTPError as exc:
            result.problems.append(f"request failed: {type(exc).__name__}")
            return result
    if response.status_code != fixture.response.status:
        result.problems.append(
            f"status: expected {fixture.response.status}, got {response.status_code}"
        )
    additive, breaking = shape_drift(fixture.response.json_body, _body(response))
    result.additive = additive
    result.problems += breaking
    return result
