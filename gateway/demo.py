"""`balance-gateway demo`: the whole engine on generated data, with no vendor account.

1. Starts every registered vendor's emulator in this process (`ServerThread`, free ports on
   127.0.0.1).
2. Fills them through their admin API (`PUT /_emulator/state`) with a generated dataset
   (`generate_dataset`: deterministic for a seed): people with 8 h and 7.5 h working days,
   vacation and sick leave, work time, days and hours. What each vendor's data looks like is
   its own `DemoProfile` (`adapters/<vendor>/demo.py`); this module keeps only the scenario.
3. Writes `config.toml` and `employees.csv` into a temporary folder and runs, twice, the syncs
   of `SCENARIO`, each showing a sample of its own plan (read once, not planned separately
   first). The first pass changes balances; the second finds nothing to change.

The scenario's syncs touch disjoint leave types except where one sync's target is a later
one's source: they run in the scenario's order, so that the second pass is still a no-op.

`DemoEnvironment` (emulators + dataset + config) is also what the end-to-end tests use.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import shlex
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx
from rich.console import Console

from balance_gateway.adapters._emulator import EmulatorOptions, ServerThread, build_emulator
from balance_gateway.adapters._emulator.base import Emulator
from balance_gateway.adapters._emulator.demo import (
    DemoPerson,
    DemoProfile,
    demo_profiles,
    vendor_random,
)
from balance_gateway.canonical import LeaveKind
from balance_gateway.gateway.cli_common import print_hanging
from balance_gateway.gateway.config import Config, load_config
from balance_gateway.gateway.discovery import list_people
from balance_gateway.gateway.engine import RunReport
from balance_gateway.gateway.matching import MatchResult, match_people
from balance_gateway.gateway.plan import PlanRow
from balance_gateway.gateway.report import Fitted, plan_rows_view
from balance_gateway.gateway.runner import run_sync

__all__ = [
    "DEMO_SYNCS_TOML",
    "ENV",
    "SCENARIO",
    "SETTINGS_TOML",
    "SYNC_ORDER",
    "TOKENS",
    "VENDORS",
    "DemoDataset",
    "DemoEnvironment",
    "DemoPerson",
    "DemoProfile",
    "DemoSync",
    "generate_dataset",
    "mapping_csv",
    "next_step_commands",
    "remove_demo_folder",
    "run_demo",
    "syncs_toml",
    "systems_toml",
]


@dataclass(frozen=True)
class DemoSync:
    """One sync of the scenario: `kinds` carried from `source` to `target` (vendors), each
    vendor's leave type for a kind taken from its profile; `rounding`: a step, half-even."""

    source: str
    target: str
    kinds: tuple[LeaveKind, ...]
    rounding: str | None = None
    note: str = ""

    @property
    def name(self) -> str:
        return f"{self.source}-to-{self.target}"


# The scenario, in the order its syncs run: the only place outside the vendors' own folders
# and the registry that names vendors (tests/test_layout.py allows exactly this assignment).
SCENARIO = (
    DemoSync("companyflow", "kenjo", (LeaveKind.VACATION, LeaveKind.SICK)),
    DemoSync("zeitstrom", "bezala", (LeaveKind.VACATION, LeaveKind.WORK_TIME)),
    DemoSync(
        "bezala",
        "journyx",
        (LeaveKind.VACATION, LeaveKind.WORK_TIME),
        rounding="0.01",
        note="minutes become hours, rounded to 0.01 h",
    ),
    DemoSync(
        "journyx",
        "zeitstrom",
        (LeaveKind.SICK, LeaveKind.PERSONAL),
        rounding="0.01",
        note="credits, or lowers our own earlier credits",
    ),
)

PROFILES: dict[str, DemoProfile] = demo_profiles()
VENDORS = tuple(PROFILES)
# Emulator credentials: demo placeholders, not secrets. The config names environment variables.
TOKENS = {vendor: profile.token for vendor, profile in PROFILES.items()}
ENV = {
    name: value for profile in PROFILES.values() for name, value in profile.environment().items()
}
SYNC_ORDER = tuple(sync.name for sync in SCENARIO)


@dataclass
class DemoDataset:
    """Generated people and each emulator's state (the admin API's bare-state JSON)."""

    people: list[DemoPerson]
    states: dict[str, dict[str, Any]] = field(default_factory=dict)


def generate_dataset(
    people: int, seed: int, today: date, profiles: Mapping[str, DemoProfile] | None = None
) -> DemoDataset:
    """`people` people in every system of `profiles` (default: every registered vendor's),
    deterministic for `seed`; balances of `today`'s year. Each vendor draws from its own
    random source (`vendor_random`). Every value is chosen (by the profiles) so that each sync
    of the scenario can reach it: no blocked row."""
    profiles = PROFILES if profiles is None else profiles
    rng = random.Random(seed)
    randoms = {vendor: vendor_random(seed, vendor) for vendor in profiles}
    first = ["Aino", "Ben", "Chloe", "Dario", "Eeva", "Femi", "Greta", "Hugo", "Ines", "Jonas"]
    last = ["Virtanen", "Schmidt", "Garcia", "Okafor", "Lindqvist", "Rossi", "Meyer", "Kowal"]
    persons = []
    for i in range(people):
        given, family = rng.choice(first), rng.choice(last)
        ids = {v: p.employee_id(randoms[v], i) for v, p in profiles.items()}
        persons.append(
            DemoPerson(
                name=f"{given} {family}",
                email=f"{given}.{family}{i}@demo.example".lower(),
                number=f"E{1000 + i}",
                hours_per_day=Decimal("7.5") if rng.random() < 0.4 else Decimal(8),
                ids={vendor: id_ for vendor, id_ in ids.items() if id_ is not None},
            )
        )
    data = DemoDataset(people=persons)
    for vendor, profile in profiles.items():
        data.states[vendor] = profile.state(randoms[vendor], persons, today)
    return data


def mapping_csv(people: list[DemoPerson], vendors: tuple[str, ...] = VENDORS) -> str:
    """The employee mapping: one column per system, plus hours_per_day where it is not 8."""
    lines = [",".join([*vendors, "hours_per_day"])]
    for p in people:
        hours = "" if p.hours_per_day == 8 else str(p.hours_per_day)
        lines.append(",".join([*(p.ids.get(v, "") for v in vendors), hours]))
    return "\n".join(lines) + "\n"


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _toml_value(value: Any) -> str:
    """A TOML inline value for a profile's options (tables, text, numbers, booleans)."""
    if isinstance(value, Mapping):
        return (
            "{ "
            + ", ".join(f"{_toml_key(str(k))} = {_toml_value(v)}" for k, v in value.items())
            + " }"
        )
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    return json.dumps(str(value))


def systems_toml(
    base_urls: Mapping[str, str],
    profiles: Mapping[str, DemoProfile] | None = None,
    *,
    prefix: str = "DEMO",
    requests_per_second: Mapping[str, float] | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> str:
    """The `[systems.*]` tables of the emulators at `base_urls` (vendor -> URL), one per
    vendor, named after it: credentials named by the profile's environment variables
    (`prefix`), its options with `options[vendor]` merged over them, and
    `requests_per_second[vendor]` (default 2000)."""
    profiles = PROFILES if profiles is None else profiles
    parts = ["# Credentials are ENVIRONMENT VARIABLE NAMES, never the secrets themselves.\n"]
    for vendor, url in base_urls.items():
        profile = profiles[vendor]
        names = profile.variables(prefix)
        merged = {**profile.options, **(options or {}).get(vendor, {})}
        rps = (requests_per_second or {}).get(vendor, 2000)
        credentials = ", ".join(f"{key} = {json.dumps(names[key])}" for key in profile.credentials)
        lines = [
            f"[systems.{vendor}]",
            f"vendor = {json.dumps(vendor)}",
            f"base_url = {json.dumps(url)}",
            f"credentials = {{ {credentials} }}",
        ]
        if merged:
            if profile.options_comment:
                lines.append(f"# {profile.options_comment}")
            lines.append(f"options = {_toml_value(merged)}")
        lines.append(f"requests_per_second = {rps}")
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def syncs_toml(
    scenario: tuple[DemoSync, ...] = SCENARIO, profiles: Mapping[str, DemoProfile] | None = None
) -> str:
    """The scenario's `[[syncs]]`, each system named after its vendor."""
    profiles = PROFILES if profiles is None else profiles
    parts = []
    for sync in scenario:
        source, target = profiles[sync.source], profiles[sync.target]
        comment = f"# {source.title} ({source.about}) -> {target.title} ({target.about})"
        types = "".join(
            f"  {{ source = {json.dumps(source.leave_types[kind])}, "
            f"target = {json.dumps(target.leave_types[kind])}, "
            f"kind = {json.dumps(kind.value)} }},\n"
            for kind in sync.kinds
        )
        lines = [
            comment + (f": {sync.note}." if sync.note else "."),
            "[[syncs]]",
            f"name = {json.dumps(sync.name)}",
            f"source = {json.dumps(sync.source)}",
            f"target = {json.dumps(sync.target)}",
            f"types = [\n{types}]",
        ]
        if sync.rounding:
            lines.append(f'rounding = {{ step = "{sync.rounding}", mode = "half_even" }}')
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


DEMO_SYNCS_TOML = syncs_toml()

SETTINGS_TOML = """\
[mapping]
file = "employees.csv"

[schedule]
hours_per_day = 8

[guardrails]
max_change = "60 days"
max_operations = 1000

[concurrency]
max_in_flight = 32

[state]
path = "balance-gateway.sqlite3"
"""


class DemoEnvironment:
    """Emulators on loopback ports, loaded with a generated dataset, and a config folder.

    `with DemoEnvironment(folder, people=20) as env:` then `env.load_config()`. `options`
    adds emulator options per vendor (e.g. latency for a test); `profiles` are the vendors
    (default: every registered one)."""

    def __init__(
        self,
        folder: Path,
        *,
        people: int = 200,
        seed: int = 8,
        today: date | None = None,
        options: Mapping[str, EmulatorOptions] | None = None,
        profiles: Mapping[str, DemoProfile] | None = None,
    ) -> None:
        self.folder = folder
        self.today = today or datetime.now(UTC).date()
        self.profiles = dict(PROFILES if profiles is None else profiles)
        self.dataset = generate_dataset(people, seed, self.today, self.profiles)
        self.emulators: dict[str, Emulator[Any]] = {}
        self.servers: dict[str, ServerThread] = {}
        self._options = dict(options or {})

    @property
    def config_path(self) -> Path:
        return self.folder / "config.toml"

    @property
    def base_urls(self) -> dict[str, str]:
        return {vendor: server.base_url for vendor, server in self.servers.items()}

    def start(self) -> Self:
        try:
            for vendor, profile in self.profiles.items():
                options = self._options.get(vendor) or EmulatorOptions()
                options.token = profile.token
                emulator = build_emulator(vendor, options)
                self.emulators[vendor] = emulator
                self.servers[vendor] = ServerThread(emulator.app).start()
            self.reset()
        except BaseException:
            self.stop()
            raise
        self.write_config(self.folder)
        return self

    def reset(self) -> None:
        """Load the generated dataset into every emulator again (admin API), faults off."""
        with httpx.Client(timeout=30) as http:
            for vendor, server in self.servers.items():
                url = f"{server.base_url}/_emulator"
                http.put(f"{url}/state", json=self.dataset.states[vendor]).raise_for_status()
                http.put(f"{url}/faults", json={}).raise_for_status()

    def write_config(
        self, folder: Path, syncs: str = DEMO_SYNCS_TOML, settings: str = SETTINGS_TOML
    ) -> Path:
        """Write a config (these emulators, `syncs`, `settings`) and the mapping into
        `folder`; returns the config's path."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "config.toml"
        head = "# balance-gateway demo configuration: the emulated systems and their syncs.\n"
        systems = systems_toml(self.base_urls, self.profiles)
        path.write_text("\n".join([head + systems, syncs, settings]))
        (folder / "employees.csv").write_text(
            mapping_csv(self.dataset.people, tuple(self.profiles))
        )
        return path

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()
        self.servers.clear()

    def load_config(self) -> Config:
        """The demo config, with the demo credentials as its environment."""
        return load_config(self.config_path, env=self.env)

    @property
    def env(self) -> dict[str, str]:
        """The demo credentials, as environment variables (placeholders, not secrets)."""
        return {
            k: v for profile in self.profiles.values() for k, v in profile.environment().items()
        }

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# -- the command --------------------------------------------------------------------------


def _sample_table(name: str, rows: list[PlanRow], limit: int = 6) -> Fitted:
    """A few telling rows of sync `name`'s plan: writes first, with notes, then the rest."""
    ordered = sorted(rows, key=lambda r: (not r.writes, not r.note, r.operation.value))
    seen: set[str] = set()
    picked = []
    for row in ordered:  # one row per operation kind first, so every kind is shown
        if row.operation.value not in seen:
            seen.add(row.operation.value)
            picked.append(row)
    picked += [r for r in ordered if r not in picked][: max(0, limit - len(picked))]
    return plan_rows_view(f"plan {name}: {len(picked)} of its {len(rows)} rows", picked)


def _counts(report: RunReport) -> str:
    """What a sync did: operations by kind, then verification and anything that went wrong."""
    kinds = Counter(r.kind.value for r in report.results)
    parts = [f"{kind} {count}" for kind, count in sorted(kinds.items())]
    verified = sum(1 for r in report.results if r.verified is True)
    if verified:
        parts.append(f"verified {verified}")
    failed = Counter(r.status.value for r in report.results if not r.ok)
    parts += [f"[red]{status} {count}[/]" for status, count in sorted(failed.items())]
    return ", ".join(parts) or "nothing"


def _mapping_rows(people: list[DemoPerson]) -> set[frozenset[tuple[str, str]]]:
    """The generated mapping's rows as sets of (system, id): what `map` should rebuild."""
    return {frozenset(p.ids.items()) for p in people}


async def _map_step(console: Console, config: Config, env: DemoEnvironment) -> MatchResult:
    """`balance-gateway map` on the demo's systems: match people by email and employee number,
    and compare the proposal with the mapping the demo generated."""
    names = list(config.file.systems)
    found = await list_people(config, names)
    directories = {
        name: list(listing.items)
        for name, listing in found.items()
        if not isinstance(listing, str) and listing.available
    }
    result = match_people(directories)
    truth = _mapping_rows(env.dataset.people)
    agree = sum(1 for r in result.rows if frozenset(r.ids.items()) in truth)
    by = Counter(" and ".join(r.matched_by) for r in result.rows if r.systems > 1)
    share = 100 * result.matched / result.people if result.people else 100.0
    how = ", ".join(f"{count} by {key}" for key, count in sorted(by.items()))
    print_hanging(
        console,
        f"[bold]map[/]: {result.matched} of {result.people} people matched across the "
        f"{len(names)} systems from the systems' own data ({share:.0f}%: {how}); {agree} of "
        f"{len(env.dataset.people)} rows equal the demo's mapping; {len(result.unmatched)} "
        "found in one system only (integration accounts, and people a system has no email or "
        "employee number for)",
    )
    return result


async def _pass(
    console: Console, config: Config, number: int, show_plans: bool
) -> tuple[int, int, bool]:
    """One pass over the scenario's syncs, each synced once; its tables show the sync's own plan
    (no separate `plan` first, which would read every system twice). Returns (writes planned,
    applied, ok)."""
    planned_writes = applied = 0
    ok = True
    for name in SYNC_ORDER:
        report = await run_sync(config, name)
        rows = [row for p in report.plans for row in p.rows]
        writes = sum(1 for row in rows if row.writes)
        planned_writes += writes
        if show_plans:
            console.print(_sample_table(name, rows))
        applied += sum(1 for r in report.results if r.status.value == "applied")
        ok = ok and report.exit_code == 0
        print_hanging(
            console,
            f"  pass {number} [bold]{name}[/]: planned {writes} write(s); sync: {_counts(report)}",
        )
        for plan_error in (p.error for p in report.plans if p.error):
            console.print(f"    [red]{plan_error}[/]")
    return planned_writes, applied, ok


def next_step_commands(config: Path) -> list[str]:
    """The commands the demo prints for a user to paste (with its credentials exported)."""
    c = shlex.quote(str(config))
    proposal = shlex.quote(str(config.parent / "employees.proposed.csv"))
    return [
        f"balance-gateway systems --config {c}",
        f"balance-gateway discover {SCENARIO[0].source} --employees --config {c}",
        f"balance-gateway map --config {c} --out {proposal}",
        f"balance-gateway plan --config {c}",
        f"balance-gateway sync --config {c} --yes",
        f"balance-gateway runs --config {c}",
        f"balance-gateway runs show last --config {c}",
    ]


def _next_steps(console: Console, env: DemoEnvironment, keep: bool) -> None:
    """The closing lines: how to go on from here. Printed unwrapped, so that they paste."""
    if not keep:
        console.print(
            f"journal: balance-gateway runs --config {shlex.quote(str(env.config_path))}",
            soft_wrap=True,
        )
        console.print(
            "to run plan, sync and the rest on these emulators yourself, start the demo with "
            "--keep (balance-gateway demo --keep): the emulators keep serving and it prints the "
            "commands to paste",
            soft_wrap=True,
        )
        return
    console.print("the emulators keep serving (Ctrl-C to stop); in another shell, paste:")
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(env.env.items()))
    console.print(f"  export {exports}", soft_wrap=True, highlight=False, markup=False)
    for command in next_step_commands(env.config_path):
        console.print(f"  {command}", soft_wrap=True, highlight=False, markup=False)


def run_demo(
    *, employees: int = 200, seed: int = 8, keep: bool = False, folder: Path | None = None
) -> int:
    """Run the demo (see the module docstring) and return its exit code: 0 when the first pass
    applied changes without a failure and the second found nothing to change."""
    console = Console()
    started = time.monotonic()
    folder = folder or Path(tempfile.mkdtemp(prefix="balance-gateway-demo-"))
    console.print(f"[bold]balance-gateway demo[/]: {employees} people, seed {seed}")
    with DemoEnvironment(folder, people=employees, seed=seed) as env:
        for vendor, url in sorted(env.base_urls.items()):
            console.print(f"  {vendor:<12} emulator at {url}")
        config = env.load_config()
        asyncio.run(_map_step(console, config, env))
        console.print("[bold]pass 1[/]: the systems disagree; the syncs set them straight")
        _first_planned, first_applied, first_ok = asyncio.run(_pass(console, config, 1, True))
        console.print("[bold]pass 2[/]: the same syncs again; nothing should change")
        second_planned, second_applied, second_ok = asyncio.run(_pass(console, config, 2, False))
        elapsed = time.monotonic() - started
        ok = first_ok and second_ok and first_applied > 0 and second_planned == 0
        verdict = "[green]ok[/]" if ok else "[bold red]unexpected[/]"
        console.print(
            f"{verdict}: pass 1 applied {first_applied} write(s); pass 2 planned "
            f"{second_planned} and applied {second_applied}; {elapsed:.1f} s"
        )
        console.print(f"config: [cyan]{env.config_path}[/] (mapping: employees.csv beside it)")
        _next_steps(console, env, keep)
        if keep:
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
    return 0 if ok else 1


def remove_demo_folder(folder: Path) -> None:
    """Remove a folder the demo created (tests clean up with this)."""
    shutil.rmtree(folder, ignore_errors=True)
