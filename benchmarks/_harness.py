"""What the benchmarks share: the data, the emulators in their own processes, the engine run
in a fresh process, and reading back the target's end state.

`bench_sync.py` (engine vs a sequential loop) and `bench_peer.py` (engine vs a concurrent
hand-written script, `peer_script.py`) both build on this module, so that every contender sees
the same data, latency, rate limit and end-state check.

Nothing here is written for a particular vendor: what a vendor brings lives in its own folder,
`adapters/<vendor>/demo.py`, whose `PROFILE.holding` (`adapters._emulator.demo.Holding`) says
how to fill its emulator with the balances chosen here (through the same state-building code as
the demo), how its credentials and options read, and how to read and write one balance at a
time with its SDK (the sequential loop). The target's end state is read back through the
emulator's own admin read (`GET /_emulator/balances`: each employee's balances in canonical
terms), never re-derived from its vendor state here.

Two pairs, between the two kinds of writable target (`benchmark_vendors`): the registry's
first vendor whose adapter writes a ledger and its first readable vendor that sets an absolute
value, both with a `holding`:
- `ABSOLUTE` (ledger -> absolute): an absolute target;
- `LEDGER` (absolute -> ledger): the ledger target (a labelled credit, exactly once).

The engine under measurement runs in `_engine_worker.py` (no emulator, no FastAPI there); run
as a script, this module still forwards `--serve` and `--engine-worker` to where they live.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a plain script from a source tree
    sys.path.insert(0, str(ROOT))

from balance_gateway.adapters._core.adapter import AdapterConfig, Capabilities, WriteKind  # noqa: E402
from balance_gateway.adapters._core.registry import build_adapter  # noqa: E402
from balance_gateway.adapters._core.secrets import Secret  # noqa: E402
from balance_gateway.adapters._emulator import process  # noqa: E402
from balance_gateway.adapters._emulator.demo import (  # noqa: E402
    DemoPerson,
    DemoProfile,
    Holding,
    demo_profiles,
    steps,
    vendor_random,
)
from balance_gateway.canonical import LeaveKind, Quantity, Unit, WorkSchedule, convert  # noqa: E402
from balance_gateway.gateway.demo import systems_toml  # noqa: E402
from benchmarks._engine_worker import (  # noqa: E402  (the engine worker's, kept importable here)
    CountingTransport as CountingTransport,
)
from benchmarks._engine_worker import engine_worker as engine_worker  # noqa: E402
from benchmarks._engine_worker import peak_rss_bytes as peak_rss_bytes  # noqa: E402
from benchmarks._engine_worker import rss_bytes as rss_bytes  # noqa: E402

LATENCY_MS = 20.0
# The target's limit: what one uvicorn emulator process (h11) sustains on a 2-core machine
# next to the engine; see BENCHMARKS.md for how it was chosen.
RATE_LIMIT = 300.0
# The client's budget for the target: a little under the vendor's limit, so that jitter on
# loopback never pushes a request over it (a 429 costs a Retry-After of at least 1 s).
CLIENT_RATE_FRACTION = 0.97
MAX_IN_FLIGHT = 16
UNLIMITED_RPS = 100_000  # "no rate limit" for a config that needs a figure
SEED = 9
ENV_PREFIX = "BENCH"  # the credentials' environment variables: BENCH_<VENDOR>_<KEY>
WORKER = Path(__file__).resolve().parent / "_engine_worker.py"

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
COUNTS_PATH = "/_bench/counts"

PROFILES: dict[str, DemoProfile] = {
    vendor: profile for vendor, profile in demo_profiles().items() if profile.holding is not None
}


def holding(vendor: str) -> Holding:
    """`vendor`'s `Holding` (KeyError naming the vendors that have one)."""
    profile = PROFILES.get(vendor)
    if profile is None or profile.holding is None:
        raise KeyError(f"{vendor!r} cannot hold chosen balances; these can: {', '.join(PROFILES)}")
    return profile.holding


def adapter_config(
    vendor: str, base_url: str, transport: httpx.AsyncBaseTransport | None = None
) -> AdapterConfig:
    """The adapter config of `vendor`'s emulator at `base_url`, as the benchmark's config."""
    profile = PROFILES[vendor]
    return AdapterConfig(
        system=vendor,
        base_url=base_url,
        credentials={key: Secret(value) for key, value in profile.credentials.items()},
        options={**profile.options, **holding(vendor).options},
        transport=transport,
    )


def capabilities(vendor: str) -> Capabilities:
    """What `vendor`'s adapter can do (built, never sending a request)."""
    return build_adapter(vendor, adapter_config(vendor, "http://127.0.0.1:9")).capabilities


def benchmark_vendors() -> tuple[str, str]:
    """(ledger, absolute): the first vendors (registry order) with a `holding` whose adapter
    reads and writes a ledger, and reads and sets an absolute value."""
    found = {vendor: capabilities(vendor) for vendor in PROFILES}

    def first(kind: WriteKind) -> str:
        for vendor, can in found.items():
            if can.can_read and can.can_write and can.write_kind is kind:
                return vendor
        raise RuntimeError(f"no vendor with a holding reads and writes {kind.value!r}")

    return first(WriteKind.LEDGER), first(WriteKind.SET)


ENV = {
    name: value
    for profile in PROFILES.values()
    for name, value in profile.environment(ENV_PREFIX).items()
}


@dataclass(frozen=True)
class LeaveType:
    """One leave type of the benchmark, by canonical kind (each vendor names it in its
    profile's `leave_types`); the source holds between `low` and `high` days of it, a
    multiple of `step`."""

    kind: str  # the canonical LeaveKind of the config
    low: int
    high: int
    step: str

    @property
    def leave_kind(self) -> LeaveKind:
        return LeaveKind(self.kind)


HOLIDAY = LeaveType("vacation", 15, 30, "0.5")
OVERTIME = LeaveType("work_time", 0, 3, "0.05")
SPECIAL = LeaveType("personal", 0, 5, "0.5")
TWO_TYPES = (HOLIDAY, OVERTIME)
THREE_TYPES = (HOLIDAY, OVERTIME, SPECIAL)


@dataclass(frozen=True)
class Pair:
    source: str
    target: str

    @property
    def name(self) -> str:
        return f"{self.source}-to-{self.target}"

    @property
    def vendors(self) -> tuple[str, str]:
        return (self.source, self.target)

    def type_id(self, vendor: str, leave: LeaveType) -> str:
        """`vendor`'s leave type id for `leave` (its profile's `leave_types`)."""
        return PROFILES[vendor].leave_types[leave.leave_kind]

    @property
    def ledger_target(self) -> bool:
        return capabilities(self.target).write_kind is WriteKind.LEDGER


_LEDGER_VENDOR, _ABSOLUTE_VENDOR = benchmark_vendors()
ABSOLUTE = Pair(_LEDGER_VENDOR, _ABSOLUTE_VENDOR)
LEDGER = Pair(_ABSOLUTE_VENDOR, _LEDGER_VENDOR)
PAIRS = {p.name: p for p in (ABSOLUTE, LEDGER)}


# -- data -----------------------------------------------------------------------------------------

# One person of the benchmark, known to both systems of the pair (`ids`).
Person = DemoPerson


@dataclass
class Dataset:
    pair: Pair
    types: tuple[LeaveType, ...]
    people: list[Person]
    states: dict[str, dict[str, Any]]  # vendor -> its emulator's bare state
    # (target employee id, target type id) -> what the target should hold after a sync, in
    # its own unit
    want: dict[tuple[str, str], Decimal]

    def state_of(self, vendor: str) -> dict[str, Any]:
        return self.states[vendor]


def _in_unit(vendor: str, leave: LeaveType, days: Decimal, schedule: WorkSchedule) -> Decimal:
    unit = holding(vendor).units[leave.leave_kind]
    return convert(Quantity(days, Unit.DAYS), unit, schedule).value


def generate(
    n: int,
    pair: Pair = ABSOLUTE,
    types: tuple[LeaveType, ...] = TWO_TYPES,
    *,
    seed: int = SEED,
    today: date | None = None,
    absences: bool = True,
) -> Dataset:
    """`n` people in both systems of `pair`, deterministic for `seed`, built by each vendor's
    `Holding` from the balances chosen here (`Holding.state`: a ledger vendor books them as a
    quota with 0-3 absences, or a credit; `absences` must stay true, the vendors' history).

    Every tenth person's balances already agree; the others' differ by 1 to 5 days: an
    absolute target holds more than the source, a ledger target less (a ledger target can be
    credited, never lowered below what others booked)."""
    if not absences:
        raise ValueError("absences=False is gone: each vendor's holding books its own history")
    rng = random.Random(seed)
    day = today or datetime.now(UTC).date()
    randoms = {vendor: vendor_random(seed, vendor) for vendor in pair.vendors}
    people = [
        Person(
            name=f"Person {i}",
            email=f"person{i}@bench.example",
            number=f"B{i:06d}",
            hours_per_day=Decimal("7.5") if i % 5 == 0 else Decimal(8),
            ids={vendor: holding(vendor).employee_id(randoms[vendor]) for vendor in pair.vendors},
        )
        for i in range(n)
    ]
    held: dict[str, dict[tuple[str, LeaveKind], Decimal]] = {v: {} for v in pair.vendors}
    want: dict[tuple[str, str], Decimal] = {}
    ledger_target = pair.ledger_target
    for i, person in enumerate(people):
        schedule = WorkSchedule(person.hours_per_day)
        source_id, target_id = person.ids[pair.source], person.ids[pair.target]
        for leave in types:
            source_days = target_days = steps(rng, leave.low, leave.high, leave.step)
            if i % 10 != 0:
                delta = steps(rng, 1, 5, "0.5")
                if ledger_target:  # the source is ahead: the ledger target needs a credit
                    source_days += delta
                else:
                    target_days += delta
            kind = leave.leave_kind
            held[pair.source][(source_id, kind)] = _in_unit(
                pair.source, leave, source_days, schedule
            )
            held[pair.target][(target_id, kind)] = _in_unit(
                pair.target, leave, target_days, schedule
            )
            want[(target_id, pair.type_id(pair.target, leave))] = _in_unit(
                pair.target, leave, source_days, schedule
            )
    states = {
        vendor: holding(vendor).state(randoms[vendor], people, held[vendor], day)
        for vendor in pair.vendors
    }
    return Dataset(pair, types, people, states, want)


def wrong_balances(data: Dataset, got: Mapping[tuple[str, str], Decimal]) -> int:
    """How many target balances differ from what the source says they should be."""
    return sum(1 for key, value in data.want.items() if got.get(key) != value)


def write_mapping(folder: Path, data: Dataset) -> Path:
    """employees.csv: one row per person, columns named after the systems."""
    folder.mkdir(parents=True, exist_ok=True)
    vendors = data.pair.vendors
    lines = [",".join([*vendors, "hours_per_day"])]
    lines += [",".join([*(p.ids[v] for v in vendors), str(p.hours_per_day)]) for p in data.people]
    path = folder / "employees.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


# -- emulators, each in its own process -----------------------------------------------------------


class CountingApp:
    """ASGI wrapper: counts every vendor request by method and status (the admin API and
    this counter's own route are not counted) and answers GET /_bench/counts."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.counts: Counter[str] = Counter()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_emulator"):
            await self.app(scope, receive, send)
            return
        if scope["path"] == COUNTS_PATH:
            body = json.dumps(dict(self.counts)).encode()
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        method = scope["method"]

        async def counted(message: Any) -> None:
            if message["type"] == "http.response.start":
                self.counts[f"{method} {message['status']}"] += 1
            await send(message)

        await self.app(scope, receive, counted)


_COUNTING = "benchmarks._harness:CountingApp"


def serve(vendor: str, state_file: str, latency_ms: float, rate_limit: float) -> None:
    """The emulator process: serve `vendor` loaded from `state_file`, requests counted; print
    the port; stop when the parent closes standard input (`adapters._emulator.process`)."""
    token = PROFILES[vendor].token
    process.main(
        [
            vendor,
            state_file,
            token,
            "--latency-ms",
            str(latency_ms),
            "--rate-limit",
            str(rate_limit),
            "--wrap",
            _COUNTING,
        ]
    )


class EmulatorProcess(process.EmulatorProcess):
    """One emulator served by a child process (`adapters._emulator.process`), with the
    benchmark's latency, its requests counted (`CountingApp`)."""

    def __init__(
        self, vendor: str, state: Mapping[str, Any], folder: Path, *, rate_limit: float = 0
    ) -> None:
        super().__init__(
            vendor,
            state,
            folder,
            token=PROFILES[vendor].token,
            latency_ms=LATENCY_MS,
            rate_limit=rate_limit,
            wrap=_COUNTING,
            cwd=ROOT,
        )

    def counts(self) -> Counter[str]:
        """Requests served so far, by "METHOD STATUS"."""
        return Counter(self.get(COUNTS_PATH))

    def faults(self) -> dict[str, int]:
        return dict(self.get("/_emulator/faults")["counts"])


class Emulators:
    """The pair's source and target emulators, fresh, loaded with `data`; only the target is
    rate limited (`rate_limit` 0: not at all)."""

    def __init__(self, data: Dataset, folder: Path, rate_limit: float) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        pair = data.pair
        self.source = EmulatorProcess(pair.source, data.state_of(pair.source), folder)
        try:
            self.target = EmulatorProcess(
                pair.target, data.state_of(pair.target), folder, rate_limit=rate_limit
            )
        except BaseException:
            self.source.stop()
            raise

    def url(self, vendor: str) -> str:
        return (self.source if self.source.vendor == vendor else self.target).base_url

    def stop(self) -> None:
        self.source.stop()
        self.target.stop()

    def __enter__(self) -> Emulators:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -- the engine ----------------------------------------------------------------------------------


def client_rps(rate_limit: float) -> float:
    """The budget a client keeps for the target (`rate_limit` 0: unlimited)."""
    return rate_limit * CLIENT_RATE_FRACTION if rate_limit else UNLIMITED_RPS


def write_config(folder: Path, data: Dataset, urls: Mapping[str, str], rate_limit: float) -> Path:
    """config.toml and employees.csv for the pair's sync, in `folder`."""
    pair = data.pair
    write_mapping(folder, data)
    types = ", ".join(
        f"{{ source = {json.dumps(pair.type_id(pair.source, t))}, "
        f"target = {json.dumps(pair.type_id(pair.target, t))}, kind = {json.dumps(t.kind)} }}"
        for t in data.types
    )
    systems = systems_toml(
        {vendor: urls[vendor] for vendor in pair.vendors},
        PROFILES,
        prefix=ENV_PREFIX,
        requests_per_second={pair.source: UNLIMITED_RPS, pair.target: client_rps(rate_limit)},
        options={vendor: holding(vendor).options for vendor in pair.vendors},
    )
    config = f"""\
{systems}
[[syncs]]
name = "{pair.name}"
source = "{pair.source}"
target = "{pair.target}"
types = [{types}]

[mapping]
file = "employees.csv"

[schedule]
hours_per_day = 8

[guardrails]
max_change = "400 days"
max_operations = 100000000

[concurrency]
max_in_flight = {MAX_IN_FLIGHT}

[state]
path = "state.sqlite3"
"""
    path = folder / "config.toml"
    path.write_text(config)
    return path


def run_engine(config_path: Path, *, second: bool = True) -> dict[str, Any]:
    """`engine_worker` in a fresh Python process (`_engine_worker.py`, the credentials in
    its environment); its JSON."""
    command = [sys.executable, str(WORKER), str(config_path)]
    if not second:
        command.append("--once")
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **ENV},
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the engine worker failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# -- the sequential loop (the reference) ------------------------------------------------------


class _CountingSyncTransport(httpx.BaseTransport):
    """Counts every request a blocking client sends (each attempt), by "METHOD STATUS"."""

    def __init__(self, counts: Counter[str]) -> None:
        self.inner = httpx.HTTPTransport()
        self.counts = counts

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = self.inner.handle_request(request)
        except httpx.TransportError:
            self.counts[f"{request.method} error"] += 1
            raise
        self.counts[f"{request.method} {response.status_code}"] += 1
        return response

    def close(self) -> None:
        self.inner.close()


def sequential_loop(
    data: Dataset, people: Sequence[Person], urls: Mapping[str, str]
) -> tuple[float, Counter[str]]:
    """What a user writes by hand with each vendor's blocking SDK client and no concurrency:
    for each employee and type, read the source balance, read the target balance, write the
    target when different; one request at a time (each vendor's `Holding.one_at_a_time`: one
    request a read, one a write; the SDK retries a 429 after its Retry-After). Returns
    (seconds, requests by "METHOD STATUS")."""
    counts: Counter[str] = Counter()
    pair = data.pair
    source = holding(pair.source).one_at_a_time(urls[pair.source], _CountingSyncTransport(counts))
    target = holding(pair.target).one_at_a_time(urls[pair.target], _CountingSyncTransport(counts))
    started = time.perf_counter()
    try:
        for person in people:
            schedule = WorkSchedule(person.hours_per_day)
            source_id, target_id = person.ids[pair.source], person.ids[pair.target]
            for leave in data.types:
                target_type = pair.type_id(pair.target, leave)
                have = source.read(source_id, pair.type_id(pair.source, leave))
                current = target.read(target_id, target_type)
                unit = holding(pair.source).units[leave.leave_kind]
                should = convert(
                    Quantity(have, unit), holding(pair.target).units[leave.leave_kind], schedule
                ).value
                if should != current:
                    target.write(target_id, target_type, should)
    finally:
        source.close()
        target.close()
    return time.perf_counter() - started, counts


# -- measurements ---


@dataclass
class EngineRun:
    wall: float
    cpu: float
    balances: int
    applied: int
    verified: int
    exit_code: int
    requests: int  # both systems, counted by the transport
    target_requests: int
    writes: int
    rate_limited: int  # 429s from the target
    server_requests: int  # both systems, counted by the emulators (both syncs)
    client_requests_both_syncs: int
    peak_rss: int
    rss_growth: int
    second_wall: float
    second_requests: int
    second_writes: int
    second_exit_code: int
    lower_bound: float
    bound_by: str
    target_cpu_per_request: float  # the target emulator's CPU / requests it served


def measure_engine(
    data: Dataset, folder: Path, rate_limit: float, *, second: bool = True
) -> tuple[EngineRun, dict[tuple[str, str], Decimal]]:
    """One engine measurement on fresh emulators (`second`: then a sync with no change);
    returns it and the target's end balances (`EmulatorProcess.balances`)."""
    source, target = data.pair.source, data.pair.target
    with Emulators(data, folder / "emulators", rate_limit) as emus:
        config = write_config(
            folder / "config",
            data,
            {source: emus.source.base_url, target: emus.target.base_url},
            rate_limit,
        )
        target_cpu = emus.target.cpu_seconds()
        result = run_engine(config, second=second)
        target_cpu = emus.target.cpu_seconds() - target_cpu
        target_served = total(emus.target.counts())
        server = emus.source.counts() + emus.target.counts()
        faults = emus.target.faults()
        balances = emus.target.balances()
    first = result["first"]
    again = result["second"] or {"wall": 0.0, "requests": {}, "errors": [], "exit_code": 0}
    if first["errors"] or again["errors"]:
        raise RuntimeError(f"a sync could not be planned: {first['errors'] or again['errors']}")
    req1 = {name: Counter(c) for name, c in first["requests"].items()}
    req2 = {name: Counter(c) for name, c in again["requests"].items()}
    all_1 = total(req1[source]) + total(req1[target])
    target_1 = total(req1[target])
    bound, bound_by = lower_bound(target_1, all_1, rate_limit)
    both = sum(req1.values(), Counter()) + sum(req2.values(), Counter())
    run = EngineRun(
        wall=first["wall"],
        cpu=first["cpu"],
        balances=first["balances"],
        applied=first["applied"],
        verified=first["verified"],
        exit_code=first["exit_code"],
        requests=all_1,
        target_requests=target_1,
        writes=total(req1[target], writes_only=True),
        rate_limited=int(faults.get("rate_limited", 0)),
        server_requests=total(server),
        client_requests_both_syncs=total(both),
        peak_rss=first["peak_rss"],
        rss_growth=first["peak_rss"] - first["rss_before"],
        second_wall=again["wall"],
        second_requests=sum(total(c) for c in req2.values()),
        second_writes=sum(total(c, writes_only=True) for c in req2.values()),
        second_exit_code=again["exit_code"],
        lower_bound=bound,
        bound_by=bound_by,
        target_cpu_per_request=target_cpu / max(1, target_served),
    )
    return run, balances


def measure_loop(
    data: Dataset, people: Sequence[Person], folder: Path, rate_limit: float
) -> tuple[float, Counter[str], bool]:
    """The sequential loop over `people` on fresh emulators: (seconds, requests, whether it
    left every balance of those people as the source says)."""
    with Emulators(data, folder, rate_limit) as emus:
        urls = {emus.source.vendor: emus.source.base_url, emus.target.vendor: emus.target.base_url}
        wall, counts = sequential_loop(data, people, urls)
        got = emus.target.balances()
    covered = {p.ids[data.pair.target] for p in people}
    right = all(got.get(key) == value for key, value in data.want.items() if key[0] in covered)
    return wall, counts, right


# -- figures -------------------------------------------------------------------------------------


def total(counts: Mapping[str, int], *, writes_only: bool = False) -> int:
    return sum(c for key, c in counts.items() if not writes_only or key.split()[0] in WRITE_METHODS)


def lower_bound(target_requests: int, all_requests: int, rate_limit: float) -> tuple[float, str]:
    """The least time `all_requests` (of which `target_requests` to the rate-limited target)
    can take, and what binds it. The target's bucket starts full with one second's worth
    (`FaultConfig.rate_limit`): the first `rate_limit` requests may pass at once, every
    further one waits for a token."""
    by_rate = max(0.0, target_requests - rate_limit) / rate_limit if rate_limit else 0.0
    by_latency = all_requests * (LATENCY_MS / 1000) / MAX_IN_FLIGHT
    return (by_rate, "rate limit") if by_rate >= by_latency else (by_latency, "latency")


def mb(value: float) -> str:
    return f"{value / 2**20:.1f} MB"


def machine() -> str:
    return (
        f"nproc {os.cpu_count()}, Python {sys.version.split()[0]}, "
        f"httpx {httpx.__version__}, {sys.platform}"
    )


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


def markdown_table(columns: Sequence[str], rows: Sequence[tuple[str, Sequence[str]]]) -> str:
    head = "| | " + " | ".join(columns) + " |"
    lines = [head, "|---" * (len(columns) + 1) + "|"]
    lines += [f"| {label} | " + " | ".join(cells) + " |" for label, cells in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if arguments[:1] == ["--serve"]:  # an emulator process (`EmulatorProcess`)
        serve(arguments[1], arguments[2], float(arguments[3]), float(arguments[4]))
    elif arguments[:1] == ["--engine-worker"]:  # now `_engine_worker.py` (`run_engine`)
        engine_worker(arguments[1], second="--once" not in arguments)
    else:
        sys.exit(f"usage: {sys.argv[0]} --serve ... | --engine-worker CONFIG [--once]")


def publish(
    report: list[str],
    raw: list[dict[str, Any]],
    problems: list[str],
    markdown: Path | None,
    raw_json: Path | None,
) -> int:
    """Print the report (and write it as Markdown, the raw results as JSON, when asked), then
    each problem as a FAILED line: the exit code, 1 when there is any problem."""
    print("\n".join(report))
    if markdown is not None:
        markdown.write_text("\n".join(report) + "\n")
    if raw_json is not None:
        raw_json.write_text(json.dumps(raw, indent=2, default=str))
    for problem in problems:
        print(f"FAILED: {problem}")
    return 1 if problems else 0
