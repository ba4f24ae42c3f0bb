"""balance-gateway's pytest plugin, for your own test suites (entry point `pytest11`).

Installed with balance-gateway, it is active in every pytest run of that environment. It imports
nothing heavy until a test asks for one of its fixtures.

Emulators (need the `emulators` extra), a fresh one for every test:

    <vendor>_emulator        the vendor's emulator in-process: the SDK clients talk to it
                             through `httpx.ASGITransport` (no socket)
    <vendor>_emulator_http   the same over real HTTP on 127.0.0.1 (a free port)
    balance_gateway_emulator a factory: `balance_gateway_emulator("bezala", http=True)`

Each is an `EmulatedVendor`: `base_url`, `credentials` (the SDK client's keyword arguments),
`client` (a ready sync SDK client), `async_client()` (a new async one, yours to close),
`emulator` (its state and admin API) and `set_faults(...)`.

Faults: mark a test `@pytest.mark.balance_gateway_faults(latency_ms=20, error_rate=0.1)` (any
`FaultConfig` field) to start its emulators with them; `vendor.set_faults(...)` changes them
mid-test.

Contract suites: in a test module, `test_bezala_contract = contract_suite("bezala")` makes one
test case per recorded fixture, its id the fixture name and provenance. They run against the
emulator, or against a live vendor when `--balance-gateway-live-url URL` (or
`BALANCE_GATEWAY_LIVE_URL`) is given, with the vendor's credentials from the environment; live,
only read requests are replayed unless `--balance-gateway-allow-writes`.
"""

from __future__ import annotations

import asyncio
import importlib
import os
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pytest

from balance_gateway.adapters._core.registry import VENDORS

if TYPE_CHECKING:
    from balance_gateway.adapters._emulator import Emulator, ServerThread
    from balance_gateway.contracts._harness import Fixture

LIVE_URL_OPTION = "--balance-gateway-live-url"
LIVE_URL_ENV = "BALANCE_GATEWAY_LIVE_URL"
ALLOW_WRITES_OPTION = "--balance-gateway-allow-writes"
FAULTS_MARKER = "balance_gateway_faults"

ContractTarget = Literal["sdk", "emulator", "live"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("balance-gateway", "balance-gateway contract suites")
    group.addoption(
        LIVE_URL_OPTION,
        default=None,
        metavar="URL",
        help=f"run contract_suite() tests against this live base URL (or ${LIVE_URL_ENV})",
    )
    group.addoption(
        ALLOW_WRITES_OPTION,
        action="store_true",
        default=False,
        help="live contract runs also replay write requests (against a sandbox!)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{FAULTS_MARKER}(**faults): start this test's balance-gateway emulators with these "
        "faults (FaultConfig fields: latency_ms, error_rate, rate_limit, drop_rate, ...)",
    )


# -- emulators --------------------------------------------------------------------------------


@dataclass
class EmulatedVendor:
    """One vendor's emulator, started for a test, and how to talk to it."""

    vendor: str
    emulator: Emulator[Any]
    base_url: str
    credentials: dict[str, str]
    over_http: bool
    _closing: list[Any] = field(default_factory=list, repr=False)
    _client: Any = field(default=None, repr=False)

    def _sdk(self) -> Any:
        return importlib.import_module(f"balance_gateway.adapters.{self.vendor}")

    @property
    def client(self) -> Any:
        """A ready sync SDK client (`balance_gateway.adapters.<vendor>.Client`), closed after
        the test."""
        if self._client is None:
            self._client = self.make_client()
        return self._client

    def make_client(self, **kwargs: Any) -> Any:
        """A new sync SDK client; `kwargs` go to its constructor (e.g. `retry=`). Closed after
        the test."""
        options: dict[str, Any] = {**self.credentials, **kwargs}
        if not self.over_http and "transport" not in options:
            from balance_gateway.adapters._emulator.inprocess import SyncASGITransport

            options["transport"] = transport = SyncASGITransport(self.emulator.app)
            self._closing.append(transport)
        client = self._sdk().Client(self.base_url, **options)
        self._closing.insert(0, client)  # clients before their transports
        return client

    def async_client(self, **kwargs: Any) -> Any:
        """A new async SDK client (`AsyncClient`): use it as `async with vendor.async_client()
        as client:` (closing it is yours, on your event loop)."""
        import httpx

        options: dict[str, Any] = {**self.credentials, **kwargs}
        if not self.over_http:
            options.setdefault("transport", httpx.ASGITransport(app=self.emulator.app))
        return self._sdk().AsyncClient(self.base_url, **options)

    def set_faults(self, **faults: Any) -> None:
        """Replace the emulator's faults (`FaultConfig` fields; none: no faults)."""
        from balance_gateway.adapters._emulator import FaultConfig

        self.emulator.faults.configure(FaultConfig(**faults))

    def close(self) -> None:
        for closable in self._closing:
            closable.close()
        self._closing.clear()


def _emulators_or_fail() -> None:
    from balance_gateway.adapters._core.extras import MissingExtraError, require_emulators

    try:
        require_emulators("balance-gateway's emulator fixtures")
    except MissingExtraError as exc:
        missing = str(exc)
    else:
        return
    pytest.fail(missing, pytrace=False)  # outside `except`: no chained traceback


def start_emulator(
    vendor: str, *, http: bool = False, faults: dict[str, Any] | None = None
) -> Generator[EmulatedVendor, None, None]:
    """Start `vendor`'s emulator (in-process, or over HTTP on 127.0.0.1) and yield it; stop it
    and close its clients after."""
    _emulators_or_fail()
    from balance_gateway.adapters._emulator import (
        EmulatorOptions,
        FaultConfig,
        ServerThread,
        build_emulator,
    )

    try:
        emulator = build_emulator(vendor, EmulatorOptions())
    except KeyError as exc:
        unknown = str(exc.args[0])
    else:
        unknown = ""
    if unknown:
        pytest.fail(unknown, pytrace=False)
    if faults:
        emulator.faults.configure(FaultConfig(**faults))
    server: ServerThread | None = ServerThread(emulator.app).start() if http else None
    base_url = server.base_url if server is not None else f"http://{vendor}.emulator"
    handle = EmulatedVendor(
        vendor=vendor,
        emulator=emulator,
        base_url=base_url,
        credentials=emulator.client_credentials(),
        over_http=http,
    )
    try:
        yield handle
    finally:
        handle.close()
        if server is not None:
            server.stop()


def _marked_faults(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker(FAULTS_MARKER)
    return dict(marker.kwargs) if marker is not None else {}


@pytest.fixture
def balance_gateway_emulator(
    request: pytest.FixtureRequest,
) -> Iterator[Callable[..., EmulatedVendor]]:
    """A factory: `balance_gateway_emulator(vendor, http=False, faults=None)` starts that
    vendor's emulator for this test (several may run at once)."""
    started: list[Generator[EmulatedVendor, None, None]] = []

    def start(
        vendor: str, *, http: bool = False, faults: dict[str, Any] | None = None
    ) -> EmulatedVendor:
        running = start_emulator(
            vendor, http=http, faults=_marked_faults(request) if faults is None else faults
        )
        started.append(running)
        return next(running)

    yield start
    for running in reversed(started):
        running.close()


def _vendor_fixture(vendor: str, *, http: bool) -> Any:
    where = "over real HTTP on 127.0.0.1" if http else "in-process (no socket)"

    def fixture(request: pytest.FixtureRequest) -> Iterator[EmulatedVendor]:
        yield from start_emulator(vendor, http=http, faults=_marked_faults(request))

    fixture.__doc__ = f"A fresh {vendor} emulator {where}, as an `EmulatedVendor`."
    name = f"{vendor}_emulator_http" if http else f"{vendor}_emulator"
    return pytest.fixture(name=name)(fixture)


# One pair of fixtures per vendor, named after it (pytest finds them as module attributes).
for _vendor in sorted(VENDORS):
    globals()[f"_{_vendor}_emulator"] = _vendor_fixture(_vendor, http=False)
    globals()[f"_{_vendor}_emulator_http"] = _vendor_fixture(_vendor, http=True)


# -- contract suites --------------------------------------------------------------------------


def _live_url(config: pytest.Config) -> str | None:
    value = config.getoption(LIVE_URL_OPTION) or os.environ.get(LIVE_URL_ENV)
    return str(value) if value else None


def contract_suite(vendor: str, *, against: ContractTarget | None = None) -> Any:
    """A test function with one case per recorded fixture of `vendor`: assign it to a
    `test_...` name in a test module. `against` fixes the target ("sdk": the SDK replays the
    fixtures; "emulator"; "live"); by default the emulator, or the live vendor when a live
    URL is given (see the module docstring)."""
    from balance_gateway.contracts._harness import load_fixtures

    cases = [
        pytest.param(fixture, id=f"{fixture.name}-{fixture.provenance}")
        for fixture in load_fixtures(vendor)
    ]

    @pytest.mark.parametrize("balance_gateway_fixture", cases)
    def test_contract(
        balance_gateway_fixture: Fixture,
        request: pytest.FixtureRequest,
    ) -> None:
        fixture = balance_gateway_fixture
        # In reports (and JUnit XML with junit_family=xunit1); the test id has it too.
        request.node.user_properties += [
            ("provenance", fixture.provenance),
            ("description", fixture.description),
        ]
        live_url = _live_url(request.config)
        target: ContractTarget = against or ("live" if live_url else "emulator")
        problems, skipped = _check(vendor, fixture, target, request.config, live_url)
        if skipped:
            pytest.skip(skipped)
        if problems:
            pytest.fail(
                f"{vendor} {fixture.name} [{fixture.provenance}] against {target}:\n  "
                + "\n  ".join(problems),
                pytrace=False,
            )

    test_contract.__name__ = f"test_{vendor}_contract"
    test_contract.__doc__ = f"{vendor}'s contract suite, one case per recorded fixture."
    return test_contract


def _check(
    vendor: str,
    fixture: Fixture,
    target: ContractTarget,
    config: pytest.Config,
    live_url: str | None,
) -> tuple[list[str], str | None]:
    """Run one fixture against `target`: (problems, skip reason)."""
    from balance_gateway.contracts._harness.runner import (
        check_emulator,
        check_live,
        check_sdk,
        check_sdk_async,
        load_binding,
    )

    binding = load_binding(vendor)
    if target == "sdk":
        results = [check_sdk(binding, fixture), asyncio.run(check_sdk_async(binding, fixture))]
    elif target == "emulator":
        _emulators_or_fail()
        results = [asyncio.run(check_emulator(binding, fixture))]
    else:
        if not live_url:
            pytest.fail(
                f"a live contract run needs {LIVE_URL_OPTION} URL or ${LIVE_URL_ENV}",
                pytrace=False,
            )
        missing = [name for name in binding.live_env if not os.environ.get(name)]
        if missing:
            pytest.fail(
                f"a live {vendor} contract run needs the environment variables: "
                f"{', '.join(missing)}",
                pytrace=False,
            )
        allow_writes = bool(config.getoption(ALLOW_WRITES_OPTION))
        results = [
            asyncio.run(
                check_live(binding, fixture, live_url, os.environ, allow_writes=allow_writes)
            )
        ]
    problems = [f"{r.target}: {p}" for r in results for p in r.problems]
    skipped = next((r.skipped for r in results if r.skipped), None)
    return problems, skipped
