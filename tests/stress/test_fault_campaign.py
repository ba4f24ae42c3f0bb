"""The fault campaign: seeded random schedules of vendor faults and process kills, over every
registered writable target, each followed by clean reruns and checked against the plan. What
each vendor takes part with (its types as a source and as a target, its rounding steps, how a
source changes, its invariants) is its conformance case's `campaign`
(`adapters/<vendor>/conformance.py`); nothing here names a vendor.

One schedule (`make_schedule(seed)`, fully determined by its seed):
1. Fresh emulators: the `DemoEnvironment` emulators reloaded with a small generated
   dataset (5-10 people, dataset seed = schedule seed), faults off, a new config folder (and so
   a new journal), one sync from a random readable source to the target. Every system's client
   timeout is low (`timeout_seconds`), so that latency spikes outlast it.
2. The reference: the plan computed from the source before anything is faulted, and the target
   as it is (each emulator's admin read `GET /_emulator/balances`, never through the SDK). A
   `primed` schedule first syncs cleanly and then changes the source (its `change_source`), so
   that the faulted runs replace, lower or raise what an earlier run of ours wrote; the
   reference is then planned from the changed source, unless the schedule `revert`s the
   source to its first values before the clean reruns (the reference is then the first plan).
3. The faulted phase, in a seeded order: in-process `run_sync` runs and/or a
   `balance-gateway sync --config ... --yes --json` subprocess killed with SIGKILL at a random
   moment (after a random number of journalled operations, or a random time). Faults on the
   target (and sometimes on the source): 5xx, 429 with Retry-After, latency spikes past the
   client timeout, dropped connections, apply-then-fail (status or drop), a token bucket.
   These runs may end with failures: that is the point.
4. Faults cleared, then `run_sync` again until a run has nothing left to write (at most
   `MAX_RERUNS` runs).
5. The checks: (a) every target balance equals the reference plan (a row the target's dialect
   cannot reach: unchanged); (b) the target's `invariants` hold (e.g. no write of ours doubled,
   nobody else's record touched); (c) no journal operation left `intent` or `unknown`.

Between runs the emulators are drained: a request an emulator still holds (held past the
client's timeout by a latency spike, or sent by a process just killed) finishes first, as it
does between two scheduled syncs in production. uvicorn does not cancel it: a DELETE still
takes effect late (a request with a body reads a disconnect instead, and is not applied).

The fast subset (`FAST_SEEDS`, the first seeds that cover every writable target and each kind
of kill and apply-then-fail, `fast_seeds()`) runs in the normal test command; the full campaign
(`FULL_SCHEDULES` seeds, `--runslow`) runs in `WORKERS` worker processes, each with its own
emulators, and prints one summary line. Replay one schedule:

    .venv/bin/python tests/stress/test_fault_campaign.py --replay SEED
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from random import Random
from typing import Any

import httpx
import pytest

from balance_gateway.adapters._core.adapter import OperationKind
from balance_gateway.adapters._emulator.conformance import conformance_case
from balance_gateway.gateway.config import Config, load_config
from balance_gateway.gateway.demo import ENV, SETTINGS_TOML, DemoEnvironment, generate_dataset
from balance_gateway.gateway.engine import RunReport
from balance_gateway.gateway.journal import SqliteJournal
from balance_gateway.gateway.plan import WRITE_OPERATIONS, PlanRow
from balance_gateway.gateway.runner import run_plan, run_sync

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script (a worker, a replay): `tests` is importable
    sys.path.insert(0, str(ROOT))

from tests.integration._demo import demo_environment  # noqa: E402
from tests.stress._vendors import Key, admin_state, held, set_faults, sources, targets  # noqa: E402

MAX_RERUNS = 3
FULL_SCHEDULES = 200
WORKERS = 4  # mostly waiting (timeouts, Retry-After, backoff): 4 fit on 2 cores
FAST_SCHEDULES = 7  # at least; more if covering every writable target takes more

# Leave types of each registered system (vendor ids), as a source and as a target, in name order.
SOURCE_TYPES = sources()
TARGET_TYPES = targets()
WRITABLE = tuple(TARGET_TYPES)
WRITES = ["POST", "PUT", "PATCH", "DELETE"]
FAULT_KINDS = ("error", "throttle", "spike", "drop", "apply_then_fail", "rate_limit")


# -- the schedule ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """Everything one schedule does, drawn from `random.Random(seed)`."""

    seed: int
    target: str
    source: str
    people: int
    types: tuple[tuple[str, str], ...]  # (source type, target type)
    step: str
    timeout: float
    max_in_flight: int
    faults: dict[str, dict[str, Any]]  # vendor -> FaultConfig (JSON)
    steps: tuple[str, ...]  # "run" (in-process, faulted) or "kill" (a killed subprocess)
    # A clean sync first, then the source changes: the faulted runs then replace, lower or
    # raise what an earlier run of ours wrote (a dated import replaced, a ledger credit
    # reduced, a write-only target's last written value).
    primed: bool
    revert: bool  # primed, and the source goes back to its first values before the reruns
    kill_after_ops: int  # kill once the journal holds this many operations (0: by time)
    kill_delay: float  # then (or from the start, by time) wait this long

    @property
    def kills(self) -> int:
        return self.steps.count("kill")

    def describe(self) -> str:
        kinds = sorted({k for cfg in self.faults.values() for k in _kinds_of(cfg)})
        return (
            f"seed {self.seed}: {self.source} -> {self.target} {list(self.types)}, "
            f"{self.people} people, {'primed, ' if self.primed else ''}"
            f"{'reverted, ' if self.revert else ''}"
            f"steps {list(self.steps)}, faults {kinds}"
        )


def _kinds_of(config: Mapping[str, Any]) -> list[str]:
    kinds = [k for k in FAULT_KINDS if config.get(f"{k}_rate") or config.get(k)]
    if config.get("apply_then_fail_rate"):
        kinds.remove("apply_then_fail")
        kinds.append(f"apply_then_fail:{config['apply_then_fail_mode']}")
    return kinds


def fault_mix(rng: Random, timeout: float, *, light: bool = False) -> dict[str, Any]:
    """A random FaultConfig: each kind of fault in with some chance, at least one."""
    kinds = [k for k in FAULT_KINDS if rng.random() < 0.45] or [rng.choice(FAULT_KINDS)]
    scale = 0.5 if light else 1.0
    config: dict[str, Any] = {"seed": rng.randrange(2**31)}
    if "error" in kinds:
        config["error_rate"] = round(rng.uniform(0.05, 0.25) * scale, 3)
        config["error_status"] = rng.choice([500, 502, 503, 504])
    if "throttle" in kinds:
        config["throttle_rate"] = round(rng.uniform(0.05, 0.2) * scale, 3)
        config["retry_after_seconds"] = rng.choice([0.5, 1])
    if "spike" in kinds:
        config["spike_rate"] = round(rng.uniform(0.03, 0.1) * scale, 3)
        config["spike_ms"] = round(timeout * 1000 + rng.uniform(100, 600))
    if "drop" in kinds:
        config["drop_rate"] = round(rng.uniform(0.05, 0.25) * scale, 3)
    if "apply_then_fail" in kinds:
        config["apply_then_fail_rate"] = round(rng.uniform(0.2, 0.6) * scale, 3)
        config["apply_then_fail_mode"] = rng.choice(["status", "drop"])
        config["apply_then_fail_status"] = rng.choice([500, 502, 503, 504])
    if "rate_limit" in kinds:
        config["rate_limit"] = rng.choice([10, 20, 40])
    if rng.random() < 0.3:
        # Only writes are faulted: fewer requests, so each is faulted more often.
        config["methods"] = WRITES
        for name in ("error_rate", "throttle_rate", "drop_rate", "apply_then_fail_rate"):
            if name in config:
                config[name] = min(0.4 if name == "throttle_rate" else 0.8, config[name] * 2)
    return config


def features(schedule: Schedule) -> set[str]:
    """What a schedule exercises, for choosing the fast subset."""
    found = {f"target:{schedule.target}"}
    if schedule.kills:
        found.add("kill:ops" if schedule.kill_after_ops else "kill:time")
    if schedule.revert:
        found.add("revert")
    for config in schedule.faults.values():
        if config.get("apply_then_fail_rate"):
            found.add(f"apply_then_fail:{config['apply_then_fail_mode']}")
    return found


# Every writable target, a kill, a revert, apply-then-fail in both modes.
FAST_FEATURES = frozenset(
    {f"target:{t}" for t in WRITABLE}
    | {"kill:ops", "revert", "apply_then_fail:status", "apply_then_fail:drop"}
)


def fast_seeds(count: int = FAST_SCHEDULES) -> tuple[int, ...]:
    """The fast subset: from seed 1 on, each seed that exercises something the ones before did
    not (`FAST_FEATURES`), then the next seeds until there are `count`. Derived from the
    registry, so that a new vendor is in it as a target without an edit here."""
    chosen: list[int] = []
    missing = set(FAST_FEATURES)
    for seed in range(1, 10 * FULL_SCHEDULES):
        found = features(make_schedule(seed))
        if found & missing or (not missing and len(chosen) < count):
            chosen.append(seed)
            missing -= found
        if not missing and len(chosen) >= count:
            return tuple(chosen)
    raise AssertionError(f"no seed up to {10 * FULL_SCHEDULES} gives {sorted(missing)}")


def make_schedule(seed: int) -> Schedule:
    """The schedule of `seed`; the target cycles through the writable systems."""
    rng = Random(seed)
    target = WRITABLE[seed % len(WRITABLE)]
    source = rng.choice([s for s in SOURCE_TYPES if s != target])
    target_types = rng.sample(TARGET_TYPES[target], rng.choice([1, 2]))
    types = tuple((rng.choice(SOURCE_TYPES[source]), t) for t in target_types)
    timeout = rng.choice([0.8, 1.0])
    faults = {target: fault_mix(rng, timeout)}
    if rng.random() < 0.25:
        faults[source] = fault_mix(rng, timeout, light=True)
    steps = rng.choice(
        [("run",), ("run", "run"), ("kill",), ("run", "kill"), ("kill", "run"), ("kill", "kill")]
        if rng.random() < 0.35
        else [("run",), ("run", "run")]
    )
    if "kill" in steps:
        # Slower requests, so that a kill lands among them more often.
        faults[target]["latency_ms"] = rng.choice([0, 30, 80])
    by_ops = rng.random() < 0.7
    primed = rng.random() < 0.5
    return Schedule(
        seed=seed,
        target=target,
        source=source,
        people=rng.randint(5, 10),
        types=types,
        step=rng.choice(conformance_case(target).campaign.steps),
        timeout=timeout,
        max_in_flight=rng.choice([3, 8, 32]),
        faults=faults,
        steps=steps,
        primed=primed,
        revert=primed and rng.random() < 0.5,
        kill_after_ops=rng.randint(1, 6) if by_ops else 0,
        kill_delay=rng.uniform(0, 0.3) if by_ops else rng.uniform(0.5, 2.5),
    )


FAST_SEEDS = fast_seeds()


# -- what a schedule found ------------------------------------------------------------------


@dataclass
class Outcome:
    seed: int
    faults_injected: int = 0
    kills: int = 0
    balances_checked: int = 0
    mismatches: list[str] = field(default_factory=list)
    reruns: int = 0
    seconds: float = 0.0
    # Journal operations by final status, and how many an earlier run left to resolve.
    statuses: dict[str, int] = field(default_factory=dict)
    resolved: int = 0
    description: str = ""

    def line(self) -> str:
        return json.dumps(asdict(self))


def replay_hint(seed: int) -> str:
    return f"replay: .venv/bin/python tests/stress/test_fault_campaign.py --replay {seed}"


# -- emulator admin API ---------------------------------------------------------------------


def drain(env: DemoEnvironment, timeout: float = 30.0) -> None:
    """Wait until no emulator holds a request: everything sent (also by a killed process, or
    held past the client's timeout by a latency spike) has been answered or abandoned."""
    deadline = time.monotonic() + timeout
    # uvicorn keeps each request's task in `server_state.tasks` until the app returns.
    while any(server._server.server_state.tasks for server in env.servers.values()):
        if time.monotonic() > deadline:
            raise AssertionError("the emulators still hold requests after 30 s")
        time.sleep(0.02)


def read_target(
    http: httpx.Client, env: DemoEnvironment, target: str, keys: Sequence[Key]
) -> tuple[dict[Key, Decimal | None], dict[str, Any]]:
    """Each key's balance as the target's emulator holds it (its admin read; None: none), and
    its raw state (for its invariants)."""
    values = held(http, env.base_urls[target], target, list(keys), env.today)
    return values, admin_state(http, env.base_urls[target])


# -- running a schedule ---------------------------------------------------------------------


def _syncs_toml(schedule: Schedule) -> str:
    pairs = ", ".join(f'{{ source = "{s}", target = "{t}" }}' for s, t in schedule.types)
    return (
        f'[[syncs]]\nname = "campaign"\nsource = "{schedule.source}"\n'
        f'target = "{schedule.target}"\ntypes = [{pairs}]\n'
        f'rounding = {{ step = "{schedule.step}" }}\n'
    )


def _settings_toml(schedule: Schedule) -> str:
    return (
        SETTINGS_TOML.replace("max_in_flight = 32", f"max_in_flight = {schedule.max_in_flight}")
        .replace('max_change = "60 days"', 'max_change = "400 days"')
        .replace("max_operations = 1000", "max_operations = 10000")
    )


def write_config(env: DemoEnvironment, folder: Path, schedule: Schedule) -> Path:
    path = env.write_config(folder, _syncs_toml(schedule), _settings_toml(schedule))
    text = path.read_text()
    # Every system answers within `timeout` seconds, or the client gives up on it.
    timed = text.replace(
        "requests_per_second = 2000",
        f"requests_per_second = 2000\ntimeout_seconds = {schedule.timeout}",
    )
    assert timed != text
    path.write_text(timed)
    return path


def _cli() -> list[str]:
    script = Path(sys.executable).parent / "balance-gateway"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from balance_gateway.gateway.cli import main; main()"]


def _journal_operations(path: Path) -> int:
    if not path.exists():
        return 0
    try:
        db = sqlite3.connect(path, timeout=1)
        try:
            (count,) = db.execute("SELECT count(*) FROM operations").fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return 0
    return int(count)


def killed_sync(config: Path, state: Path, schedule: Schedule, ops_cap: int) -> bool:
    """Start `balance-gateway sync` and SIGKILL it at the schedule's moment; True when it was
    still running when killed (False: it finished first)."""
    process = subprocess.Popen(
        [*_cli(), "sync", "--config", str(config), "--yes", "--json"],
        cwd=ROOT,
        env={**os.environ, **ENV},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        if schedule.kill_after_ops:
            wanted = min(schedule.kill_after_ops, max(1, ops_cap))
            while process.poll() is None and time.monotonic() < deadline:
                if _journal_operations(state) >= wanted:
                    break
                time.sleep(0.01)
        time.sleep(schedule.kill_delay)
        alive = process.poll() is None
        if alive:
            process.send_signal(signal.SIGKILL)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=60)
    return alive


def _settled(report: RunReport, blocked: set[Key]) -> bool:
    """Nothing left to do: the whole plan read, every earlier operation resolved, no write
    planned, and nothing blocked that the reference plan did not block."""
    if report.stopped or report.violations or any(p.error for p in report.plans):
        return False
    if any(not r.resolved for r in report.resolutions):
        return False
    rows = [row for p in report.plans for row in p.rows]
    if any(row.writes for row in rows):
        return False
    return all(
        (row.target_employee or "", row.target_type or "") in blocked
        for row in rows
        if row.operation is OperationKind.BLOCKED
    )


@dataclass(frozen=True)
class Reference:
    """The plan computed from the source, and the target as it was then."""

    rows: list[PlanRow]
    keys: list[Key]
    blocked: set[Key]  # rows the target's dialect cannot reach: they must stay untouched
    writes: int
    initial: dict[Key, Decimal | None]
    initial_state: dict[str, Any]


def reference_of(
    http: httpx.Client, env: DemoEnvironment, config: Config, target: str
) -> Reference:
    plan = asyncio.run(run_plan(config)).plans[0]
    assert not plan.error, plan.error
    rows = [r for r in plan.rows if r.intent is not None and r.target_employee and r.target_type]
    keys = [(row.target_employee or "", row.target_type or "") for row in rows]
    initial, initial_state = read_target(http, env, target, keys)
    return Reference(
        rows=rows,
        keys=keys,
        blocked={k for k, row in zip(keys, rows, strict=True) if not _reachable(row.operation)},
        writes=sum(1 for row in rows if row.writes),
        initial=initial,
        initial_state=initial_state,
    )


def run_schedule(env: DemoEnvironment, folder: Path, schedule: Schedule) -> Outcome:
    """Run one schedule against `env`'s emulators, with its config and journal in `folder`."""
    started = time.monotonic()
    outcome = Outcome(seed=schedule.seed, description=schedule.describe())
    env.dataset = generate_dataset(schedule.people, schedule.seed, env.today)
    env.reset()
    config_path = write_config(env, folder, schedule)
    config = load_config(config_path, env=ENV)
    source_url = f"{env.base_urls[schedule.source]}/_emulator/state"
    with httpx.Client(timeout=30) as http:
        reference = reference_of(http, env, config, schedule.target)
        original = admin_state(http, env.base_urls[schedule.source])
        if schedule.primed:
            asyncio.run(run_sync(config))
            types = {s for s, _ in schedule.types}
            change = conformance_case(schedule.source).campaign.change_source
            assert change is not None, f"{schedule.source} is a source without change_source"
            changed = change(original, types, Random(schedule.seed), env.today)
            http.put(source_url, json=changed).raise_for_status()
            if not schedule.revert:
                reference = reference_of(http, env, config, schedule.target)

        # The faulted phase.
        set_faults(http, env.base_urls, schedule.faults)
        for step in schedule.steps:
            if step == "run":
                asyncio.run(run_sync(config))  # failures are expected here
            else:
                outcome.kills += killed_sync(
                    config_path, config.state_path, schedule, reference.writes
                )
            drain(env)
        outcome.faults_injected += set_faults(http, env.base_urls, {})
        if schedule.revert:
            http.put(source_url, json=original).raise_for_status()

        # Clean reruns until nothing is left to do.
        for _ in range(MAX_RERUNS):
            outcome.reruns += 1
            if _settled(asyncio.run(run_sync(config)), reference.blocked):
                break
        else:
            outcome.mismatches.append(f"not settled after {MAX_RERUNS} clean reruns")
        outcome.faults_injected += set_faults(http, env.base_urls, {})

        # (a) every balance as planned; (b) the target's invariants (nothing doubled, nobody
        # else's record touched).
        final, final_state = read_target(http, env, schedule.target, reference.keys)
        for key, row in zip(reference.keys, reference.rows, strict=True):
            assert row.intent is not None
            if key in reference.blocked:
                if schedule.revert:
                    # The faulted runs may have moved it towards the changed source; back at
                    # the original, it is as unreachable as before, so nothing is expected.
                    continue
                expected = reference.initial[key]
            else:
                expected = row.intent.remaining.value
            outcome.balances_checked += 1
            if final[key] != expected:
                outcome.mismatches.append(
                    f"{schedule.target} {key}: holds {final[key]}, planned {expected} "
                    f"({row.operation.value}, was {reference.initial[key]})"
                )
        invariants = conformance_case(schedule.target).campaign.invariants
        outcome.mismatches += invariants(reference.initial_state, final_state)
    # (c) every journal operation has an outcome.
    journal = SqliteJournal(config.state_path)
    try:
        operations = [op for run in journal.runs() for op in journal.operations(run.run_id)]
        outcome.statuses = dict(Counter(op.status.value for op in operations))
        outcome.resolved = sum(1 for op in operations if "resolved by run" in op.note)
        for op in journal.unresolved():
            outcome.mismatches.append(
                f"journal: operation {op.operation_id} ({op.employee}/{op.leave_type}) is still "
                f"{op.status.value}"
            )
    finally:
        journal.close()
    outcome.seconds = round(time.monotonic() - started, 2)
    return outcome


def _reachable(operation: OperationKind) -> bool:
    return operation in WRITE_OPERATIONS or operation is OperationKind.SKIP


def run_seeds(seeds: Sequence[int]) -> Iterator[Outcome]:
    """Run `seeds` one after another on one set of emulators (what a worker does)."""
    with (
        tempfile.TemporaryDirectory(prefix="fault-campaign-") as tmp,
        DemoEnvironment(Path(tmp) / "demo", people=5) as env,
    ):
        for seed in seeds:
            schedule = make_schedule(seed)
            try:
                yield run_schedule(env, Path(tmp) / f"schedule-{seed}", schedule)
            except Exception:
                yield Outcome(
                    seed=seed,
                    description=schedule.describe(),
                    mismatches=[f"the schedule raised: {traceback.format_exc()}"],
                )


def summary(outcomes: Sequence[Outcome]) -> str:
    return (
        f"fault campaign: schedules={len(outcomes)} "
        f"faults_injected={sum(o.faults_injected for o in outcomes)} "
        f"kills={sum(o.kills for o in outcomes)} "
        f"balances_checked={sum(o.balances_checked for o in outcomes)} "
        f"mismatches={sum(len(o.mismatches) for o in outcomes)}"
    )


def failure_report(outcomes: Sequence[Outcome]) -> str:
    return "\n".join(
        f"{o.description}\n  " + "\n  ".join(o.mismatches) + f"\n  {replay_hint(o.seed)}"
        for o in outcomes
        if o.mismatches
    )


# -- the tests ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def env() -> Iterator[DemoEnvironment]:
    with demo_environment(5) as environment:
        yield environment


@pytest.mark.parametrize("seed", FAST_SEEDS)
def test_fault_schedule(env: DemoEnvironment, tmp_path: Path, seed: int) -> None:
    outcome = run_schedule(env, tmp_path, make_schedule(seed))
    assert not outcome.mismatches, failure_report([outcome])
    assert outcome.balances_checked > 0


def test_fast_subset_covers_every_target_kills_and_apply_then_fail() -> None:
    schedules = [make_schedule(seed) for seed in FAST_SEEDS]
    assert len(schedules) >= FAST_SCHEDULES
    assert {s.target for s in schedules} == set(WRITABLE)
    assert any(s.kills for s in schedules)
    assert any(s.revert for s in schedules)
    modes = {
        cfg.get("apply_then_fail_mode")
        for s in schedules
        for cfg in s.faults.values()
        if cfg.get("apply_then_fail_rate")
    }
    assert modes == {"status", "drop"}


def test_schedules_are_replayable() -> None:
    assert make_schedule(12345) == make_schedule(12345)
    assert make_schedule(1) != make_schedule(2)


@pytest.mark.slow
@pytest.mark.timeout(3600)  # about 5 min on 2 cores; longer when they are shared
def test_full_fault_campaign(capsys: pytest.CaptureFixture[str]) -> None:
    seeds = list(range(1, FULL_SCHEDULES + 1))
    workers = [
        subprocess.Popen(
            [sys.executable, str(Path(__file__)), "--seeds", ",".join(map(str, seeds[i::WORKERS]))],
            cwd=ROOT,
            env={**os.environ, **ENV, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(WORKERS)
    ]
    outcomes: list[Outcome] = []
    for worker in workers:
        out, err = worker.communicate(timeout=3600)
        assert worker.returncode == 0, err[-4000:]
        outcomes += [Outcome(**json.loads(line)) for line in out.splitlines() if line]
    outcomes.sort(key=lambda o: o.seed)
    line = summary(outcomes)
    with capsys.disabled():
        print("\n" + line)
    assert [o.seed for o in outcomes] == seeds
    assert sum(o.kills for o in outcomes) > 0
    assert not any(o.mismatches for o in outcomes), failure_report(outcomes)


# -- worker and replay entry point ----------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run fault-campaign schedules.")
    parser.add_argument("--seeds", help="comma-separated seeds: one JSON line per schedule")
    parser.add_argument("--replay", type=int, help="run one schedule and explain it")
    args = parser.parse_args(argv)
    if args.replay is not None:
        schedule = make_schedule(args.replay)
        print(json.dumps(asdict(schedule), indent=2))
        (outcome,) = run_seeds([args.replay])
        print(failure_report([outcome]) or outcome.line())
        return 1 if outcome.mismatches else 0
    for outcome in run_seeds([int(s) for s in args.seeds.split(",") if s]):
        print(outcome.line(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
