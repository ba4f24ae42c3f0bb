"""Bad input never makes an emulator answer 500 (DESIGN.md, "adapters: emulators": bad input
gets the vendor's 4xx, never a 500), for every installed emulator.

Each emulator is driven in-process, authenticated as its contract binding authenticates
(`contracts/<vendor>/binding.py`), over every route of its vendor API (read from
`emulator.app.routes`, the admin API excluded):

- a fuzzer (hypothesis): path parameters from generated strings and integers and the ids of the
  sample dataset, generated query parameters, and generated bodies: arbitrary JSON
  (`st.recursive`), valid bodies (from the contract fixtures) with a field replaced, dropped or
  added, raw bytes, form bodies, under several content types. After each example every
  documented read is replayed: a write that stored bad data must not break a later read;
- every field of every recorded body replaced with every wrong JSON value (`WRONG_VALUES`);
- bodies nested far deeper than any parser should follow;
- the admin API: junk states and fault configs, and every leaf of the sample state replaced
  with every wrong value; a state it accepts must not break any vendor route;
- the 500s a QA pass found, one by one: each vendor's `QA_CASES`
  (`tests/adapters/<vendor>/facts.py`; the cases that are more than one request are in
  `tests/adapters/<vendor>/test_bad_input.py`).

Examples are derandomized (the same inputs on every run). `--runslow` runs a longer campaign.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import Route

from balance_gateway.adapters._emulator import (
    Emulator,
    EmulatorOptions,
    available_vendors,
    build_emulator,
)
from balance_gateway.adapters._emulator.bodies import MAX_JSON_DEPTH
from balance_gateway.contracts._harness.fixture import Fixture, load_fixtures
from balance_gateway.contracts._harness.runner import load_binding
from tests.adapters.vendor_facts import facts, vendors_with

VENDORS = available_vendors()
TOKEN = "T"
ADMIN = "/_emulator"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

# Query names no route declares but some handler reads from `request.query_params` (Journyx's
# OData options), or that a client might plausibly send.
EXTRA_QUERY_NAMES = ("$filter", "$top", "$skip", "$keys", "$orderBy", "page", "limit", "offset")


@dataclass(frozen=True)
class Raw:
    """A JSON literal Python's `json.dumps` cannot write (`1e999`, an int of 5000 digits)."""

    text: str


def _deep(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


# Every kind of wrong value a JSON field can hold: each type, the edges of numbers, numbers a
# double cannot hold, number-looking strings, empty, control and non-BMP text, a lone surrogate
# escape, and nesting just below and above the readers' limit.
WRONG_VALUES: tuple[Any, ...] = (
    None, True, False, 0, -1, 2**63, 10**400, -(10**400), 1.5, -0.0, 1e308, -1e308, 5e-324,
    float("nan"), float("inf"), float("-inf"), Raw("1e999"), Raw("-1e999"), Raw("1" * 5000),
    "", " ", "NaN", "Infinity", "-1", "1e999", "9" * 400, "0x1F", "\x00", "ß漢字🙂\u202e",
    "\ud800", "x" * 5000, "0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-02:00",
    [], {}, [[]], {"": None}, [1, "a", None], {"a": {"b": [1]}},
    _deep(MAX_JSON_DEPTH - 2), _deep(MAX_JSON_DEPTH + 5),
)  # fmt: skip

QUERY_VALUES = (
    "", " ", "0", "-1", "1.5", "1e999", "NaN", "9" * 5000, "true", "null", "[]", "{}", "%",
    "%ZZ", "a|b", "|", ",", "'", "x eq 'y'", "2025-02-30", "2025-01-01|2024-01-01",
    "0001-01-01", "9999-12-31", "ß漢字🙂", "\x00",
)  # fmt: skip
PATH_VALUES = ("0", "-1", "1.5", "9" * 400, "NaN", "%", "..", " ", "ß漢字🙂", "\x00", "a" * 300)
CONTENT_TYPES = (
    "application/json", "application/json; charset=utf-8", "application/x-www-form-urlencoded",
    "text/plain", "multipart/form-data", "",
)  # fmt: skip


def dumps(value: Any) -> bytes:
    """`value` as JSON text, `Raw` literals written verbatim, NaN/Infinity as Python writes."""
    raws: list[str] = []

    def swap(item: Any) -> Any:
        if isinstance(item, Raw):
            raws.append(item.text)
            return f"\x00raw{len(raws) - 1}\x00"
        if isinstance(item, dict):
            return {k: swap(v) for k, v in item.items()}
        if isinstance(item, list):
            return [swap(v) for v in item]
        return item

    text = json.dumps(swap(value))
    for index, raw in enumerate(raws):
        text = text.replace(json.dumps(f"\x00raw{index}\x00"), raw)
    return text.encode()


# -- what we know about one emulator ---------------------------------------------------------


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str  # the template, e.g. /api/users/{user_id}/time_balances
    params: tuple[str, ...]
    query: tuple[str, ...]
    vendor_api: bool  # False: FastAPI's own pages (/docs, /openapi.json)


@dataclass(frozen=True)
class Recorded:
    """A request from a contract fixture (with the valid credential)."""

    method: str
    path: str
    query: dict[str, str]
    body: Any  # a JSON value, or None
    form: dict[str, str] | None
    state: dict[str, Any] | None = None  # the fixture's given state; None: the sample dataset


@dataclass
class Target:
    vendor: str
    emulator: Emulator[Any]
    routes: list[RouteSpec]
    samples: list[str]  # ids and values of the sample dataset and fixture paths
    bodies: list[Recorded]  # recorded requests with a JSON object body
    reads: list[Recorded]  # recorded successful reads of the sample dataset
    problems: list[str] = field(default_factory=list)

    def client(self) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.emulator.app, raise_app_exceptions=False)
        return httpx.AsyncClient(transport=transport, base_url="http://emulator", timeout=30)

    async def auth(self, client: httpx.AsyncClient) -> dict[str, str]:
        """A valid credential, as the contract binding gets one (no headers if the login
        fails, as it may on a loaded state without the login user; a 5xx is a problem)."""
        try:
            return await load_binding(self.vendor).emulator_auth(self.emulator, client)
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code >= 500:
                self.problems.append(f"{self.vendor}: login -> {exc.response.status_code}")
            return {}

    def reset(self, state: dict[str, Any] | None = None) -> None:
        """Every tenant back to the sample dataset, then `state` (if any) in the default one."""
        self.emulator.reset_state()
        if state is not None:
            self.emulator.load_state(state)

    def states(self) -> list[dict[str, Any] | None]:
        """The sample dataset (None) and every state a recorded body was sent to."""
        found = {json.dumps(b.state, sort_keys=True): b.state for b in self.bodies if b.state}
        return [None, *found.values()]


def _routes(emulator: Emulator[Any]) -> list[RouteSpec]:
    specs = []
    for route in emulator.app.routes:
        if not isinstance(route, Route) or route.path.startswith(ADMIN):
            continue
        params = tuple(re.findall(r"{(\w+)(?::\w+)?}", route.path))
        dependant = getattr(route, "dependant", None)
        declared = [p.alias for p in dependant.query_params] if dependant is not None else []
        query = tuple(dict.fromkeys([*declared, *EXTRA_QUERY_NAMES]))
        methods = sorted((route.methods or set()) - {"HEAD"})  # HEAD runs the GET handler
        specs += [
            RouteSpec(m, route.path, params, query, isinstance(route, APIRoute)) for m in methods
        ]
    return specs


def _leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def _recorded(fixture: Fixture) -> Recorded:
    request = fixture.request
    return Recorded(
        request.method,
        request.path,
        request.query,
        request.json_body,
        request.form,
        fixture.given.state,
    )


def make_target(vendor: str) -> Target:
    emulator = build_emulator(vendor, EmulatorOptions(token=TOKEN))
    fixtures = [f for f in load_fixtures(vendor) if f.given.auth == "valid"]
    sample = emulator.dump_state()["tenants"]
    values = {str(v) for v in _leaves(sample) if isinstance(v, str | int) and len(str(v)) < 80}
    values |= {part for f in fixtures for part in f.request.path.split("/") if part}
    bodies = {
        json.dumps([f.request.method, f.request.path, f.request.json_body, f.given.state]): (
            _recorded(f)
        )
        for f in fixtures
        if isinstance(f.request.json_body, dict)
    }
    reads = [
        _recorded(f)
        for f in fixtures
        if f.request.method == "GET" and f.given.state is None and f.response.status == 200
    ]
    return Target(vendor, emulator, _routes(emulator), sorted(values), list(bodies.values()), reads)


async def send(
    target: Target,
    client: httpx.AsyncClient,
    headers: dict[str, str],
    method: str,
    path: str,
    *,
    query: dict[str, str] | None = None,
    content: bytes | None = None,
    content_type: str | None = "application/json",
) -> httpx.Response:
    """Send one request; a 5xx answer is recorded in `target.problems`."""
    sent = dict(headers)
    if content is not None and content_type is not None:
        sent["Content-Type"] = content_type
    url = path + ("?" + urlencode(query) if query else "")
    response = await client.request(method, url, content=content, headers=sent)
    if response.status_code >= 500:
        shown = (content or b"")[:300]
        target.problems.append(
            f"{target.vendor}: {method} {url[:300]} body={shown!r} -> "
            f"{response.status_code} {response.text[:300]}"
        )
    return response


async def replay_reads(target: Target, client: httpx.AsyncClient) -> None:
    """Every documented read of the sample dataset, with a fresh credential."""
    headers = await target.auth(client)
    for read in target.reads:
        await send(target, client, headers, "GET", read.path, query=read.query, content=None)


def fill(template: str, values: dict[str, str]) -> str:
    return re.sub(r"{(\w+)(?::\w+)?}", lambda m: quote(values[m[1]], safe=""), template)


def paths_under(body: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The key path of every field of a JSON object body, nested objects included."""
    if isinstance(body, dict):
        for key, value in body.items():
            yield (*prefix, key)
            yield from paths_under(value, (*prefix, key))


def replaced(body: Any, path: tuple[str, ...], value: Any) -> Any:
    if not path:
        return value
    copy = dict(body)
    copy[path[0]] = replaced(body[path[0]], path[1:], value)
    return copy


def dropped(body: Any, path: tuple[str, ...]) -> Any:
    copy = dict(body)
    if len(path) == 1:
        copy.pop(path[0], None)
    else:
        copy[path[0]] = dropped(body[path[0]], path[1:])
    return copy


async def recorded_logins(target: Target) -> list[Recorded]:
    """The requests with a JSON object body that the binding's login sends (Kenjo's and
    CompanyFlow's login routes have no fixture of their own)."""
    sent: list[httpx.Request] = []

    async def keep(request: httpx.Request) -> None:
        sent.append(request)

    async with target.client() as client:
        client.event_hooks["request"] = [keep]
        await target.auth(client)
    logins = []
    for request in sent:
        body = json.loads(request.content) if request.content else None
        if isinstance(body, dict):
            logins.append(Recorded(request.method, request.url.path, {}, body, None))
    return logins


_TARGETS: dict[str, Target] = {}


async def target_for(vendor: str) -> Target:
    """One emulator per vendor for the whole module (state is reset before each use)."""
    if vendor not in _TARGETS:
        target = make_target(vendor)
        known = {(b.method, b.path) for b in target.bodies}
        target.bodies += [
            b for b in await recorded_logins(target) if (b.method, b.path) not in known
        ]
        _TARGETS[vendor] = target
    target = _TARGETS[vendor]
    target.reset()
    target.problems.clear()
    return target


def assert_no_500(target: Target) -> None:
    problems = list(target.problems)
    target.problems.clear()
    assert not problems, "\n".join(problems[:20])


async def test_every_vendor_is_walked() -> None:
    assert VENDORS, "no emulator installed"
    for vendor in VENDORS:
        target = await target_for(vendor)
        assert target.routes, vendor
        assert target.reads, f"{vendor}: no recorded read to replay"
        assert target.bodies or not any(r.method in BODY_METHODS for r in target.routes), vendor


# -- the fuzzer -----------------------------------------------------------------------------

_TEXT = st.text(st.characters(codec="utf-8"), max_size=20)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats()
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)
wrong_values = st.sampled_from(WRONG_VALUES) | json_values


@st.composite
def mutated_body(draw: st.DrawFn, body: dict[str, Any]) -> Any:
    """A recorded body with one or two fields replaced, one dropped, or one added."""
    for _ in range(draw(st.integers(1, 2))):
        paths = list(paths_under(body))  # again: an earlier change may have removed some
        action = draw(st.sampled_from(["replace", "replace", "drop", "add"]))
        if action == "add" or not paths:
            body = {**body, draw(_TEXT): draw(wrong_values)}
        elif action == "drop":
            body = dropped(body, draw(st.sampled_from(paths)))
        else:
            body = replaced(body, draw(st.sampled_from(paths)), draw(wrong_values))
    return body


@st.composite
def request_content(draw: st.DrawFn, target: Target, spec: RouteSpec) -> tuple[bytes | None, str]:
    """A body (None: none) and its content type."""
    content_type = draw(st.sampled_from(CONTENT_TYPES))
    if spec.method not in BODY_METHODS and draw(st.integers(0, 3)):
        return None, content_type
    recorded = [b for b in target.bodies if b.method == spec.method and _matches(spec.path, b.path)]
    kinds = ["json", "bytes", "form"] + (["mutated"] * 4 if recorded else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "mutated":
        base = draw(st.sampled_from(recorded)).body
        return dumps(draw(mutated_body(base))), content_type
    if kind == "json":
        return dumps(draw(json_values)), content_type
    if kind == "form":
        pairs = draw(st.lists(st.tuples(_TEXT, _TEXT), max_size=4))
        return urlencode(pairs).encode(), content_type
    return draw(st.binary(max_size=64)), content_type


def _matches(template: str, path: str) -> bool:
    pattern = re.sub(r"{(\w+)(?::\w+)?}", "[^/]+", template)
    return re.fullmatch(pattern, path) is not None


@st.composite
def fuzz_request(
    draw: st.DrawFn, target: Target
) -> tuple[str, str, dict[str, str], bytes | None, str]:
    # The vendor's routes four times as often as FastAPI's own pages.
    weighted = [r for r in target.routes for _ in range(4 if r.vendor_api else 1)]
    spec = draw(st.sampled_from(weighted))
    path_value = (
        st.sampled_from(target.samples)
        | st.sampled_from(PATH_VALUES)
        | st.integers().map(str)
        | _TEXT
    )
    path = fill(spec.path, {name: draw(path_value) for name in spec.params})
    known = sorted({r.path for r in [*target.bodies, *target.reads] if _matches(spec.path, r.path)})
    use_known: bool = draw(st.booleans())
    if known and use_known:  # ids that exist, so that the body is looked at
        path = draw(st.sampled_from(known))
    query_value = st.sampled_from(QUERY_VALUES) | st.sampled_from(target.samples) | _TEXT
    query = draw(st.dictionaries(st.sampled_from(spec.query), query_value, max_size=4))
    content, content_type = draw(request_content(target, spec))
    return spec.method, path, query, content, content_type


async def fuzz_once(target: Target, data: st.DataObject) -> None:
    target.reset(data.draw(st.sampled_from(target.states()), label="given state"))
    async with target.client() as client:
        headers = await target.auth(client)
        for _ in range(data.draw(st.integers(1, 3), label="requests")):
            method, path, query, content, content_type = data.draw(fuzz_request(target))
            await send(
                target, client, headers, method, path,
                query=query, content=content, content_type=content_type,
            )  # fmt: skip
        await replay_reads(target, client)
    assert_no_500(target)


_FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.parametrize("vendor", VENDORS)
@_FUZZ
@given(data=st.data())
async def test_fuzzed_requests_never_answer_500(vendor: str, data: st.DataObject) -> None:
    await fuzz_once(await target_for(vendor), data)


@pytest.mark.slow
@pytest.mark.parametrize("vendor", VENDORS)
@settings(_FUZZ, max_examples=2000)
@given(data=st.data())
async def test_fuzzed_requests_never_answer_500_long(vendor: str, data: st.DataObject) -> None:
    await fuzz_once(await target_for(vendor), data)


# -- every field, every wrong value -----------------------------------------------------------


@pytest.mark.parametrize("vendor", VENDORS)
async def test_every_field_with_every_wrong_value_gets_a_4xx(vendor: str) -> None:
    target = await target_for(vendor)
    async with target.client() as client:
        for recorded in target.bodies:
            paths = list(paths_under(recorded.body))
            mutants = [dropped(recorded.body, p) for p in paths]
            mutants += [replaced(recorded.body, p, w) for p in paths for w in WRONG_VALUES]
            mutants += [{**recorded.body, "unexpected": w} for w in WRONG_VALUES]
            mutants += list(WRONG_VALUES)  # the whole body
            headers = await target.auth(client)
            for body in mutants:
                target.reset(recorded.state)
                await send(
                    target, client, headers, recorded.method, recorded.path,
                    query=recorded.query, content=dumps(body),
                )  # fmt: skip
            await replay_reads(target, client)
    assert_no_500(target)


# -- deep nesting -----------------------------------------------------------------------------

DEEP_BODIES = (
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    b"[" * 100_000,  # and never closed
    dumps(_deep(MAX_JSON_DEPTH + 1)),
)


@pytest.mark.parametrize("vendor", VENDORS)
async def test_deeply_nested_bodies_get_the_vendors_4xx(vendor: str) -> None:
    target = await target_for(vendor)
    style = set(target.emulator.error_body(400, "message"))
    async with target.client() as client:
        for spec in target.routes:
            if spec.method not in BODY_METHODS:
                continue
            recorded = next(
                (
                    b
                    for b in target.bodies
                    if b.method == spec.method and _matches(spec.path, b.path)
                ),
                None,
            )
            path = recorded.path if recorded else fill(spec.path, dict.fromkeys(spec.params, "1"))
            bodies = [*DEEP_BODIES]
            if recorded is not None:  # a valid body with one field nested too deeply
                field_path = next(paths_under(recorded.body))
                deep_field = Raw("[" * 5000 + "]" * 5000)
                bodies.append(dumps(replaced(recorded.body, field_path, deep_field)))
            for body in bodies:
                headers = await target.auth(client)
                response = await send(target, client, headers, spec.method, path, content=body)
                if response.status_code >= 500:
                    continue
                # A route that reads the body refuses it in the vendor's error style.
                if 400 <= response.status_code < 500:
                    assert style <= set(response.json()), (vendor, spec, response.text)
    assert_no_500(target)


# -- the admin API ----------------------------------------------------------------------------


@pytest.mark.parametrize("vendor", VENDORS)
async def test_admin_api_answers_400_to_bad_payloads(vendor: str) -> None:
    target = await target_for(vendor)
    async with target.client() as client:
        payloads: list[bytes] = [
            b"", b"{", b"\xff", *DEEP_BODIES, dumps({"tenants": {"default": _deep(150)}}),
        ]  # fmt: skip
        payloads += [dumps(w) for w in WRONG_VALUES]
        payloads += [dumps({"tenants": w}) for w in WRONG_VALUES]
        payloads += [dumps({"tenants": {"default": w}}) for w in WRONG_VALUES]
        for payload in payloads:
            for path in (f"{ADMIN}/state", f"{ADMIN}/state?tenant=other", f"{ADMIN}/faults"):
                response = await send(target, client, {}, "PUT", path, content=payload)
                if response.status_code >= 500:
                    continue
                if response.status_code != 200:
                    assert response.status_code == 400, (vendor, path, payload[:100])
                    assert isinstance(response.json()["error"], str)
                target.reset()
                await client.post(f"{ADMIN}/reset")
        # Figures that do not fit a JSON number or a Retry-After are not a fault config.
        for name in ("latency_ms", "retry_after_seconds", "rate_limit", "error_rate"):
            for raw in (b"1e999", b"-1e999", b"NaN", b"Infinity"):
                payload = b'{"%s": %s}' % (name.encode(), raw)
                response = await send(target, client, {}, "PUT", f"{ADMIN}/faults", content=payload)
                assert response.status_code == 400, (vendor, payload)
    assert_no_500(target)


def state_mutants(state: Any, stride: int = 1) -> Iterator[Any]:
    """The state with each leaf replaced by each wrong value; with `stride` n, by every n-th
    wrong value only (a different share for each leaf, so that every value is still used)."""

    def places(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
        if isinstance(value, dict):
            for key, item in value.items():
                yield from places(item, (*prefix, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from places(item, (*prefix, index))
        else:
            yield prefix

    def put(value: Any, path: tuple[Any, ...], new: Any) -> Any:
        if not path:
            return new
        copy: Any = list(value) if isinstance(value, list) else dict(value)
        copy[path[0]] = put(value[path[0]], path[1:], new)
        return copy

    for index, path in enumerate(places(state)):
        for wrong in WRONG_VALUES[index % stride :: stride]:
            yield put(state, path, wrong)


async def load_and_walk(target: Target, client: httpx.AsyncClient, state: Any) -> None:
    """Load `state` into the default tenant; if accepted, every recorded request and read must
    still answer below 500."""
    target.reset()
    response = await send(
        target, client, {}, "PUT", f"{ADMIN}/state?tenant=default", content=dumps(state)
    )
    if response.status_code != 200:
        assert response.status_code in (400, 500), response.text
        return
    await send(target, client, {}, "GET", f"{ADMIN}/state")  # the dump of what it accepted
    headers = await target.auth(client)
    for recorded in target.bodies:
        await send(
            target, client, headers, recorded.method, recorded.path,
            query=recorded.query, content=dumps(recorded.body),
        )  # fmt: skip
    await replay_reads(target, client)


async def walk_state_mutants(vendor: str, stride: int) -> None:
    target = await target_for(vendor)
    sample = target.emulator.dump_state()["tenants"]["default"]
    async with target.client() as client:
        for state in state_mutants(sample, stride):
            await load_and_walk(target, client, state)
    target.reset()
    assert_no_500(target)


@pytest.mark.parametrize("vendor", VENDORS)
async def test_a_state_the_admin_api_accepts_never_breaks_a_route(vendor: str) -> None:
    await walk_state_mutants(vendor, stride=5)


@pytest.mark.slow
@pytest.mark.parametrize("vendor", VENDORS)
async def test_a_state_the_admin_api_accepts_never_breaks_a_route_long(vendor: str) -> None:
    await walk_state_mutants(vendor, stride=1)


# -- the 500s a QA pass found, one by one -----------------------------------------------------

# Each vendor's cases are its `QA_CASES` (`tests/adapters/<vendor>/facts.py`): method, path,
# body, status, what the answer holds (None: the vendor's error style, as `error_body` writes
# it).
QA_CASES = [
    (vendor, *case)
    for vendor in vendors_with("QA_CASES")
    for case in facts(vendor, "QA_CASES", list)
]
QA_IDS = [
    f"{vendor}-{case[0]}-{n}"
    for vendor in vendors_with("QA_CASES")
    for n, case in enumerate(facts(vendor, "QA_CASES", list))
]


@pytest.mark.parametrize(
    ("vendor", "method", "path", "body", "status", "expected"),
    QA_CASES,
    ids=QA_IDS,
)
async def test_what_qa_found_gets_the_vendors_4xx_and_stores_nothing(
    vendor: str, method: str, path: str, body: bytes, status: int, expected: Any
) -> None:
    target = await target_for(vendor)
    before = target.emulator.dump_state()
    async with target.client() as client:
        headers = await target.auth(client)
        response = await send(target, client, headers, method, path, content=body)
        await replay_reads(target, client)

    assert response.status_code == status, response.text
    answer = response.json()
    if expected is None:
        assert set(target.emulator.error_body(status, "m")) <= set(answer)
    else:
        assert expected.items() <= answer.items()
    assert target.emulator.dump_state() == before
    assert_no_500(target)


@pytest.mark.parametrize(
    "payload",
    [
        b'{"tenants": 5}', b'{"tenants": null}', b'{"tenants": "x"}', b'{"tenants": [1]}',
        b'{"tenants": {"default": 5}}', b"[" * 2000,
    ],
)  # fmt: skip
@pytest.mark.parametrize("vendor", VENDORS)
async def test_admin_state_errors_are_400_with_an_error_message(
    vendor: str, payload: bytes
) -> None:
    target = await target_for(vendor)
    before = target.emulator.dump_state()
    async with target.client() as client:
        response = await client.put(f"{ADMIN}/state", content=payload)
        faults = await client.put(f"{ADMIN}/faults", content=payload)

    assert response.status_code == 400
    assert response.json()["error"].startswith("invalid state: ")
    assert faults.status_code == 400
    assert target.emulator.dump_state() == before
