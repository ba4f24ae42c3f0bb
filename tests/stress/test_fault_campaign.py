"""The fault campaign: seeded random schedules of vendor faults and process kills, over every
writable target (Kenjo, Bezala, Zeitstrom, Journyx), each followed by clean reruns and checked
against the plan.

One schedule (`make_schedule(seed)`, fully determined by its seed):
1. Fresh emulators: the five `DemoEnvironment` emulators reloaded with a small generated
   dataset (5-10 people, dataset seed = schedule seed), faults off, a new config folder (and so
   a new journal), one sync from a random readable source to the target. Every system's client
   timeout is low (`timeout_seconds`), so that latency spikes outlast it.
2. The reference: the plan computed from the source before anything is faulted, and the target
   as it is (read through each emulator's admin API, never through the SDK). A `primed`
   schedule first syncs cleanly and then changes the source, so that the faulted runs replace,
   lower or raise what an earlier run of ours wrote; the reference is then planned from the
   changed source, unless the schedule `revert`s the source to its first values before the
   clean reruns (the reference is then the first plan).
3. The faulted phase, in a seeded order: in-process `run_sync` runs and/or a
   `balance-gateway sync --config ... --yes --json` subprocess killed with SIGKILL at a random
   moment (after a random number of journalled operations, or a random time). Faults on the
   target (and sometimes on the source): 5xx, 429 with Retry-After, latency spikes past the
   client timeout, dropped connections, apply-then-fail (status or drop), a token bucket.
   These runs may end with failures: that is the point.
4. Faults cleared, then `run_sync` again until a run has nothing left to write (at most
   `MAX_RERUNS` runs).
5. The checks: (a) every target balance equals the reference plan (a row the target's dialect
   cannot reach: unchanged); (b) no Zeitstrom credit label twice and nobody else's transaction
   touched; no two imports of ours on one Bezala date and nobody else's import touched; (c) no
   journal operation left `intent` or `unknown`.

Between runs the emulators are drained: a request an emulator still holds (held past the
client's timeout by a latency spike, or sent by a process just killed) finishes first, as it
does between two scheduled syncs in production. uvicorn does not cancel it: a DELETE still
takes effect late (a request with a body reads a disconnect instead, and is not applied).

The fast subset (`FAST_SEEDS`) runs in the normal test command; the full campaign
(`FULL_SCHEDULES` seeds, `--runslow`) runs in `WORKERS` worker processes, each with its own
emulators, and prints one summary line. Replay one schedule:

    .venv/bin/python tests/stress/test_fault_campaign.py --replay SEED
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from random import Random
from typing import Any

import httpx
import pytest

from balance_gateway.adapters._core.adapter import OperationKind
from balance_gateway.adapters.companyflow.demo import CF_ANNUAL, CF_SICK
from balance_gateway.adapters.journyx.demo import JOURNYX_TYPES
from balance_gateway.adapters.kenjo.demo import KENJO_SICK, KENJO_VACATION
from balance_gateway.gateway.config import Config, load_config
from balance_gateway.gateway.demo import ENV, SETTINGS_TOML, DemoEnvironment, generate_dataset
from balance_gateway.gateway.engine import RunReport
from balance_gateway.gateway.journal import SqliteJournal
from balance_gateway.gateway.plan import WRITE_OPERATIONS, PlanRow
from balance_gateway.gateway.runner import run_plan, run_sync

ROOT = Path(__file__).resolve().parents[2]
BEZALA_OURS = 42  # the Bezala user the demo token acts as: the creator of our imports
MAX_RERUNS = 3
FULL_SCHEDULES = 200
WORKERS = 4  # mostly waiting (timeouts, Retry-After, backoff): 4 fit on 2 cores
# The fast subset: every writable target, a kill, apply-then-fail in both modes (checked by
# `test_fast_subset_covers_every_target_kills_and_apply_then_fail`).
FAST_SEEDS = (16, 18, 27, 36, 65, 85, 114)

WRITABLE = ("kenjo", "bezala", "zeitstrom", "journyx")
# Leave types of each system (vendor ids), as a source and as a target.
SOURCE_TYPES: dict[str, tuple[str, ...]] = {
    "companyflow": (CF_ANNUAL, CF_SICK),
    "zeitstrom": ("holiday", "overtime", "sick", "special"),
    "bezala": ("vacation", "work_time"),
    "journyx": JOURNYX_TYPES,
}
TARGET_TYPES: dict[str, tuple[str, ...]] = {
    "kenjo": (KENJO_VACATION, KENJO_SICK),
    "bezala": ("vacation", "work_time"),
    # holiday (rule credits) and overtime (someone else's manual credit) cannot be lowered
    # below what others credited: overtime gives some blocked rows, which must stay untouched.
    "zeitstrom": ("sick", "special", "overtime"),
    "journyx": JOURNYX_TYPES,
}
# Rounding steps each target can take (Bezala's work_time only whole minutes).
STEPS: dict[str, tuple[str, ...]] = {
    "kenjo": ("0.01", "0.5"),
    "bezala": ("1",),
    "zeitstrom": ("0.01", "0.25"),
    "journyx": ("0.01", "0.25"),
}
WRITES = ["POST", "PUT", "PATCH", "DELETE"]
FAULT_KINDS = ("error", "throttle", "spike", "drop", "apply_then_fail", "rate_limit")

Key = tuple[str, str]  # (target employee id, target leave type id)


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
    # raise what an earlier run of ours wrote (Bezala replaces, Zeitstrom reduces, Kenjo's
    # last written value).
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
        step=rng.choice(STEPS[target]),
        timeout=timeout,
        max_in_flight=rng.choice([3, 8, 32]),
        faults=faults,
        steps=steps,
        primed=primed,
        revert=primed and rng.random() < 0.5,
        kill_after_ops=rng.randint(1, 6) if by_ops else 0,
        kill_delay=rng.uniform(0, 0.3) if by_ops else rng.uniform(0.5, 2.5),
    )


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


def admin_state(http: httpx.Client, env: DemoEnvironment, vendor: str) -> dict[str, Any]:
    response = http.get(f"{env.base_urls[vendor]}/_emulator/state")
    response.raise_for_status()
    return dict(response.json()["tenants"]["default"])


def set_faults(
    http: httpx.Client, env: DemoEnvironment, faults: Mapping[str, Mapping[str, Any]]
) -> int:
    """Configure `faults` (vendor -> FaultConfig; the others off); returns how many faults the
    configuration it replaces had injected."""
    injected = 0
    for vendor, base_url in env.base_urls.items():
        response = http.get(f"{base_url}/_emulator/faults")
        response.raise_for_status()
        injected += sum(response.json()["counts"].values())
        config = dict(faults.get(vendor, {}))
        http.put(f"{base_url}/_emulator/faults", json=config).raise_for_status()
    return injected


def drain(env: DemoEnvironment, timeout: float = 30.0) -> None:
    """Wait until no emulator holds a request: everything sent (also by a killed process, or
    held past the client's timeout by a latency spike) has been answered or abandoned."""
    deadline = time.monotonic() + timeout
    # uvicorn keeps each request's task in `server_state.tasks` until the app returns.
    while any(server._server.server_state.tasks for server in env.servers.values()):
        if time.monotonic() > deadline:
            raise AssertionError("the emulators still hold requests after 30 s")
        time.sleep(0.02)


def _dec(value: Any) -> Decimal:
    return Decimal(str(value))


def read_target(
    http: httpx.Client, env: DemoEnvironment, target: str, keys: Sequence[Key]
) -> tuple[dict[Key, Decimal | None], dict[str, Any]]:
    """Each key's balance as the target's emulator holds it (None: none), and its raw state."""
    if target == "kenjo":
        values: dict[Key, Decimal | None] = {}
        for employee, kind in keys:
            response = http.get(f"{env.base_urls['kenjo']}/_emulator/balances/{kind}/{employee}")
            values[(employee, kind)] = (
                _dec(response.json()["balance"]) if response.status_code == 200 else None
            )
        return values, admin_state(http, env, "kenjo")
    state = admin_state(http, env, target)
    if target == "zeitstrom":
        nets: dict[Key, Decimal] = {}
        for tx in state["transactions"]:
            key = (tx["employee_id"], tx["missing_type"])
            sign = -1 if tx["source"] == "absence" else 1
            nets[key] = nets.get(key, Decimal(0)) + sign * _dec(tx["amount"])
        # No transaction at all is a balance of 0 (the aggregate then shows no row).
        return {k: nets.get(k, Decimal(0)) for k in keys}, state
    if target == "bezala":
        latest: dict[Key, tuple[str, int, Decimal]] = {}
        for record in state["time_balances"]:
            key = (str(record["user_id"]), record["balance_type"])
            entry = (record["date"], int(record["id"]), _dec(record["value"]))
            if key not in latest or entry[:2] > latest[key][:2]:
                latest[key] = entry
        return {k: latest[k][2] if k in latest else None for k in keys}, state
    assert target == "journyx"
    hours: dict[Key, Decimal] = {}
    for accrual in state["accruals"].values():
        if accrual["status_code"] != "h":
            hours[(accrual["id_user"], accrual["pname"])] = _dec(accrual["hours_left"])
    return {k: hours.get(k) for k in keys}, state


# -- running a schedule ---------------------------------------------------------------------


def changed_source(
    vendor: str, state: Mapping[str, Any], types: set[str], rng: Random, today: date
) -> dict[str, Any]:
    """`state` (a source's admin state) with some balances of `types` changed, as people do."""
    changed = copy.deepcopy(dict(state))
    if vendor == "companyflow":
        for record in changed["balances"]:
            if record["leave_type_id"] in types and rng.random() < 0.7:
                used = _dec(record["used_days"]) + Decimal(rng.randint(-4, 4)) / 2
                record["used_days"] = str(min(max(used, Decimal(0)), Decimal(8)))
    elif vendor == "zeitstrom":
        for employee in sorted({tx["employee_id"] for tx in changed["transactions"]}):
            for kind in sorted(types):
                if rng.random() < 0.7:
                    changed["transactions"].append(
                        {
                            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                            "employee_id": employee,
                            "label": "HR correction",
                            "missing_type": kind,
                            "date": today.isoformat(),
                            "amount": str(Decimal(rng.randint(1, 6)) / 2),
                            "source": rng.choice(["manual", "absence"]),
                        }
                    )
    elif vendor == "bezala":
        next_id = int(changed["next_id"])
        for user in changed["users"]:
            for kind in sorted(types):
                if user["id"] >= 1000 and rng.random() < 0.7:
                    value = (
                        Decimal(rng.randint(0, 50)) / 2
                        if kind == "vacation"
                        else Decimal(rng.randint(-300, 1500))
                    )
                    changed["time_balances"].append(
                        {
                            "id": next_id,
                            "user_id": user["id"],
                            "balance_type": kind,
                            "date": (today - timedelta(days=1)).isoformat(),
                            "value": str(value),
                            "creator_id": 7,
                            "creator_name": "HR Admin",
                        }
                    )
                    next_id += 1
        changed["next_id"] = next_id
    else:
        assert vendor == "journyx"
        for accrual in changed["accruals"].values():
            if accrual["pname"] in types and rng.random() < 0.7:
                hours = _dec(accrual["hours_left"]) + Decimal(rng.randint(-16, 16)) / 4
                accrual["hours_left"] = str(hours)
    return changed


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
        original = admin_state(http, env, schedule.source)
        if schedule.primed:
            asyncio.run(run_sync(config))
            types = {s for s, _ in schedule.types}
            changed = changed_source(
                schedule.source, original, types, Random(schedule.seed), env.today
            )
            http.put(source_url, json=changed).raise_for_status()
            if not schedule.revert:
                reference = reference_of(http, env, config, schedule.target)

        # The faulted phase.
        set_faults(http, env, schedule.faults)
        for step in schedule.steps:
            if step == "run":
                asyncio.run(run_sync(config))  # failures are expected here
            else:
                outcome.kills += killed_sync(
                    config_path, config.state_path, schedule, reference.writes
                )
            drain(env)
        outcome.faults_injected += set_faults(http, env, {})
        if schedule.revert:
            http.put(source_url, json=original).raise_for_status()

        # Clean reruns until nothing is left to do.
        for _ in range(MAX_RERUNS):
            outcome.reruns += 1
            if _settled(asyncio.run(run_sync(config)), reference.blocked):
                break
        else:
            outcome.mismatches.append(f"not settled after {MAX_RERUNS} clean reruns")
        outcome.faults_injected += set_faults(http, env, {})

        # (a) every balance as planned; (b) nothing doubled, nobody else's record touched.
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
        outcome.mismatches += duplicates(schedule.target, reference.initial_state, final_state)
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


def duplicates(target: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Doubled writes of ours, and records of others that changed."""
    found: list[str] = []
    if target == "zeitstrom":
        labels = Counter(
            tx["label"] for tx in after["transactions"] if tx["label"].startswith("balance-gateway")
        )
        found += [f"zeitstrom: {n} transactions labelled {k!r}" for k, n in labels.items() if n > 1]
        now = {tx["id"]: tx for tx in after["transactions"]}
        for tx in before["transactions"]:
            if not tx["label"].startswith("balance-gateway ") and now.get(tx["id"]) != tx:
                found.append(f"zeitstrom: someone else's transaction {tx['id']} was changed")
    elif target == "bezala":
        ours = Counter(
            (r["user_id"], r["balance_type"], r["date"])
            for r in after["time_balances"]
            if r["creator_id"] == BEZALA_OURS
        )
        found += [f"bezala: {n} imports of ours on {key}" for key, n in ours.items() if n > 1]
        now = {r["id"]: r for r in after["time_balances"]}
        for record in before["time_balances"]:
            if record["creator_id"] != BEZALA_OURS and now.get(record["id"]) != record:
                found.append(f"bezala: someone else's import {record['id']} was changed")
    return found


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
    with (
        tempfile.TemporaryDirectory() as folder,
        DemoEnvironment(Path(folder) / "demo", people=5) as environment,
    ):
        yield environment


@pytest.mark.parametrize("seed", FAST_SEEDS)
def test_fault_schedule(env: DemoEnvironment, tmp_path: Path, seed: int) -> None:
    outcome = run_schedule(env, tmp_path, make_schedule(seed))
    assert not outcome.mismatches, failure_report([outcome])
    assert outcome.balances_checked > 0


def test_fast_subset_covers_every_target_kills_and_apply_then_fail() -> None:
    schedules = [make_schedule(seed) for seed in FAST_SEEDS]
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


# Kenjo applies the set, then: answers 500; or drops the answer, and the retries get 429s
# until they run out (seed 5 draws exactly that: applied and dropped, then 429, 429, 429).
KENJO_FAILS_AFTER_APPLY = {
    "500": {"apply_then_fail_rate": 1, "methods": ["PUT"]},
    "dropped-then-429": {
        "seed": 5,
        "throttle_rate": 0.5,
        "retry_after_seconds": 0,
        "apply_then_fail_rate": 1,
        "apply_then_fail_mode": "drop",
        "methods": ["PUT"],
    },
}


@pytest.mark.parametrize("faults", KENJO_FAILS_AFTER_APPLY.values(), ids=KENJO_FAILS_AFTER_APPLY)
def test_kenjo_write_failing_after_apply_is_written_again(
    env: DemoEnvironment, tmp_path: Path, faults: dict[str, Any]
) -> None:
    """Regression (found by the campaign): Kenjo cannot be read back, so the engine remembers
    what it wrote. A set that Kenjo applied but that ended in an error (a 500; or a dropped
    answer, then 429s on the retries) used to be recorded `failed`, leaving the remembered
    value at the earlier write: once the source went back to that value, every later sync
    skipped the balance as "already written", and Kenjo kept the value of the failed write for
    good (exit code 0)."""
    env.dataset = generate_dataset(3, 7, env.today)
    env.reset()
    person = env.dataset.people[0]
    syncs = (
        '[[syncs]]\nname = "k"\nsource = "companyflow"\ntarget = "kenjo"\n'
        f'types = [{{ source = "{CF_ANNUAL}", target = "{KENJO_VACATION}" }}]\n'
    )
    config = load_config(env.write_config(tmp_path, syncs), env=ENV)
    with httpx.Client(timeout=30) as http:

        def kenjo() -> Decimal:
            employee = person.ids["kenjo"]
            url = f"{env.base_urls['kenjo']}/_emulator/balances/{KENJO_VACATION}/{employee}"
            return _dec(http.get(url).json()["balance"])

        assert asyncio.run(run_sync(config)).exit_code == 0
        planned = kenjo()
        original = admin_state(http, env, "companyflow")
        changed = copy.deepcopy(original)
        for record in changed["balances"]:
            if (record["employee_id"], record["leave_type_id"]) == (
                person.ids["companyflow"],
                CF_ANNUAL,
            ):
                record["used_days"] = str(_dec(record["used_days"]) + 3)
        source_url = f"{env.base_urls['companyflow']}/_emulator/state"
        http.put(source_url, json=changed).raise_for_status()

        # Kenjo applies the new value, then the write fails.
        set_faults(http, env, {"kenjo": faults})
        assert asyncio.run(run_sync(config)).exit_code == 1
        assert kenjo() == planned - 3
        set_faults(http, env, {})

        # The source goes back: Kenjo must be set back too.
        http.put(source_url, json=original).raise_for_status()
        for _ in range(MAX_RERUNS):
            report = asyncio.run(run_sync(config))
            if report.exit_code == 0 and not any(r.row.writes for r in report.results):
                break
        assert kenjo() == planned


@pytest.mark.slow
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
