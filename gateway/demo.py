"""`balance-gateway demo`: the whole engine on generated data, with no vendor account.

1. Starts the five emulators in this process (`ServerThread`, free ports on 127.0.0.1).
2. Fills them through their admin API (`PUT /_emulator/state`) with a generated dataset
   (`generate_dataset`: deterministic for a seed): people with 8 h and 7.5 h working days,
   vacation and sick leave, work time, days and hours.
3. Writes `config.toml` and `employees.csv` into a temporary folder and runs, twice,
   a sync for CompanyFlow -> Kenjo, Zeitstrom -> Bezala, Bezala -> Journyx and
   Journyx -> Zeitstrom, each showing a sample of its own plan (read once, not planned
   separately first). The first pass changes balances; the second finds nothing to change.

The four syncs touch disjoint leave types except Bezala, which Zeitstrom -> Bezala writes and
Bezala -> Journyx then reads: they run in that order, so that the second pass is still a no-op.

`DemoEnvironment` (emulators + dataset + config) is also what the end-to-end tests use.
"""

from __future__ import annotations

import asyncio
import random
import shlex
import shutil
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx
from rich.console import Console

from balance_gateway.adapters._emulator import EmulatorOptions, ServerThread, build_emulator
from balance_gateway.adapters._emulator.base import Emulator
from balance_gateway.adapters.bezala.emulator import BezalaState, EmulatedUser, StoredTimeBalance
from balance_gateway.adapters.bezala.models import BalanceType
from balance_gateway.adapters.companyflow.emulator import (
    BalanceRecord,
    Company,
    CompanyFlowState,
    LeaveTypeRecord,
)
from balance_gateway.adapters.companyflow.emulator import Employee as CompanyFlowEmployee
from balance_gateway.adapters.journyx.emulator import (
    SAMPLE_USERNAME,
    JournyxState,
    PayType,
    StoredAccrual,
    User,
)
from balance_gateway.adapters.kenjo.emulator import (
    Assignment,
    EmployeeRecord,
    KenjoState,
    TimeOffTypeRecord,
)
from balance_gateway.adapters.zeitstrom.emulator import AbsenceType, Transaction, ZeitstromState
from balance_gateway.adapters.zeitstrom.emulator import Employee as ZeitstromEmployee
from balance_gateway.adapters.zeitstrom.models import Source
from balance_gateway.gateway.config import Config, load_config
from balance_gateway.gateway.discovery import list_people
from balance_gateway.gateway.engine import RunReport
from balance_gateway.gateway.matching import MatchResult, match_people
from balance_gateway.gateway.plan import PlanRow
from balance_gateway.gateway.report import Fitted, plan_rows_view
from balance_gateway.gateway.runner import run_sync

VENDORS = ("bezala", "companyflow", "journyx", "kenjo", "zeitstrom")

# Emulator credentials: demo placeholders, not secrets. The config names environment variables.
TOKENS = {
    "bezala": "demo-bezala-token",
    "companyflow": "demo-companyflow-password",
    "journyx": "demo-journyx-api-key",
    "kenjo": "demo-kenjo-api-key",
    "zeitstrom": "demo-zeitstrom-token",
}
COMPANYFLOW_READER = "gateway-reader@demo.example"
BEZALA_GATEWAY_USER = 42  # who Bezala's static token acts as: the creator of our imports

ENV = {
    "DEMO_BEZALA_TOKEN": TOKENS["bezala"],
    "DEMO_COMPANYFLOW_EMAIL": COMPANYFLOW_READER,
    "DEMO_COMPANYFLOW_PASSWORD": TOKENS["companyflow"],
    "DEMO_JOURNYX_USERNAME": SAMPLE_USERNAME,
    "DEMO_JOURNYX_API_KEY": TOKENS["journyx"],
    "DEMO_KENJO_API_KEY": TOKENS["kenjo"],
    "DEMO_ZEITSTROM_TOKEN": TOKENS["zeitstrom"],
}

SYNC_ORDER = (
    "companyflow-to-kenjo",
    "zeitstrom-to-bezala",
    "bezala-to-journyx",
    "journyx-to-zeitstrom",
)

# Fixed ids of the leave types, so the config reads plainly.
CF_COMPANY = "0c0ffee0-0000-4000-8000-000000000001"
CF_ANNUAL = "0c0ffee0-0000-4000-8000-0000000000a1"
CF_SICK = "0c0ffee0-0000-4000-8000-0000000000b1"
KENJO_VACATION = "64b000000000000000000a01"
KENJO_SICK = "64b000000000000000000a02"
JOURNYX_TYPES = ("Vacation", "Time Bank", "Sick", "Floating Holiday")


@dataclass(frozen=True)
class DemoPerson:
    """One generated person: their id in each system and their working day, and what the
    systems know of them to match them by (`email`, `number`: the employee number)."""

    name: str
    email: str
    number: str
    companyflow: str
    kenjo: str | None  # a few people are missing from Kenjo: unmapped rows
    zeitstrom: str
    bezala: str
    journyx: str | None  # a quarter of the people use Journyx (a project-costing team)
    hours_per_day: Decimal


@dataclass
class DemoDataset:
    """Generated people and each emulator's state (the admin API's bare-state JSON)."""

    people: list[DemoPerson]
    states: dict[str, dict[str, Any]] = field(default_factory=dict)


def _hex(rng: random.Random, length: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(length))


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _steps(rng: random.Random, low: int, high: int, step: str) -> Decimal:
    """A random multiple of `step` between `low` and `high` (inclusive)."""
    size = Decimal(step)
    count = int((Decimal(high) - Decimal(low)) / size)
    return Decimal(low) + size * rng.randint(0, count)


def generate_dataset(people: int, seed: int, today: date) -> DemoDataset:
    """`people` people in all five systems, deterministic for `seed`; balances of `today`'s
    year. Every value is chosen so that each sync can reach it (no blocked row): Zeitstrom
    targets of Journyx -> Zeitstrom start at most at their rule credits, so a lower target can
    always be reached by lowering our own earlier credits."""
    rng = random.Random(seed)
    first = ["Aino", "Ben", "Chloe", "Dario", "Eeva", "Femi", "Greta", "Hugo", "Ines", "Jonas"]
    last = ["Virtanen", "Schmidt", "Garcia", "Okafor", "Lindqvist", "Rossi", "Meyer", "Kowal"]
    persons = []
    for i in range(people):
        given, family = rng.choice(first), rng.choice(last)
        persons.append(
            DemoPerson(
                name=f"{given} {family}",
                email=f"{given}.{family}{i}@demo.example".lower(),
                number=f"E{1000 + i}",
                companyflow=_uuid(rng),
                # Every 60th person has no Kenjo account: shown as `unmapped`.
                kenjo=None if i % 60 == 59 else _hex(rng, 24),
                zeitstrom=_uuid(rng),
                bezala=str(1000 + i),
                journyx=_hex(rng, 32).upper() if i % 4 == 0 else None,
                hours_per_day=Decimal("7.5") if rng.random() < 0.4 else Decimal(8),
            )
        )
    data = DemoDataset(people=persons)
    data.states["companyflow"] = _companyflow(rng, persons, today).model_dump(mode="json")
    data.states["kenjo"] = _kenjo(rng, persons).model_dump(mode="json")
    data.states["zeitstrom"] = _zeitstrom(rng, persons, today).model_dump(mode="json")
    data.states["bezala"] = _bezala(rng, persons, today).model_dump(mode="json")
    data.states["journyx"] = _journyx(rng, persons).model_dump(mode="json")
    return data


def _companyflow(rng: random.Random, people: list[DemoPerson], today: date) -> CompanyFlowState:
    created = datetime(today.year, 1, 1, tzinfo=UTC)
    employees = [
        CompanyFlowEmployee(
            id=p.companyflow,
            company_id=CF_COMPANY,
            email=p.email,
            first_name=p.name.split()[0],
            last_name=p.name.split()[1],
            role="employee",
            employee_code=p.number,
        )
        for p in people
    ]
    employees.append(
        CompanyFlowEmployee(
            id=_uuid(rng),
            company_id=CF_COMPANY,
            email=COMPANYFLOW_READER,
            first_name="Gateway",
            last_name="Reader",
            role="admin",
        )
    )
    balances = []
    for p in people:
        for type_id, used_max in ((CF_ANNUAL, 20), (CF_SICK, 8)):
            balances.append(
                BalanceRecord(
                    id=_uuid(rng),
                    employee_id=p.companyflow,
                    leave_type_id=type_id,
                    year=today.year,
                    carried_forward_days=_steps(rng, 0, 5, "0.5")
                    if type_id == CF_ANNUAL
                    else Decimal("0.0"),
                    used_days=_steps(rng, 0, used_max, "0.5"),
                    pending_days=_steps(rng, 0, 3, "0.5"),
                    created_at=created,
                    updated_at=created,
                )
            )
    return CompanyFlowState(
        companies=[Company(id=CF_COMPANY, name="Demo Oy")],
        employees=employees,
        leave_types=[
            LeaveTypeRecord(
                id=CF_ANNUAL,
                company_id=CF_COMPANY,
                name="Annual Leave",
                code="AL",
                days_allowed=Decimal(25),
                is_paid=True,
                color_code="#3B82F6",
            ),
            LeaveTypeRecord(
                id=CF_SICK,
                company_id=CF_COMPANY,
                name="Sick Leave",
                code="SL",
                days_allowed=Decimal(10),
                is_paid=True,
                color_code="#EF4444",
            ),
        ],
        balances=balances,
    )


def _kenjo(rng: random.Random, people: list[DemoPerson]) -> KenjoState:
    employees, assignments = [], []
    for p in people:
        if p.kenjo is None:
            continue
        first, last = p.name.split()
        employees.append(
            EmployeeRecord(id=p.kenjo, email=p.email, first_name=first, last_name=last)
        )
        assignments.append(
            Assignment(
                employee_id=p.kenjo,
                time_off_type_id=KENJO_VACATION,
                total_allowance=_steps(rng, 20, 30, "1"),
                taken=_steps(rng, 0, 10, "0.5"),
            )
        )
        assignments.append(
            Assignment(
                employee_id=p.kenjo,
                time_off_type_id=KENJO_SICK,
                total_allowance=Decimal(80),
                taken=_steps(rng, 0, 40, "4"),
            )
        )
    return KenjoState(
        employees=employees,
        time_off_types=[
            TimeOffTypeRecord(id=KENJO_VACATION, name="Vacation", unit="days"),
            TimeOffTypeRecord(id=KENJO_SICK, name="Sick leave", unit="hours"),
        ],
        assignments=assignments,
    )


def _journyx_hours(rng: random.Random, pname: str) -> Decimal:
    return {
        "Vacation": lambda: _steps(rng, 0, 120, "0.25"),
        "Time Bank": lambda: _steps(rng, -8, 24, "0.25"),
        "Sick": lambda: _steps(rng, 0, 60, "0.25"),
        "Floating Holiday": lambda: _steps(rng, 0, 16, "0.5"),
    }[pname]()


def _journyx(rng: random.Random, people: list[DemoPerson]) -> JournyxState:
    admin_id = _hex(rng, 32).upper()
    users = {
        admin_id: User(
            id=admin_id,
            username=SAMPLE_USERNAME,
            first_name="Gateway",
            last_name="Admin",
            email="gateway@demo.example",
        )
    }
    pay_types = {}
    for pname in JOURNYX_TYPES:
        pay_id = _hex(rng, 32).upper()
        pay_types[pname] = PayType(id=pay_id, name=f"{pname} PTO")
    stamp = Decimal(1_735_689_600)  # 2025-01-01T00:00:00Z
    accruals = {}
    for i, p in enumerate(people):
        if p.journyx is None:
            continue
        first, last = p.name.split()
        users[p.journyx] = User(
            id=p.journyx,
            username=f"person{i}",
            first_name=first,
            last_name=last,
            email=p.email,
        )
        for pname in JOURNYX_TYPES:
            accrual_id = _hex(rng, 32).upper()
            accruals[accrual_id] = StoredAccrual(
                id=accrual_id,
                id_timebank=accrual_id,
                id_user=p.journyx,
                pname=pname,
                pay_type_ids=[pay_types[pname].id],
                hours_left=_journyx_hours(rng, pname),
                creator=admin_id,
                create_timestamp=stamp,
                modifier=admin_id,
                modify_timestamp=stamp,
            )
    return JournyxState(
        users=users,
        pay_types={pt.id: pt for pt in pay_types.values()},
        accruals=accruals,
    )


def _zeitstrom(rng: random.Random, people: list[DemoPerson], today: date) -> ZeitstromState:
    transactions = []
    start = date(today.year, 1, 1)

    def tx(
        employee: str, kind: str, amount: Decimal, source: Source, label: str, day: date
    ) -> None:
        transactions.append(
            Transaction(
                id=_uuid(rng),
                employee_id=employee,
                label=label,
                missing_type=kind,
                date=day,
                amount=amount,
                source=source,
            )
        )

    for i, p in enumerate(people):
        z = p.zeitstrom
        tx(z, "holiday", _steps(rng, 24, 30, "1"), Source.REPEATING_RULE, "Annual quota", start)
        for _ in range(rng.randint(0, 3)):
            tx(z, "holiday", _steps(rng, 1, 5, "0.5"), Source.ABSENCE, "Vacation", start)
        tx(z, "overtime", _steps(rng, 0, 3, "0.05"), Source.MANUAL, "Overtime carried", start)
        # Journyx -> Zeitstrom targets (0 days or more): nothing yet, so the sync credits, or
        # for some people an earlier credit of ours, which a lower target lowers (a Zeitstrom
        # decrease). Nobody else's credit: a target below it could not be reached.
        for kind in ("sick", "special"):
            # Every second Journyx user surely has one on "sick" above any Journyx value
            # (at most 60 h, 8 days): the demo always shows a decrease.
            if (kind == "sick" and i % 8 == 0) or rng.random() < 0.3:
                tx(
                    z,
                    kind,
                    _steps(rng, 9, 12, "0.5"),
                    Source.MANUAL,
                    f"balance-gateway demo-{_hex(rng, 8)}",
                    start,
                )
    return ZeitstromState(
        employees=[
            ZeitstromEmployee(
                id=p.zeitstrom,
                name=p.name,
                # Some emails are written with capitals: matching ignores case.
                email=p.email.title() if i % 7 == 3 else p.email,
                accounting_number=p.number,
            )
            for i, p in enumerate(people)
        ],
        absence_types=[
            AbsenceType(missing_type="holiday", name="Holiday", has_quota=True),
            AbsenceType(missing_type="overtime", name="Overtime", has_quota=False),
            AbsenceType(missing_type="sick", name="Sick (time bank)", has_quota=False),
            AbsenceType(missing_type="special", name="Special leave", has_quota=True),
        ],
        transactions=transactions,
    )


def _bezala(rng: random.Random, people: list[DemoPerson], today: date) -> BezalaState:
    users = [
        EmulatedUser(id=BEZALA_GATEWAY_USER, name="Gateway Integration"),
        EmulatedUser(id=7, name="HR Admin"),
    ]
    records = []
    earlier = today - timedelta(days=40)
    next_id = 1
    for i, p in enumerate(people):
        # Bezala is an expense tool: every 25th person has no email there, only the employee
        # number as external_id; every 50th has neither (map lists them as unmatched).
        email = None if i % 25 == 24 else p.email
        number = None if i % 50 == 49 else p.number
        users.append(EmulatedUser(id=int(p.bezala), name=p.name, email=email, external_id=number))
        for kind, value in (
            (BalanceType.VACATION, _steps(rng, 0, 25, "0.5")),
            (BalanceType.WORK_TIME, Decimal(rng.randint(-300, 1500))),
        ):
            records.append(
                StoredTimeBalance(
                    id=next_id,
                    user_id=int(p.bezala),
                    balance_type=kind,
                    date=earlier,
                    value=value,
                    creator_id=7,
                    creator_name="HR Admin",
                )
            )
            next_id += 1
    return BezalaState(
        users=users,
        time_balances=records,
        next_id=next_id,
        token_user_id=BEZALA_GATEWAY_USER,
    )


def mapping_csv(people: list[DemoPerson]) -> str:
    """The employee mapping: one column per system, plus hours_per_day where it is not 8."""
    lines = ["companyflow,kenjo,zeitstrom,bezala,journyx,hours_per_day"]
    for p in people:
        hours = "" if p.hours_per_day == 8 else str(p.hours_per_day)
        lines.append(
            f"{p.companyflow},{p.kenjo or ''},{p.zeitstrom},{p.bezala},{p.journyx or ''},{hours}"
        )
    return "\n".join(lines) + "\n"


def systems_toml(base_urls: Mapping[str, str]) -> str:
    """The `[systems.*]` tables of the five emulators at `base_urls` (vendor -> URL)."""
    return f"""\
# Credentials are ENVIRONMENT VARIABLE NAMES, never the secrets themselves.

[systems.companyflow]
vendor = "companyflow"
base_url = "{base_urls["companyflow"]}"
credentials = {{ email = "DEMO_COMPANYFLOW_EMAIL", password = "DEMO_COMPANYFLOW_PASSWORD" }}
requests_per_second = 2000

[systems.kenjo]
vendor = "kenjo"
base_url = "{base_urls["kenjo"]}"
credentials = {{ api_key = "DEMO_KENJO_API_KEY" }}
# Kenjo's sick leave counts hours; vacation counts days (the default).
options = {{ type_units = {{ "{KENJO_SICK}" = "hours" }} }}
requests_per_second = 2000

[systems.zeitstrom]
vendor = "zeitstrom"
base_url = "{base_urls["zeitstrom"]}"
credentials = {{ token = "DEMO_ZEITSTROM_TOKEN" }}
requests_per_second = 2000

[systems.bezala]
vendor = "bezala"
base_url = "{base_urls["bezala"]}"
credentials = {{ token = "DEMO_BEZALA_TOKEN" }}
# The Bezala user the token acts as: imports made by it are ours to replace.
options = {{ creator_id = "{BEZALA_GATEWAY_USER}" }}
requests_per_second = 2000

[systems.journyx]
vendor = "journyx"
base_url = "{base_urls["journyx"]}"
credentials = {{ username = "DEMO_JOURNYX_USERNAME", api_key = "DEMO_JOURNYX_API_KEY" }}
requests_per_second = 2000
"""


DEMO_SYNCS_TOML = f"""\
# CompanyFlow (read-only, days) -> Kenjo (write-only: sets remaining).
[[syncs]]
name = "companyflow-to-kenjo"
source = "companyflow"
target = "kenjo"
types = [
  {{ source = "{CF_ANNUAL}", target = "{KENJO_VACATION}", kind = "vacation" }},
  {{ source = "{CF_SICK}", target = "{KENJO_SICK}", kind = "sick" }},
]

# Zeitstrom (a ledger, days) -> Bezala (dated imports: vacation days, work time in minutes).
[[syncs]]
name = "zeitstrom-to-bezala"
source = "zeitstrom"
target = "bezala"
types = [
  {{ source = "holiday", target = "vacation", kind = "vacation" }},
  {{ source = "overtime", target = "work_time", kind = "work_time" }},
]

# Bezala -> Journyx (hours): minutes become hours, rounded to 0.01 h.
[[syncs]]
name = "bezala-to-journyx"
source = "bezala"
target = "journyx"
types = [
  {{ source = "vacation", target = "Vacation", kind = "vacation" }},
  {{ source = "work_time", target = "Time Bank", kind = "work_time" }},
]
rounding = {{ step = "0.01", mode = "half_even" }}

# Journyx (hours) -> Zeitstrom (days): credits, or lowers our own earlier credits.
[[syncs]]
name = "journyx-to-zeitstrom"
source = "journyx"
target = "zeitstrom"
types = [
  {{ source = "Sick", target = "sick", kind = "sick" }},
  {{ source = "Floating Holiday", target = "special", kind = "personal" }},
]
rounding = {{ step = "0.01", mode = "half_even" }}
"""

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
    adds emulator options per vendor (e.g. latency for a test)."""

    def __init__(
        self,
        folder: Path,
        *,
        people: int = 200,
        seed: int = 8,
        today: date | None = None,
        options: Mapping[str, EmulatorOptions] | None = None,
    ) -> None:
        self.folder = folder
        self.today = today or datetime.now(UTC).date()
        self.dataset = generate_dataset(people, seed, self.today)
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
            for vendor in VENDORS:
                options = self._options.get(vendor) or EmulatorOptions()
                options.token = TOKENS[vendor]
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
        head = "# balance-gateway demo configuration: five emulated systems and their syncs.\n"
        path.write_text("\n".join([head + systems_toml(self.base_urls), syncs, settings]))
        (folder / "employees.csv").write_text(mapping_csv(self.dataset.people))
        return path

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()
        self.servers.clear()

    def load_config(self) -> Config:
        """The demo config, with the demo credentials as its environment."""
        return load_config(self.config_path, env=ENV)

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


def _sample_table(title: str, rows: list[PlanRow], limit: int = 6) -> Fitted:
    """A few telling rows of a plan: writes first, with notes, then the rest."""
    ordered = sorted(rows, key=lambda r: (not r.writes, not r.note, r.operation.value))
    seen: set[str] = set()
    picked = []
    for row in ordered:  # one row per operation kind first, so every kind is shown
        if row.operation.value not in seen:
            seen.add(row.operation.value)
            picked.append(row)
    picked += [r for r in ordered if r not in picked][: max(0, limit - len(picked))]
    return plan_rows_view(title, picked)


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
    rows = set()
    for p in people:
        ids = {
            "companyflow": p.companyflow,
            "kenjo": p.kenjo,
            "zeitstrom": p.zeitstrom,
            "bezala": p.bezala,
            "journyx": p.journyx,
        }
        rows.add(frozenset((system, i) for system, i in ids.items() if i is not None))
    return rows


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
    console.print(
        f"[bold]map[/]: {result.matched} of {result.people} people matched across the five "
        f"systems from the systems' own data ({share:.0f}%: {how}); {agree} of "
        f"{len(env.dataset.people)} rows equal the demo's mapping; {len(result.unmatched)} "
        "found in one system only (integration accounts, and people Bezala has no email or "
        "employee number for)"
    )
    return result


async def _pass(
    console: Console, config: Config, number: int, show_plans: bool
) -> tuple[int, int, bool]:
    """One pass over the four syncs, each synced once; its tables show the sync's own plan
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
            console.print(_sample_table(f"plan {name} (a sample of {len(rows)} rows)", rows))
        applied += sum(1 for r in report.results if r.status.value == "applied")
        ok = ok and report.exit_code == 0
        console.print(
            f"  pass {number} [bold]{name}[/]: planned {writes} write(s); sync: {_counts(report)}"
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
        f"balance-gateway discover companyflow --employees --config {c}",
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
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(ENV.items()))
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
