"""What the benchmarks share: the data, the emulators in their own processes, the engine run
in a fresh process, and reading back the target's end state.

`bench_sync.py` (engine vs a sequential loop) and `bench_peer.py` (engine vs a concurrent
hand-written script, `peer_script.py`) both build on this module, so that every contender sees
the same data, latency, rate limit and end-state check.

The target's end state is read back through the emulator's own admin read
(`GET /_emulator/balances`: each employee's balances in canonical terms), never re-derived
from its vendor state here.

Two pairs, both between Zeitstrom (a ledger in days) and Journyx (accruals in hours):
- `zeitstrom-to-journyx`: an absolute target (PATCH `hours_left`);
- `journyx-to-zeitstrom`: the ledger target (a labelled credit transaction, exactly once).

Run as a script, this module is the child process of `EmulatorProcess` (`--serve`) and of
`run_engine` (`--engine-worker`).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import time
import uuid
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

ZEITSTROM_TOKEN = "bench-zeitstrom-token"
JOURNYX_USER = "admin"
JOURNYX_KEY = "bench-journyx-api-key"
ENV = {
    "BENCH_ZEITSTROM_TOKEN": ZEITSTROM_TOKEN,
    "BENCH_JOURNYX_USERNAME": JOURNYX_USER,
    "BENCH_JOURNYX_API_KEY": JOURNYX_KEY,
}
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
COUNTS_PATH = "/_bench/counts"
DEBIT_SOURCE = "absence"  # Zeitstrom: absences debit, every other source credits


@dataclass(frozen=True)
class LeaveType:
    """One leave type as both vendors name it."""

    zeitstrom: str  # missing_type
    journyx: str  # accrual pname
    kind: str  # the canonical LeaveKind of the config
    has_quota: bool


HOLIDAY = LeaveType("holiday", "Vacation", "vacation", True)
OVERTIME = LeaveType("overtime", "Time Bank", "work_time", False)
SPECIAL = LeaveType("special", "Personal", "personal", True)
TWO_TYPES = (HOLIDAY, OVERTIME)
THREE_TYPES = (HOLIDAY, OVERTIME, SPECIAL)


@dataclass(frozen=True)
class Pair:
    source: str
    target: str

    @property
    def name(self) -> str:
        return f"{self.source}-to-{self.target}"

    def type_id(self, vendor: str, leave: LeaveType) -> str:
        return leave.zeitstrom if vendor == "zeitstrom" else leave.journyx


ABSOLUTE = Pair("zeitstrom", "journyx")
LEDGER = Pair("journyx", "zeitstrom")
PAIRS = {p.name: p for p in (ABSOLUTE, LEDGER)}


# -- data -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    zeitstrom: str
    journyx: str
    hours_per_day: Decimal

    def id_in(self, vendor: str) -> str:
        return self.zeitstrom if vendor == "zeitstrom" else self.journyx


@dataclass
class Dataset:
    pair: Pair
    types: tuple[LeaveType, ...]
    people: list[Person]
    zeitstrom: dict[str, Any]
    journyx: dict[str, Any]
    # (target employee id, target type id) -> what the target should hold after a sync, in
    # its own unit (Journyx hours, Zeitstrom days)
    want: dict[tuple[str, str], Decimal]

    def state_of(self, vendor: str) -> dict[str, Any]:
        return self.zeitstrom if vendor == "zeitstrom" else self.journyx


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _hex(rng: random.Random) -> str:
    return uuid.UUID(int=rng.getrandbits(128)).hex.upper()


def _step(rng: random.Random, low: int, high: int, step: str) -> Decimal:
    size = Decimal(step)
    return Decimal(low) + size * rng.randint(0, int((high - low) / size))


def generate(
    n: int,
    pair: Pair = ABSOLUTE,
    types: tuple[LeaveType, ...] = TWO_TYPES,
    *,
    seed: int = SEED,
    today: date | None = None,
    absences: bool = True,
) -> Dataset:
    """`n` people in both Zeitstrom and Journyx, deterministic for `seed`.

    Zeitstrom holds per person and type a ledger (a quota with 0-3 absences for a quota type
    when `absences`, one manual credit for the others); Journyx an accrual per person and
    type. Every tenth person's balances already agree; the others' differ: Journyx by 1 to 40
    hours when it is the target, Zeitstrom by 0.5 to 5 days too LOW when it is the target (a
    ledger target can be credited, never lowered below what others booked)."""
    rng = random.Random(seed)
    start = date((today or datetime.now(UTC).date()).year, 1, 1).isoformat()
    people: list[Person] = []
    transactions: list[dict[str, Any]] = []
    want: dict[tuple[str, str], Decimal] = {}
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
    pay_types = {t.journyx: _hex(rng) for t in types}
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

    def ledger(person: Person, leave: LeaveType) -> Decimal:
        """Book the pair's ledger; its net in days."""
        if not leave.has_quota:
            credit = _step(rng, 0, 3, "0.05")
            tx(person.zeitstrom, leave.zeitstrom, credit, "manual", "Carried over")
            return credit
        quota = _step(rng, 24, 30, "1")
        tx(person.zeitstrom, leave.zeitstrom, quota, "repeating-rule", "Annual quota")
        taken = Decimal(0)
        for _ in range(rng.randint(0, 3) if absences else 0):
            days = _step(rng, 1, 5, "0.5")
            taken += days
            tx(person.zeitstrom, leave.zeitstrom, days, DEBIT_SOURCE, "Absence")
        return quota - taken

    for i in range(n):
        person = Person(_uuid(rng), _hex(rng), Decimal("7.5") if i % 5 == 0 else Decimal(8))
        people.append(person)
        users[person.journyx] = {
            "id": person.journyx,
            "username": f"person{i}",
            "first_name": "Person",
            "last_name": str(i),
            "email": f"person{i}@bench.example",
        }
        for leave in types:
            days = ledger(person, leave)
            hours = days * person.hours_per_day
            differs = i % 10 != 0
            if pair.target == "journyx":
                want[(person.journyx, leave.journyx)] = hours
                if differs:
                    hours += _step(rng, 1, 40, "0.25")
            else:
                if differs:  # the source is ahead: the ledger target needs a credit
                    hours += _step(rng, 1, 5, "0.5") * person.hours_per_day
                want[(person.zeitstrom, leave.zeitstrom)] = hours / person.hours_per_day
            accrual = _hex(rng)
            accruals[accrual] = {
                "id": accrual,
                "id_timebank": accrual,
                "id_user": person.journyx,
                "pname": leave.journyx,
                "pay_type_ids": [pay_types[leave.journyx]],
                "hours_left": str(hours),
                "creator": admin,
                "create_timestamp": "1735689600",
                "modifier": admin,
                "modify_timestamp": "1735689600",
            }
    zeitstrom = {
        "employees": [{"id": p.zeitstrom, "name": f"Person {i}"} for i, p in enumerate(people)],
        "absence_types": [
            {"missing_type": t.zeitstrom, "name": t.zeitstrom.title(), "has_quota": t.has_quota}
            for t in types
        ],
        "transactions": transactions,
    }
    journyx = {
        "users": users,
        "pay_types": {pid: {"id": pid, "name": f"{name} PTO"} for name, pid in pay_types.items()},
        "accruals": accruals,
    }
    return Dataset(pair, types, people, zeitstrom, journyx, want)


def wrong_balances(data: Dataset, got: Mapping[tuple[str, str], Decimal]) -> int:
    """How many target balances differ from what the source says they should be."""
    return sum(1 for key, value in data.want.items() if got.get(key) != value)


def write_mapping(folder: Path, data: Dataset) -> Path:
    """employees.csv: one row per person, columns named after the systems."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["zeitstrom,journyx,hours_per_day"]
    lines += [f"{p.zeitstrom},{p.journyx},{p.hours_per_day}" for p in data.people]
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
        with httpx.Client(timeout=600) as http:
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

    def balances(self) -> dict[tuple[str, str], Decimal]:
        """(employee id, type id) -> remaining, in the vendor's unit, as the emulator tells it
        (`GET /_emulator/balances`)."""
        body = self._get("/_emulator/balances")
        return {(b["employee"], b["leave_type"]): Decimal(b["remaining"]) for b in body["balances"]}

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

_SYSTEMS = {
    "zeitstrom": """\
[systems.zeitstrom]
vendor = "zeitstrom"
base_url = "{url}"
credentials = {{ token = "BENCH_ZEITSTROM_TOKEN" }}
requests_per_second = {rps}
""",
    "journyx": """\
[systems.journyx]
vendor = "journyx"
base_url = "{url}"
credentials = {{ username = "BENCH_JOURNYX_USERNAME", api_key = "BENCH_JOURNYX_API_KEY" }}
options = {{ page_size = 1000 }}
requests_per_second = {rps}
""",
}


def client_rps(rate_limit: float) -> float:
    """The budget a client keeps for the target (`rate_limit` 0: unlimited)."""
    return rate_limit * CLIENT_RATE_FRACTION if rate_limit else UNLIMITED_RPS


def write_config(folder: Path, data: Dataset, urls: Mapping[str, str], rate_limit: float) -> Path:
    """config.toml and employees.csv for the pair's sync, in `folder`."""
    pair = data.pair
    write_mapping(folder, data)
    types = ", ".join(
        f'{{ source = "{pair.type_id(pair.source, t)}", '
        f'target = "{pair.type_id(pair.target, t)}", kind = "{t.kind}" }}'
        for t in data.types
    )
    source = _SYSTEMS[pair.source].format(url=urls[pair.source], rps=UNLIMITED_RPS)
    target = _SYSTEMS[pair.target].format(url=urls[pair.target], rps=client_rps(rate_limit))
    config = f"""\
{source}
{target}
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


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss_bytes() -> int:
    """This process's peak RSS (VmHWM). Not `ru_maxrss`: a child starts with its forking
    parent's, so a worker forked from a big benchmark process would report the parent's."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024  # kB


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


def engine_worker(config_path: str, *, second: bool = True) -> None:
    """A fresh process: sync once (measured), then (`second`) again with no change; print
    JSON."""
    path = Path(config_path)
    import balance_gateway.gateway.runner  # noqa: F401  (imports are not part of the measured sync)

    before = rss_bytes()
    first = asyncio.run(_one_sync(path))
    first["rss_before"] = before
    first["peak_rss"] = peak_rss_bytes()
    again = asyncio.run(_one_sync(path)) if second else None
    print(json.dumps({"first": first, "second": again}))


def run_engine(config_path: Path, *, second: bool = True) -> dict[str, Any]:
    """`engine_worker` in a fresh Python process; its JSON."""
    command = [sys.executable, str(Path(__file__).resolve()), "--engine-worker", str(config_path)]
    if not second:
        command.append("--once")
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the engine worker failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# -- the sequential loop (the reference) ------------------------------------------------------

ZEITSTROM_AGGREGATE = "/api/v2/timestamps/absence-transactions/aggregate/"
ZEITSTROM_TRANSACTIONS = "/api/v2/timestamps/absence-transactions/"
JOURNYX_ACCRUALS = "/api/v1/accruals"


def sequential_loop(
    data: Dataset, people: Sequence[Person], urls: Mapping[str, str]
) -> tuple[float, Counter[str]]:
    """What a user writes by hand with no concurrency: for each employee and type, read the
    source balance, read the target balance, write the target when different; one request at
    a time. Returns (seconds, requests by "METHOD STATUS")."""
    counts: Counter[str] = Counter()
    pair = data.pair
    clients = {
        "zeitstrom": httpx.Client(
            base_url=urls["zeitstrom"],
            headers={"Authorization": f"Token {ZEITSTROM_TOKEN}"},
            timeout=60,
        ),
        "journyx": httpx.Client(
            base_url=urls["journyx"], auth=(JOURNYX_USER, JOURNYX_KEY), timeout=60
        ),
    }
    today = datetime.now(UTC).date().isoformat()

    def send(vendor: str, method: str, url: str, **kwargs: Any) -> Any:
        while True:
            response = clients[vendor].request(method, url, **kwargs)
            counts[f"{method} {response.status_code}"] += 1
            if response.status_code != 429:
                response.raise_for_status()
                return response.json()
            time.sleep(float(response.headers.get("retry-after", "1")))

    def read(vendor: str, person: Person, leave: LeaveType) -> tuple[Decimal, str]:
        """(balance in the vendor's unit, what to write to)."""
        if vendor == "zeitstrom":
            params = {"employee_ids": person.zeitstrom, "balance": "true"}
            rows = send(vendor, "GET", ZEITSTROM_AGGREGATE, params=params)["results"]
            row = next(r for r in rows if r["missing_type"] == leave.zeitstrom)
            return Decimal(str(row["balance"])), person.zeitstrom
        query = f"id_user eq '{person.journyx}' and pname eq '{leave.journyx}'"
        params = {"$filter": query, "$keys": "id,hours_left"}
        accrual = send(vendor, "GET", JOURNYX_ACCRUALS, params=params)["results"][0]
        return Decimal(str(accrual["hours_left"])), accrual["id"]

    started = time.perf_counter()
    try:
        for person in people:
            for leave in data.types:
                have, _ = read(pair.source, person, leave)
                current, where = read(pair.target, person, leave)
                if pair.target == "journyx":
                    hours = have * person.hours_per_day
                    if current != hours:
                        patch = {"hours_left": float(hours)}
                        send("journyx", "PATCH", f"{JOURNYX_ACCRUALS}/{where}", json=patch)
                elif (days := have / person.hours_per_day) > current:
                    body: dict[str, Any] = {
                        "employee_id": where,
                        "missing_type": leave.zeitstrom,
                        "date": today,
                        "amount": str(days - current),
                        "label": f"loop {where} {leave.zeitstrom}",
                    }
                    send("zeitstrom", "POST", ZEITSTROM_TRANSACTIONS, json=body)
    finally:
        for client in clients.values():
            client.close()
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
    covered = {p.id_in(data.pair.target) for p in people}
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
    elif arguments[:1] == ["--engine-worker"]:  # an engine process (`run_engine`)
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
