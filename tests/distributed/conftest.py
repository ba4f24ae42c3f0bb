"""Fixtures of the distributed tests: Redis and PostgreSQL (skipped, naming what is missing,
when either cannot be reached, unless BALANCE_GATEWAY_REQUIRE_SERVICES=1 makes that a
failure), emulators in their own processes, configurations, and workers."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path

import pytest

from balance_gateway.adapters._core.extras import missing_modules
from balance_gateway.gateway.demo import (
    ENV,
    TOKENS,
    DemoDataset,
    generate_dataset,
    mapping_csv,
    systems_toml,
)
from tests.distributed.services import (
    REDIS_HOST,
    REDIS_PORT,
    REQUIRE,
    EmulatorProcess,
    Workers,
    redis_free_db,
)
from tests.gateway.stores import postgres_schema

UNUSED_URL = "http://127.0.0.1:9"  # a system no sync of the test uses: never contacted


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE) == "1":
        pytest.fail(f"{reason} ({REQUIRE}=1: the distributed tests must run)")
    pytest.skip(reason)


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database of this test's own (emptied after), as a broker URL."""
    missing = missing_modules({"celery": "celery", "redis": "redis"})
    if missing:
        _unavailable(f"Celery/Redis client not installed ({', '.join(missing)}): needs [scale]")
    import redis

    try:
        redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        _unavailable(f"Redis is not reachable at {REDIS_HOST}:{REDIS_PORT} ({exc})")
    db = redis_free_db()
    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db)
    client.set("balance-gateway-test:claimed", "1")  # claimed, before anyone else looks
    try:
        yield f"redis://{REDIS_HOST}:{REDIS_PORT}/{db}"
    finally:
        client.flushdb()
        client.close()


@pytest.fixture
def state_stores() -> Iterator[Callable[[], str]]:
    """`state_stores()`: the URL of a fresh PostgreSQL state store (a schema of its own in the
    test database), dropped after the test."""
    with ExitStack() as stack:
        yield lambda: stack.enter_context(postgres_schema())


StartEmulators = Callable[..., dict[str, EmulatorProcess]]


@pytest.fixture
def start_emulators(tmp_path: Path) -> Iterator[StartEmulators]:
    """`start_emulators(dataset, vendors)`: each vendor's emulator in its own process, loaded
    with the dataset; all stopped after the test."""
    running: list[EmulatorProcess] = []

    def start(dataset: DemoDataset, vendors: tuple[str, ...]) -> dict[str, EmulatorProcess]:
        found = {}
        for vendor in vendors:
            emulator = EmulatorProcess(
                vendor, dataset.states[vendor], TOKENS[vendor], tmp_path / "emulators"
            )
            running.append(emulator)
            found[vendor] = emulator
        return found

    try:
        yield start
    finally:
        for emulator in running:
            emulator.stop()


def dataset(people: int, seed: int) -> DemoDataset:
    from datetime import UTC, datetime

    return generate_dataset(people, seed, datetime.now(UTC).date())


def write_config(
    folder: Path,
    data: DemoDataset,
    emulators: Mapping[str, EmulatorProcess],
    syncs: str,
    *,
    redis_url: str,
    state_url: str,
    batch_size: int = 5,
    max_in_flight: int = 8,
    visibility_timeout: float = 3600,
    extra: str = "",
    rates: Mapping[str, float] | None = None,
) -> Path:
    """config.toml (the emulators, `syncs`, a [distributed] section on `redis_url`, the state
    store at `state_url`) and the mapping in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    urls = {vendor: UNUSED_URL for vendor in TOKENS}
    urls.update({vendor: emulator.base_url for vendor, emulator in emulators.items()})
    systems = systems_toml(urls)
    for vendor, rate in (rates or {}).items():
        head = f'vendor = "{vendor}"\nbase_url = "{urls[vendor]}"'
        start = systems.index(head)
        at = systems.index("requests_per_second = 2000", start)
        end = at + len("requests_per_second = 2000")
        systems = systems[:at] + f"requests_per_second = {rate}" + systems[end:]
    settings = f"""
[mapping]
file = "employees.csv"

[schedule]
hours_per_day = 8

[guardrails]
max_change = "60 days"
max_operations = 100000

[concurrency]
max_in_flight = {max_in_flight}

[state]
url = "{state_url}"

[distributed]
broker = "{redis_url}"
batch_size = {batch_size}
visibility_timeout_seconds = {visibility_timeout}
queue = "test-{folder.name}"
{extra}
"""
    path = folder / "config.toml"
    path.write_text("\n".join([systems, syncs, settings]))
    (folder / "employees.csv").write_text(mapping_csv(data.people))
    return path


@pytest.fixture
def workers_for(tmp_path: Path) -> Iterator[Callable[[Path], Workers]]:
    """`workers_for(config)`: a `Workers` of that configuration, every worker stopped after."""
    made: list[Workers] = []

    def make(config: Path) -> Workers:
        folder = config.parent / "logs"
        folder.mkdir(exist_ok=True)
        workers = Workers(config, ENV, folder)
        made.append(workers)
        return workers

    try:
        yield make
    finally:
        for workers in made:
            workers.stop()
