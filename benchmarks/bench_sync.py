"""Benchmark: a full `sync` of N employees x 2 leave types between two emulated vendors.

    python benchmarks/bench_sync.py                 # N = 1,000 and 10,000 (several minutes)
    python benchmarks/bench_sync.py --quick         # N = 60, a few seconds (the test's mode)
    python benchmarks/bench_sync.py --sizes 1000,10000 --repeat 3 --markdown out.md

The pair: Zeitstrom (a ledger read by an aggregate, days) -> Journyx (accruals in hours, set
by PATCH). Journyx is the target with the fewest requests per written balance that can also
be read back, so the benchmark shows the engine rather than a chatty dialect.

Set-up, per size and per measured run (always fresh emulators):
- each emulator runs under uvicorn (`ServerThread`) on 127.0.0.1 in its OWN process, as a
  real vendor is another machine: the engine's CPU time and memory are then its own, and the
  emulators do not share the engine's GIL;
- every request to either emulator waits LATENCY_MS (20 ms) more; the target also has a token
  bucket rate limit (RATE_LIMIT requests/s, burst one second's worth; over it: 429 with
  Retry-After);
- generated data (deterministic for the seed) is loaded into both; about 90% of the target
  balances differ from the source.

Measured:
- engine: `gateway.runner.run_sync` (what `balance-gateway sync` runs: resolve, plan, apply,
  verify, journal in SQLite) in a fresh Python process per run; wall time, requests (counted
  by a transport under the engine's budget AND by each emulator; they must agree), requests/s,
  CPU time per balance (process CPU / balances), peak memory (peak RSS of that process and
  its growth during the sync); then a second sync with no source change, which must not
  write.
- sequential: the script a user writes by hand (httpx, one request at a time: read the source
  balance, read the target balance, PATCH when different) on fresh emulators with the same
  latency and rate limit; for large N on a subset of the employees, extrapolated linearly
  (said so in the table). Its end state is checked against the engine's.
- lower bound: the engine's own requests can go no faster than the target's rate limit
  ((target requests - the bucket's one-second burst) / RATE_LIMIT) nor than latency allows
  with MAX_IN_FLIGHT requests in flight (all requests x 20 ms / MAX_IN_FLIGHT); the larger.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a plain script from a source tree
    sys.path.insert(0, str(ROOT))

LATENCY_MS = 20.0
# The target's limit: what the Journyx emulator (one uvicorn process, h11) sustains on a
# 2-core machine next to the engine; see BENCHMARKS.md for how it was chosen.
RATE_LIMIT = 300.0
# The engine's own budget for the target: a little under the vendor's limit, so that jitter on
# loopback never pushes a request over it (a 429 costs a Retry-After of at least 1 s).
CLIENT_RATE_FRACTION = 0.97
MAX_IN_FLIGHT = 16
SOURCE_RPS = 100_000  # the source has no rate limit; the config needs a figure
SEED = 9
SUBSET_EMPLOYEES = 1_000  # the sequential loop's subset for larger N

ZEITSTROM_TOKEN = "bench-zeitstrom-token"
JOURNYX_USER = "admin"
JOURNYX_KEY = "bench-journyx-api-key"
ENV = {"BENCH_ZEITSTROM_TOKEN": ZEITSTROM_TOKEN, "BENCH_JOURNYX_USERNAME": JOURNYX_USER}
ENV["BENCH_JOURNYX_API_KEY"] = JOURNYX_KEY
# (source missing_type, target pname)
TYPES = (("holiday", "Vacation"), ("overtime", "Time Bank"))
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

ZEITSTROM_AGGREGATE = "/api/v2/timestamps/absence-transactions/aggregate/"
JOURNYX_ACCRUALS = "/api/v1/accruals"
COUNTS_PATH = "/_bench/counts"


# -- data -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    zeitstrom: str
    journyx: str
    hours_per_day: Decimal


@dataclass
class Dataset:
    people: list[Person]
    zeitstrom: dict[str, Any]
    journyx: dict[str, Any]
    source_days: dict[tuple[str, str], Decimal]  # (zeitstrom id, missing_type) -> net days


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _hex(rng: random.Random) -> str:
    return uuid.UUID(int=rng.getrandbits(128)).hex.upper()


def _step(rng: random.Random, low: int, high: int, step: str) -> Decimal:
    size = Decimal(step)
    return Decimal(low) + size * rng.randint(0, int((high - low) / size))


def generate(n: int, seed: int = SEED, today: date | None = None) -> Dataset:
    """`n` people in Zeitstrom (source) and Journyx (target), deterministic for `seed`.

    Source: per person a holiday quota with 0-3 absences, and manual overtime (days).
    Target: a Vacation and a Time Bank accrual per person; every tenth person's already equal
    the source (times their working day), the others differ."""
    rng = random.Random(seed)
    start = date((today or datetime.now(UTC).date()).year, 1, 1).isoformat()
    people: list[Person] = []
    transactions: list[dict[str, Any]] = []
    source_days: dict[tuple[str, str], Decimal] = {}
    admin = _hex(rng)
    users: dict[str, dict[str, Any]] = {
        admin: {  # first: the emulator finds the API user by a scan of users
            "id": admin,
            "username": JOURNYX_USER,
            "first_name": "Bench",
            "last_name": "Admin",
            "email": "admin@bench.example",
        }
    }
    pay_types = {name: _hex(rng) for _, name in TYPES}
    accruals: dict[str, dict[str, Any]] = {}

    def tx(employee: str, kind: str, amount: Decimal, source: str, label: str) -> None:
        transactions.append(
            {
                "id": _uuid(rng),
                "employee_id": employee,
                "label": label,
                "missing_type": kind,
                "date": start,
                "amount": str(amount),
                "source": source,
            }
        )

    for i in range(n):
        person = Person(_uuid(rng), _hex(rng), Decimal("7.5") if i % 5 == 0 else Decimal(8))
        people.append(person)
        quota = _step(rng, 24, 30, "1")
        tx(person.zeitstrom, "holiday", quota, "repeating-rule", "Annual quota")
        taken = Decimal(0)
        for _ in range(rng.randint(0, 3)):
            days = _step(rng, 1, 5, "0.5")
            taken += days
            tx(person.zeitstrom, "holiday", days, "absence", "Vacation")
        overtime = _step(rng, 0, 3, "0.05")
        tx(person.zeitstrom, "overtime", overtime, "manual", "Overtime carried")
        source_days[(person.zeitstrom, "holiday")] = quota - taken
        source_days[(person.zeitstrom, "overtime")] = overtime
        users[person.journyx] = {
            "id": person.journyx,
            "username": f"person{i}",
            "first_name": "Person",
            "last_name": str(i),
            "email": f"person{i}@bench.example",
        }
        for kind, pname in TYPES:
            hours = source_days[(person.zeitstrom, kind)] * person.hours_per_day
            if i % 10 != 0:
                hours += _step(rng, 1, 40, "0.25")
            accrual = _hex(rng)
            accruals[accrual] = {
                "id": accrual,
                "id_timebank": accrual,
                "id_user": person.journyx,
                "pname": pname,
                "pay_type_ids": [pay_types[pname]],
                "hours_left": str(hours),
                "creator": admin,
                "create_timestamp": "1735689600",
                "modifier": admin,
                "modify_timestamp": "1735689600",
            }
    zeitstrom = {
        "employees": [{"id": p.zeitstrom, "name": f"Person {i}"} for i, p in enumerate(people)],
        "absence_types": [
            {"missing_type": "holiday", "name": "Holiday", "has_quota": True},
            {"missing_type": "overtime", "name": "Overtime", "has_quota": False},
        ],
        "transactions": transactions,
    }
    journyx = {
        "users": users,
        "pay_types": {pid: {"id": pid, "name": f"{name} PTO"} for name, pid in pay_types.items()},
        "accruals": accruals,
    }
    return Dataset(people, zeitstrom, journyx, source_days)


def desired_hours(data: Dataset) -> dict[tuple[str, str], Decimal]:
    """(journyx user, pname) -> the hours the target should hold after a sync."""
    return {
        (p.journyx, pname): data.source_days[(p.zeitstrom, kind)] * p.hours_per_day
        for p in data.people
        for kind, pname in TYPES
    }


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


def serve(vendor: str, state_file: str, latency_ms: float, rate_limit: float) -> None:
    """The emulator process: serve `vendor` loaded from `state_file`; print the port; stop
    when the parent closes standard input."""
    from balance_gateway.adapters._emulator import EmulatorOptions, ServerThread, build_emulator

    token = ZEITSTROM_TOKEN if vendor == "zeitstrom" else JOURNYX_KEY
    options = EmulatorOptions(
        token=token,
        data=Path(state_file),
        latency_ms=latency_ms,
        rate_limit=rate_limit or None,
    )
    emulator = build_emulator(vendor, options)
    with ServerThread(CountingApp(emulator.app)) as server:
        print(f"PORT {server.port}", flush=True)
        sys.stdin.read()


class EmulatorProcess:
    """One emulator served by a child process (`serve`)."""

    def __init__(
        self, vendor: str, state: Mapping[str, Any], folder: Path, *, rate_limit: float = 0
    ) -> None:
        self.vendor = vendor
        state_file = folder / f"{vendor}-state.json"
        state_file.write_text(json.dumps(state))
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--serve",
            vendor,
            str(state_file),
            str(LATENCY_MS),
            str(rate_limit),
        ]
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"the {vendor} emulator did not start (said {line!r})")
        self.base_url = f"http://127.0.0.1:{int(line.split()[1])}"

    def _get(self, path: str) -> Any:
        with httpx.Client(timeout=120) as http:
            response = http.get(self.base_url + path)
            response.raise_for_status()
            return response.json()

    def counts(self) -> Counter[str]:
        """Requests served so far, by "METHOD STATUS"."""
        return Counter(self._get(COUNTS_PATH))

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the emulator process has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def faults(self) -> dict[str, int]:
        return dict(self._get("/_emulator/faults")["counts"])

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = self._get("/_emulator/state")["tenants"]["default"]
        return state

    def stop(self) -> None:
        if self.process.stdin is not None and not self.process.stdin.closed:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


class Emulators:
    """The source and the target emulator, fresh, loaded with `data`."""

    def __init__(self, data: Dataset, folder: Path, rate_limit: float) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.source = EmulatorProcess("zeitstrom", data.zeitstrom, folder)
        try:
            self.target = EmulatorProcess("journyx", data.journyx, folder, rate_limit=rate_limit)
        except BaseException:
            self.source.stop()
            raise

    def stop(self) -> None:
        self.source.stop()
        self.target.stop()

    def __enter__(self) -> Emulators:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -- the engine ----------------------------------------------------------------------------------


def write_config(
    folder: Path, data: Dataset, source_url: str, target_url: str, rate_limit: float
) -> Path:
    """config.toml and employees.csv for the Zeitstrom -> Journyx sync, in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    target_rps = rate_limit * CLIENT_RATE_FRACTION
    types = ", ".join(
        f'{{ source = "{kind}", target = "{pname}", kind = "{kind}" }}'.replace(
            'kind = "holiday"', 'kind = "vacation"'
        ).replace('kind = "overtime"', 'kind = "work_time"')
        for kind, pname in TYPES
    )
    config = f"""\
[systems.zeitstrom]
vendor = "zeitstrom"
base_url = "{source_url}"
credentials = {{ token = "BENCH_ZEITSTROM_TOKEN" }}
requests_per_second = {SOURCE_RPS}

[systems.journyx]
vendor = "journyx"
base_url = "{target_url}"
credentials = {{ username = "BENCH_JOURNYX_USERNAME", api_key = "BENCH_JOURNYX_API_KEY" }}
options = {{ page_size = 1000 }}
requests_per_second = {target_rps}

[[syncs]]
name = "zeitstrom-to-journyx"
source = "zeitstrom"
target = "journyx"
types = [{types}]

[mapping]
file = "employees.csv"

[schedule]
hours_per_day = 8

[guardrails]
max_change = "400 days"
max_operations = 1000000

[concurrency]
max_in_flight = {MAX_IN_FLIGHT}

[state]
path = "state.sqlite3"
"""
    path = folder / "config.toml"
    path.write_text(config)
    lines = ["zeitstrom,journyx,hours_per_day"]
    lines += [f"{p.zeitstrom},{p.journyx},{p.hours_per_day}" for p in data.people]
    (folder / "employees.csv").write_text("\n".join(lines) + "\n")
    return path


class CountingTransport(httpx.AsyncBaseTransport):
    """Counts every request an adapter sends (each attempt), by "METHOD STATUS"."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.counts: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await self.inner.handle_async_request(request)
        except httpx.TransportError:
            self.counts[f"{request.method} error"] += 1
            raise
        self.counts[f"{request.method} {response.status_code}"] += 1
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


async def _one_sync(config_path: Path) -> dict[str, Any]:
    from balance_gateway.gateway.config import load_config
    from balance_gateway.gateway.runner import run_sync

    config = load_config(config_path, env=ENV)
    # What the engine sends through anyway (`gateway.systems`), counted.
    transports = {
        name: CountingTransport(httpx.AsyncHTTPTransport()) for name in ("zeitstrom", "journyx")
    }
    cpu, wall = time.process_time(), time.perf_counter()
    report = await run_sync(config, transports=transports)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    results = report.results
    return {
        "wall": wall,
        "cpu": cpu,
        "exit_code": report.exit_code,
        "summary": report.summary,
        "balances": sum(1 for r in results if r.row.source_value is not None),
        "applied": sum(1 for r in results if r.status.value == "applied"),
        "verified": sum(1 for r in results if r.verified is True),
        "errors": [p.error for p in report.plans if p.error],
        "requests": {name: dict(t.counts) for name, t in transports.items()},
    }


def engine_worker(config_path: str) -> None:
    """A fresh process: sync once (measured), then again with no change; print JSON."""
    path = Path(config_path)
    import balance_gateway.gateway.runner  # noqa: F401  (imports are not part of the measured sync)

    rss_before = _rss_bytes()
    first = asyncio.run(_one_sync(path))
    first["rss_before"] = rss_before
    first["peak_rss"] = _peak_rss_bytes()
    second = asyncio.run(_one_sync(path))
    print(json.dumps({"first": first, "second": second}))


def run_engine(config_path: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--engine-worker", str(config_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the engine worker failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# -- the sequential loop -------------------------------------------------------------------------


def sequential_loop(
    people: Sequence[Person], source_url: str, target_url: str
) -> tuple[float, Counter[str]]:
    """What a user writes by hand: for each employee and type, read the source balance, read
    the target balance, PATCH it when different; one request at a time. Returns (seconds,
    requests by "METHOD STATUS")."""
    counts: Counter[str] = Counter()
    source = httpx.Client(
        base_url=source_url, headers={"Authorization": f"Token {ZEITSTROM_TOKEN}"}, timeout=60
    )
    target = httpx.Client(base_url=target_url, auth=(JOURNYX_USER, JOURNYX_KEY), timeout=60)

    def send(client: httpx.Client, method: str, url: str, **kwargs: Any) -> Any:
        while True:
            response = client.request(method, url, **kwargs)
            counts[f"{method} {response.status_code}"] += 1
            if response.status_code != 429:
                response.raise_for_status()
                return response.json()
            time.sleep(float(response.headers.get("retry-after", "1")))

    started = time.perf_counter()
    with source, target:
        for person in people:
            for kind, pname in TYPES:
                rows = send(
                    source,
                    "GET",
                    ZEITSTROM_AGGREGATE,
                    params={"employee_ids": person.zeitstrom, "balance": "true"},
                )["results"]
                days = next(Decimal(str(r["balance"])) for r in rows if r["missing_type"] == kind)
                hours = days * person.hours_per_day
                query = f"id_user eq '{person.journyx}' and pname eq '{pname}'"
                accrual = send(
                    target,
                    "GET",
                    JOURNYX_ACCRUALS,
                    params={"$filter": query, "$keys": "id,hours_left"},
                )["results"][0]
                if Decimal(str(accrual["hours_left"])) != hours:
                    send(
                        target,
                        "PATCH",
                        f"{JOURNYX_ACCRUALS}/{accrual['id']}",
                        json={"hours_left": float(hours)},
                    )
    return time.perf_counter() - started, counts


# -- one size ------------------------------------------------------------------------------------


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


@dataclass
class SizeResult:
    n: int
    balances: int
    runs: list[EngineRun] = field(default_factory=list)
    loop_people: int = 0
    loop_wall: float = 0.0
    loop_requests: int = 0
    loop_writes: int = 0
    loop_matches_engine: bool = False

    @property
    def engine(self) -> EngineRun:
        """The run with the median wall time."""
        ordered = sorted(self.runs, key=lambda r: r.wall)
        return ordered[(len(ordered) - 1) // 2]

    @property
    def loop_wall_full(self) -> float:
        """The sequential loop's time for all N (linear extrapolation from the subset)."""
        return self.loop_wall * self.n / self.loop_people

    @property
    def loop_requests_full(self) -> float:
        return self.loop_requests * self.n / self.loop_people


def _total(counts: Mapping[str, int], *, writes_only: bool = False) -> int:
    return sum(c for key, c in counts.items() if not writes_only or key.split()[0] in WRITE_METHODS)


def lower_bound(target_requests: int, all_requests: int, rate_limit: float) -> tuple[float, str]:
    """The least time the engine's requests can take, and what binds it. The target's bucket
    starts full with one second's worth (`FaultConfig.rate_limit`): the first `rate_limit`
    requests may pass at once, every further one waits for a token."""
    by_rate = max(0.0, target_requests - rate_limit) / rate_limit
    by_latency = all_requests * (LATENCY_MS / 1000) / MAX_IN_FLIGHT
    return (by_rate, "rate limit") if by_rate >= by_latency else (by_latency, "latency")


def measure_engine(data: Dataset, folder: Path, rate_limit: float) -> tuple[EngineRun, Any]:
    """One engine measurement on fresh emulators; returns it and the target's end state."""
    with Emulators(data, folder / "emulators", rate_limit) as emus:
        config = write_config(
            folder / "config", data, emus.source.base_url, emus.target.base_url, rate_limit
        )
        target_cpu = emus.target.cpu_seconds()
        result = run_engine(config)
        target_cpu = emus.target.cpu_seconds() - target_cpu
        target_served = _total(emus.target.counts())
        server = emus.source.counts() + emus.target.counts()
        faults = emus.target.faults()
        end_state = emus.target.state()
    first, second = result["first"], result["second"]
    if first["errors"] or second["errors"]:
        raise RuntimeError(f"a sync could not be planned: {first['errors'] or second['errors']}")
    req1, req2 = first["requests"], second["requests"]
    all_1 = _total(req1["zeitstrom"]) + _total(req1["journyx"])
    target_1 = _total(req1["journyx"])
    bound, bound_by = lower_bound(target_1, all_1, rate_limit)
    both = Counter(req1["zeitstrom"]) + Counter(req1["journyx"])
    both += Counter(req2["zeitstrom"]) + Counter(req2["journyx"])
    run = EngineRun(
        wall=first["wall"],
        cpu=first["cpu"],
        balances=first["balances"],
        applied=first["applied"],
        verified=first["verified"],
        exit_code=first["exit_code"],
        requests=all_1,
        target_requests=target_1,
        writes=_total(req1["journyx"], writes_only=True),
        rate_limited=int(faults.get("rate_limited", 0)),
        server_requests=_total(server),
        client_requests_both_syncs=_total(both),
        peak_rss=first["peak_rss"],
        rss_growth=first["peak_rss"] - first["rss_before"],
        second_wall=second["wall"],
        second_requests=_total(req2["zeitstrom"]) + _total(req2["journyx"]),
        second_writes=_total(req2["zeitstrom"], writes_only=True)
        + _total(req2["journyx"], writes_only=True),
        second_exit_code=second["exit_code"],
        lower_bound=bound,
        bound_by=bound_by,
        target_cpu_per_request=target_cpu / max(1, target_served),
    )
    return run, end_state


def _hours_of(state: Mapping[str, Any]) -> dict[tuple[str, str], Decimal]:
    return {
        (a["id_user"], a["pname"]): Decimal(str(a["hours_left"]))
        for a in state["accruals"].values()
    }


def measure_size(
    n: int, *, repeat: int, rate_limit: float, subset: int, folder: Path, log: Any
) -> SizeResult:
    data = generate(n)
    want = desired_hours(data)
    result = SizeResult(n=n, balances=2 * n)
    for attempt in range(repeat):
        log(f"N={n}: engine run {attempt + 1}/{repeat} ...")
        run, end_state = measure_engine(data, folder / f"n{n}-run{attempt}", rate_limit)
        got = _hours_of(end_state)
        wrong = [key for key, hours in want.items() if got.get(key) != hours]
        if wrong:
            raise RuntimeError(f"N={n}: {len(wrong)} target balances differ from the source")
        log(
            f"  {run.wall:.2f} s, {run.requests} requests, lower bound {run.lower_bound:.2f} s, "
            f"second run {run.second_writes} writes"
        )
        result.runs.append(run)
    loop_people = data.people[: min(n, subset)]
    log(f"N={n}: sequential loop over {len(loop_people)} employees ...")
    with Emulators(data, folder / f"n{n}-loop", rate_limit) as emus:
        wall, counts = sequential_loop(loop_people, emus.source.base_url, emus.target.base_url)
        loop_state = _hours_of(emus.target.state())
    covered = {p.journyx for p in loop_people}
    result.loop_people = len(loop_people)
    result.loop_wall = wall
    result.loop_requests = _total(counts)
    result.loop_writes = _total(counts, writes_only=True)
    result.loop_matches_engine = all(
        loop_state[key] == hours for key, hours in want.items() if key[0] in covered
    )
    log(f"  {wall:.2f} s, {result.loop_requests} requests")
    return result


# -- report ---------------------------------------------------------------------------------------


def _mb(value: float) -> str:
    return f"{value / 2**20:.1f} MB"


def table(results: Sequence[SizeResult], rate_limit: float) -> str:
    """The results as a Markdown table (one column per size)."""
    head = "| | " + " | ".join(f"N = {r.n:,}" for r in results) + " |"
    rows: list[tuple[str, list[str]]] = []

    def row(label: str, cell: Any) -> None:
        rows.append((label, [cell(r) for r in results]))

    row("balances (N x 2 types)", lambda r: f"{r.balances:,}")
    row("engine runs (fresh emulators each)", lambda r: str(len(r.runs)))
    row(
        "engine wall time, median (all runs)",
        lambda r: f"{r.engine.wall:.2f} s ({', '.join(f'{x.wall:.2f}' for x in r.runs)})",
    )
    row(
        "requests sent (source + target)",
        lambda r: (
            f"{r.engine.requests:,} ({r.engine.requests - r.engine.target_requests:,} + "
            f"{r.engine.target_requests:,})"
        ),
    )
    row("writes sent / balances applied", lambda r: f"{r.engine.writes:,} / {r.engine.applied:,}")
    row("requests / second", lambda r: f"{r.engine.requests / r.engine.wall:,.0f}")
    row(
        "target requests / second (limit)",
        lambda r: f"{r.engine.target_requests / r.engine.wall:,.0f} ({rate_limit:,.0f})",
    )
    row("429 answers", lambda r: str(r.engine.rate_limited))
    row(
        "CPU time per balance",
        lambda r: f"{r.engine.cpu / r.engine.balances * 1000:.2f} ms",
    )
    row(
        "target emulator CPU per request",
        lambda r: f"{r.engine.target_cpu_per_request * 1000:.2f} ms",
    )
    row("peak RSS of the engine process", lambda r: _mb(r.engine.peak_rss))
    row("RSS growth during the sync", lambda r: _mb(r.engine.rss_growth))
    row(
        "second sync: wall, requests, writes",
        lambda r: (
            f"{r.engine.second_wall:.2f} s, {r.engine.second_requests:,}, {r.engine.second_writes}"
        ),
    )
    row(
        "lower bound (bound by)",
        lambda r: f"{r.engine.lower_bound:.2f} s ({r.engine.bound_by})",
    )
    row("engine / lower bound", lambda r: f"{r.engine.wall / r.engine.lower_bound:.2f}")
    row(
        "sequential loop: measured",
        lambda r: (
            f"{r.loop_wall:.1f} s, {r.loop_requests:,} requests ({r.loop_people:,} employees)"
        ),
    )
    row(
        "sequential loop: all N",
        lambda r: (
            f"{r.loop_wall_full:.1f} s"
            + ("" if r.loop_people == r.n else f" (extrapolated x{r.n / r.loop_people:g})")
        ),
    )
    row("engine speed-up over the loop", lambda r: f"{r.loop_wall_full / r.engine.wall:.1f}x")
    row("loop's end state = engine's", lambda r: "yes" if r.loop_matches_engine else "NO")
    lines = [head, "|---" * (len(results) + 1) + "|"]
    lines += [f"| {label} | " + " | ".join(cells) + " |" for label, cells in rows]
    return "\n".join(lines)


def targets(results: Sequence[SizeResult]) -> list[str]:
    """The issue's targets, each with the measured figure and met / not met."""

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    lines = []
    for r in results:
        speedup = r.loop_wall_full / r.engine.wall
        to_bound = r.engine.wall / r.engine.lower_bound
        lines.append(
            f"N={r.n:,}: engine vs sequential loop {speedup:.1f}x (target >= 20x: "
            f"{verdict(speedup >= 20)}); engine vs lower bound {to_bound:.2f} "
            f"(target <= 1.10: {verdict(to_bound <= 1.10)}); second sync writes "
            f"{max(x.second_writes for x in r.runs)} (target 0: "
            f"{verdict(all(x.second_writes == 0 for x in r.runs))})"
        )
    if len(results) > 1:
        small, large = results[0], results[-1]
        peak = large.engine.peak_rss / small.engine.peak_rss
        growth = large.engine.rss_growth / small.engine.rss_growth
        lines.append(
            f"memory N={large.n:,} / N={small.n:,}: peak RSS {peak:.2f}x, RSS growth during the "
            f"sync {growth:.2f}x (target <= 1.5x: {verdict(peak <= 1.5)} by peak RSS, "
            f"{verdict(growth <= 1.5)} by growth)"
        )
    return lines


def check(results: Sequence[SizeResult]) -> list[str]:
    """What a user relies on, as failures (empty: all good)."""
    problems = []
    for r in results:
        for run in r.runs:
            if run.exit_code != 0 or run.second_exit_code != 0:
                problems.append(f"N={r.n}: a sync did not exit 0")
            if run.second_writes:
                problems.append(f"N={r.n}: the second sync sent {run.second_writes} writes")
            if run.server_requests != run.client_requests_both_syncs:
                problems.append(
                    f"N={r.n}: the emulators counted {run.server_requests} requests, the "
                    f"engine's transport {run.client_requests_both_syncs}"
                )
            if run.writes != run.applied:
                problems.append(f"N={r.n}: {run.writes} writes sent, {run.applied} applied")
            if run.verified != run.applied:
                problems.append(f"N={r.n}: {run.applied} applied, {run.verified} verified")
        if not r.loop_matches_engine:
            problems.append(f"N={r.n}: the sequential loop's end state differs")
    return problems


def machine() -> str:
    return (
        f"nproc {os.cpu_count()}, Python {sys.version.split()[0]}, "
        f"httpx {httpx.__version__}, {sys.platform}"
    )


def run(
    sizes: Sequence[int],
    *,
    repeat: int,
    rate_limit: float = RATE_LIMIT,
    subset: int = SUBSET_EMPLOYEES,
    log: Any = print,
) -> list[SizeResult]:
    folder = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    try:
        return [
            measure_size(
                n, repeat=repeat, rate_limit=rate_limit, subset=subset, folder=folder, log=log
            )
            for n in sizes
        ]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="one small size (N = 60)")
    parser.add_argument("--sizes", help="comma-separated N values (default 1000,10000)")
    parser.add_argument("--repeat", type=int, help="engine runs per size (median reported)")
    parser.add_argument("--rate-limit", type=float, default=RATE_LIMIT)
    parser.add_argument("--subset", type=int, default=SUBSET_EMPLOYEES)
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else None
    if sizes is None:
        sizes = [60] if args.quick else [1_000, 10_000]
    repeat = args.repeat or (1 if args.quick else 3)
    load_before = os.getloadavg()
    results = run(
        sizes,
        repeat=repeat,
        rate_limit=args.rate_limit,
        subset=args.subset,
        log=lambda m: print(m, file=sys.stderr, flush=True),
    )
    print(f"machine: {machine()}")
    print(
        f"latency {LATENCY_MS:g} ms on every request; target rate limit {args.rate_limit:g}/s; "
        f"max_in_flight {MAX_IN_FLIGHT}"
    )
    load = ", ".join(f"{a:.2f}/{b:.2f}" for a, b in zip(load_before, os.getloadavg(), strict=True))
    print(f"load average (1, 5, 15 min) at start/end: {load}")
    print(table(results, args.rate_limit))
    for line in targets(results):
        print(line)
    if args.json is not None:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2, default=str))
    problems = check(results)
    for problem in problems:
        print(f"FAILED: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if arguments[:1] == ["--serve"]:  # an emulator process (`EmulatorProcess`)
        serve(arguments[1], arguments[2], float(arguments[3]), float(arguments[4]))
    elif arguments[:1] == ["--engine-worker"]:  # an engine process (`run_engine`)
        engine_worker(arguments[1])
    else:
        sys.exit(main(arguments))
