"""Fixtures of the service's tests: the demo's emulators (real HTTP on 127.0.0.1) with the
demo's config for `serve`, a service over them, and an API client (in-process ASGI)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from balance_gateway.gateway.service.app import create_app
from balance_gateway.gateway.service.core import GatewayService
from balance_gateway.gateway.service.demo import OPERATOR_TOKEN, READ_TOKEN, ServiceDemo

_ROOT = str(Path(__file__).resolve().parents[3])
if _ROOT not in sys.path:  # the shared helpers: tests.gateway.service.service_helpers
    sys.path.insert(0, _ROOT)

PEOPLE = 12
OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
READER = {"Authorization": f"Bearer {READ_TOKEN}"}


def reset(demo: ServiceDemo) -> None:
    """The demo as it starts: the generated data in every emulator, no state store, and the
    first pass (every sync but journyx-to-zeitstrom) run once."""
    demo.environment.reset()
    state = demo.config.state_path
    for path in (state, *(state.with_name(state.name + s) for s in ("-wal", "-shm", ".lock"))):
        path.unlink(missing_ok=True)
    demo.first_pass()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceDemo]:
    """The demo's emulators, synced once; tests that write call `fresh_demo` instead."""
    with ServiceDemo(tmp_path_factory.mktemp("service-demo"), people=PEOPLE) as started:
        started.first_pass()
        yield started


@pytest.fixture
def fresh_demo(demo: ServiceDemo) -> ServiceDemo:
    """The module's demo, reset to its first pass: for tests that write to the emulators."""
    reset(demo)
    return demo


@pytest.fixture
def service(demo: ServiceDemo) -> GatewayService:
    return demo.service()


@pytest.fixture
async def client(service: GatewayService) -> AsyncIterator[httpx.AsyncClient]:
    """The API in-process, without its scheduler (the scheduler's tests start their own)."""
    app = create_app(service, run_scheduler=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as http:
        yield http
