"""Balances as of the date asked, over real HTTP: the emulators under uvicorn on 127.0.0.1,
the command line in-process (`plan --json`, `sync --json`).

- Zeitstrom as a source: a ledger with credits and absences dated after `as_of` (later credits
  not in effect, later absences pending), and a page boundary in the later part.
- Zeitstrom as a target: a credit reaches the balance as of `as_of` whatever comes later, and
  a second run writes nothing.
- Bezala: imports on both sides of `as_of` (the latest on or before it counts, dated its own
  day), how old it is, and `max_source_age` blocking it.
- Journyx with a past `as_of`: the current figure, said so on the row.
- CompanyFlow: the year of `as_of`, said so on the row.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer import Typer
from typer.testing import CliRunner

from balance_gateway.adapters._core.adapter import AdapterConfig
from balance_gateway.adapters._core.registry import build_adapter
from balance_gateway.adapters._core.secrets import Secret
from balance_gateway.adapters.bezala.demo import BEZALA_GATEWAY_USER
from balance_gateway.adapters.companyflow.demo import CF_ANNUAL
from balance_gateway.adapters.kenjo.demo import KENJO_VACATION
from balance_gateway.gateway import cli_sync
from balance_gateway.gateway.demo import ENV, SETTINGS_TOML, TOKENS, DemoEnvironment, DemoPerson

PEOPLE = 8  # people 0 and 4 have a Journyx account


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoEnvironment]:
    with DemoEnvironment(tmp_path_factory.mktemp("as-of") / "demo", people=PEOPLE) as demo:
        yield demo


@pytest.fixture
def fresh(env: DemoEnvironment, monkeypatch: pytest.MonkeyPatch) -> DemoEnvironment:
    env.reset()
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    return env


def year(env: DemoEnvironment) -> int:
    """The demo dataset's year: its rules credit on 1 January, CompanyFlow answers for it."""
    return env.today.year


def on(env: DemoEnvironment, month: int, day: int, years_later: int = 0) -> str:
    return date(year(env) + years_later, month, day).isoformat()


def state(env: DemoEnvironment, vendor: str) -> dict[str, Any]:
    response = httpx.get(f"{env.base_urls[vendor]}/_emulator/state", timeout=10)
    response.raise_for_status()
    return dict(response.json()["tenants"]["default"])


def put_state(env: DemoEnvironment, vendor: str, data: dict[str, Any]) -> None:
    httpx.put(f"{env.base_urls[vendor]}/_emulator/state", json=data, timeout=10).raise_for_status()


def person(env: DemoEnvironment, index: int) -> DemoPerson:
    return env.dataset.people[index]


def cli(path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    app = Typer()
    cli_sync.register(app)
    result = CliRunner().invoke(app, [*args, "--config", str(path), "--json"])
    assert result.output.lstrip().startswith("{"), result.output
    return result.exit_code, json.loads(result.output)


def rows_of(report: dict[str, Any], sync: str) -> list[dict[str, Any]]:
    (found,) = [s for s in report["syncs"] if s["name"] == sync]
    assert found["error"] is None, found["error"]
    rows: list[dict[str, Any]] = found["rows"]
    return rows


def row_for(rows: list[dict[str, Any]], source_employee: str, source_type: str) -> dict[str, Any]:
    (row,) = [
        r
        for r in rows
        if r["source_employee"] == source_employee and r["source_type"] == source_type
    ]
    return row


def days(value: str) -> tuple[Decimal, str]:
    return Decimal(value), "days"


def amount(quantity: dict[str, str] | None) -> tuple[Decimal, str] | None:
    """A JSON quantity as (Decimal, unit): "22.0" and "22" are the same number of days."""
    return None if quantity is None else (Decimal(quantity["value"]), quantity["unit"])


def net_as_of(transactions: list[dict[str, Any]], employee: str, kind: str, as_of: str) -> Decimal:
    return sum(
        (
            Decimal(str(tx["amount"])) * (-1 if tx["source"] == "absence" else 1)
            for tx in transactions
            if tx["employee_id"] == employee and tx["missing_type"] == kind and tx["date"] <= as_of
        ),
        Decimal(0),
    )


# -- Zeitstrom: a ledger with entries after as_of ---------------------------------------------


def _tx(employee: str, kind: str, day: str, amount: str, source: str, label: str) -> dict[str, Any]:
    return {
        "id": f"{employee[:8]}-{kind}-{day}-{label}".replace(" ", "-"),
        "employee_id": employee,
        "label": label,
        "missing_type": kind,
        "date": day,
        "amount": amount,
        "source": source,
    }


def _later_ledger(env: DemoEnvironment) -> None:
    """Person 0's holiday: 25 credited and 3 taken by mid-June; after it a correction (+2),
    a summer holiday (4) and next year's entitlement (30). Person 2: 120 small absences after
    mid-June (6 days planned, more than a page of the ledger)."""
    zeitstrom = state(env, "zeitstrom")
    p0, p2 = person(env, 0).ids["zeitstrom"], person(env, 2).ids["zeitstrom"]
    kept = [
        tx
        for tx in zeitstrom["transactions"]
        if not (tx["employee_id"] == p0 and tx["missing_type"] == "holiday")
    ]
    kept += [
        _tx(p0, "holiday", on(env, 1, 1), "25", "repeating-rule", "Annual quota"),
        _tx(p0, "holiday", on(env, 2, 10), "3", "absence", "Ski trip"),
        _tx(p0, "holiday", on(env, 6, 30), "2", "manual", "HR correction"),
        _tx(p0, "holiday", on(env, 7, 1), "4", "absence", "Summer"),
        _tx(p0, "holiday", on(env, 1, 1, years_later=1), "30", "repeating-rule", "Next year"),
    ]
    kept += [
        _tx(p2, "holiday", on(env, 8, 1 + i % 28), "0.05", "absence", f"Hour {i}")
        for i in range(120)
    ]
    zeitstrom["transactions"] = kept
    put_state(env, "zeitstrom", zeitstrom)


async def test_the_zeitstrom_balance_as_of_a_date_counts_nothing_dated_after_it(
    fresh: DemoEnvironment,
) -> None:
    _later_ledger(fresh)
    adapter = build_adapter(
        "zeitstrom",
        AdapterConfig(
            system="zeitstrom",
            base_url=fresh.base_urls["zeitstrom"],
            credentials={"token": Secret(TOKENS["zeitstrom"])},
        ),
    )
    as_of = date.fromisoformat(on(fresh, 6, 15))
    p0, p1, p2 = (person(fresh, i).ids["zeitstrom"] for i in range(3))
    try:
        balances = await adapter.read_balances([p0, p1, p2], ["holiday"], as_of)
    finally:
        await adapter.aclose()
    found = {b.employee.id: b for b in balances}
    first = found[p0]
    # Next year's 30 and the late correction are not in effect; the summer holiday is planned.
    figures = (first.entitled, first.used, first.remaining, first.pending, first.available)
    assert figures == tuple(Decimal(n) for n in (25, 3, 22, 4, 18))
    assert first.as_of == as_of
    # Person 2: every rule credit and absence of the dataset is on 1 January; the 120 small
    # absences after mid-June are planned, read across two pages of the ledger.
    zeitstrom = state(fresh, "zeitstrom")
    assert found[p2].remaining == net_as_of(zeitstrom["transactions"], p2, "holiday", str(as_of))
    assert found[p2].pending == Decimal("6.00")
    # Person 1 has nothing after mid-June: the aggregate answers, nothing is pending.
    assert found[p1].remaining == net_as_of(zeitstrom["transactions"], p1, "holiday", str(as_of))
    assert found[p1].pending == 0


def test_plan_json_carries_the_ledger_figures_as_of_the_date_and_sync_imports_them(
    fresh: DemoEnvironment, tmp_path: Path
) -> None:
    _later_ledger(fresh)
    as_of = on(fresh, 6, 15)
    syncs = f"""
[[syncs]]
name = "ledger-remaining"
source = "zeitstrom"
target = "bezala"
types = [{{ source = "holiday", target = "vacation", kind = "vacation" }}]
as_of = "{as_of}"

[[syncs]]
name = "ledger-available"
source = "zeitstrom"
target = "kenjo"
types = [{{ source = "holiday", target = "{KENJO_VACATION}", kind = "vacation" }}]
figure = "available"
as_of = "{as_of}"
"""
    path = fresh.write_config(tmp_path, syncs, SETTINGS_TOML)
    p0 = person(fresh, 0)
    code, plan = cli(path, "plan")
    assert code == 0
    remaining = row_for(rows_of(plan, "ledger-remaining"), p0.ids["zeitstrom"], "holiday")
    # Remaining leaves the planned 4 days out: a target that subtracts planned time itself
    # (Kenjo) must not have them subtracted twice. Available subtracts them.
    assert amount(remaining["source_value"]) == days("22")
    assert remaining["source_as_of"] == as_of
    assert remaining["source_as_of_basis"] == "date"
    assert remaining["source_age_days"] == 0
    assert amount(remaining["target_after"]) == days("22")
    available = row_for(rows_of(plan, "ledger-available"), p0.ids["zeitstrom"], "holiday")
    assert amount(available["source_value"]) == days("18")

    code, synced = cli(path, "sync", "--sync", "ledger-remaining", "--yes")
    assert code == 0, synced
    row = row_for(rows_of(synced, "ledger-remaining"), p0.ids["zeitstrom"], "holiday")
    assert (row["status"], row["verified"]) == ("applied", True)
    imports = [
        b
        for b in state(fresh, "bezala")["time_balances"]
        if b["user_id"] == int(p0.ids["bezala"]) and b["creator_id"] == BEZALA_GATEWAY_USER
    ]
    assert [(b["balance_type"], b["date"], Decimal(str(b["value"]))) for b in imports] == [
        ("vacation", as_of, Decimal(22))
    ]


def test_a_credit_reaches_the_balance_as_of_the_date_whatever_is_dated_later(
    fresh: DemoEnvironment, tmp_path: Path
) -> None:
    as_of = on(fresh, 6, 15)
    p0 = person(fresh, 0)
    zeitstrom = state(fresh, "zeitstrom")
    zeitstrom["transactions"] = [
        tx
        for tx in zeitstrom["transactions"]
        if not (tx["employee_id"] == p0.ids["zeitstrom"] and tx["missing_type"] == "sick")
    ] + [
        _tx(p0.ids["zeitstrom"], "sick", on(fresh, 3, 1), "2", "manual", "HR grant"),
        _tx(p0.ids["zeitstrom"], "sick", on(fresh, 9, 1), "1", "absence", "Planned surgery"),
        _tx(
            p0.ids["zeitstrom"],
            "sick",
            on(fresh, 1, 1, years_later=1),
            "10",
            "repeating-rule",
            "Next",
        ),
    ]
    put_state(fresh, "zeitstrom", zeitstrom)
    syncs = f"""
[[syncs]]
name = "hr-to-ledger"
source = "companyflow"
target = "zeitstrom"
types = [{{ source = "{CF_ANNUAL}", target = "sick", kind = "vacation" }}]
as_of = "{as_of}"
"""
    path = fresh.write_config(tmp_path, syncs, SETTINGS_TOML)
    code, plan = cli(path, "plan")
    assert code == 0
    row = row_for(rows_of(plan, "hr-to-ledger"), p0.ids["companyflow"], CF_ANNUAL)
    record = next(
        b
        for b in state(fresh, "companyflow")["balances"]
        if b["employee_id"] == p0.ids["companyflow"] and b["leave_type_id"] == CF_ANNUAL
    )
    expected = 25 + Decimal(str(record["carried_forward_days"])) - Decimal(str(record["used_days"]))
    assert amount(row["target_now"]) == days("2")  # as of mid-June: the grant only
    assert row["operation"] == "credit"
    # CompanyFlow answers per year: said on the row.
    assert row["source_as_of"] == as_of
    assert row["source_as_of_basis"] == "period"
    assert f"answers per period, not per date: the figures of year {year(fresh)}" in row["note"]

    code, synced = cli(path, "sync", "--yes")
    assert code == 0, synced
    row = row_for(rows_of(synced, "hr-to-ledger"), p0.ids["companyflow"], CF_ANNUAL)
    assert (row["status"], row["verified"]) == ("applied", True)
    after = state(fresh, "zeitstrom")["transactions"]
    assert net_as_of(after, p0.ids["zeitstrom"], "sick", as_of) == expected
    ours = [
        tx
        for tx in after
        if tx["employee_id"] == p0.ids["zeitstrom"]
        and tx["missing_type"] == "sick"
        and tx["label"].startswith("balance-gateway ")
    ]
    assert [(tx["date"], Decimal(str(tx["amount"]))) for tx in ours] == [(as_of, expected - 2)]

    code, again = cli(path, "sync", "--yes")
    assert code == 0
    assert {r["operation"] for r in rows_of(again, "hr-to-ledger")} <= {"skip", "unmapped"}
    assert state(fresh, "zeitstrom")["transactions"] == after  # no second credit


# -- Bezala: imports on both sides of as_of ---------------------------------------------------


def _imports_around(env: DemoEnvironment) -> DemoPerson:
    """Person 0's imports: vacation 4 (31 March) and 9 (30 September), work time 120 min
    (31 May), all by HR."""
    p0 = person(env, 0)
    bezala = state(env, "bezala")
    records = [b for b in bezala["time_balances"] if b["user_id"] != int(p0.ids["bezala"])]
    for offset, (kind, day, value) in enumerate(
        [
            ("vacation", on(env, 3, 31), 4),
            ("vacation", on(env, 9, 30), 9),
            ("work_time", on(env, 5, 31), 120),
        ]
    ):
        records.append(
            {
                "id": 9000 + offset,
                "user_id": int(p0.ids["bezala"]),
                "balance_type": kind,
                "date": day,
                "value": value,
                "creator_id": 7,
                "creator_name": "HR Admin",
            }
        )
    bezala["time_balances"] = records
    bezala["next_id"] = 9100
    put_state(env, "bezala", bezala)
    return p0


def _bezala_syncs(as_of: str, extra: str = "") -> str:
    return f"""
[[syncs]]
name = "imports-to-hours"
source = "bezala"
target = "journyx"
types = [
  {{ source = "vacation", target = "Vacation", kind = "vacation" }},
  {{ source = "work_time", target = "Time Bank", kind = "work_time" }},
]
rounding = {{ step = "0.01", mode = "half_even" }}
as_of = "{as_of}"
{extra}
"""


@pytest.mark.parametrize(
    ("month", "day", "vacation", "dated", "age"),
    [
        (6, 30, "4", (3, 31), 91),  # the later import (30 September) is ignored
        (3, 31, "4", (3, 31), 0),  # an import counts at the end of its own day
        (10, 1, "9", (9, 30), 1),  # the latest import, answered by `latest`
    ],
)
def test_the_bezala_figure_is_the_latest_import_on_or_before_as_of(
    fresh: DemoEnvironment,
    tmp_path: Path,
    month: int,
    day: int,
    vacation: str,
    dated: tuple[int, int],
    age: int,
) -> None:
    p0 = _imports_around(fresh)
    as_of = on(fresh, month, day)
    code, plan = cli(fresh.write_config(tmp_path, _bezala_syncs(as_of), SETTINGS_TOML), "plan")
    assert code == 0
    row = row_for(rows_of(plan, "imports-to-hours"), p0.ids["bezala"], "vacation")
    assert amount(row["source_value"]) == days(vacation)
    assert row["source_as_of"] == on(fresh, *dated)
    assert row["source_as_of_basis"] == "date"
    assert row["source_age_days"] == age
    hours = Decimal(vacation) * p0.hours_per_day
    assert Decimal(row["target_after"]["value"]) == hours
    if age:
        assert f"figure is dated {on(fresh, *dated)}, {age} day" in row["note"]


def test_before_the_first_import_there_is_no_bezala_balance(
    fresh: DemoEnvironment, tmp_path: Path
) -> None:
    p0 = _imports_around(fresh)
    path = fresh.write_config(tmp_path, _bezala_syncs(on(fresh, 3, 30)), SETTINGS_TOML)
    code, plan = cli(path, "plan")
    assert code == 0
    row = row_for(rows_of(plan, "imports-to-hours"), p0.ids["bezala"], "vacation")
    assert row["operation"] == "skip"
    assert row["source_value"] is None
    assert row["source_as_of"] is None
    assert "bezala has no balance of type vacation" in row["note"]


def test_max_source_age_blocks_a_stale_import_and_says_why(
    fresh: DemoEnvironment, tmp_path: Path
) -> None:
    p0 = _imports_around(fresh)
    syncs = _bezala_syncs(on(fresh, 6, 30), 'max_source_age = "45 days"')
    path = fresh.write_config(tmp_path, syncs, SETTINGS_TOML)
    code, plan = cli(path, "plan")
    assert code == 0  # a plan only fails when a sync cannot be planned at all
    rows = rows_of(plan, "imports-to-hours")
    vacation = row_for(rows, p0.ids["bezala"], "vacation")
    assert vacation["operation"] == "blocked"
    assert vacation["source_age_days"] == 91
    assert (
        f"the bezala figure is dated {on(fresh, 3, 31)}, 91 days before {on(fresh, 6, 30)}: "
        "older than max_source_age (45 days)" in vacation["note"]
    )
    work_time = row_for(rows, p0.ids["bezala"], "work_time")  # 30 days old: carried
    assert work_time["operation"] == "set"
    assert amount(work_time["target_after"]) == (Decimal(2), "hours")

    code, synced = cli(path, "sync", "--yes")
    assert code == 1  # a blocked row fails the run
    rows = rows_of(synced, "imports-to-hours")
    assert row_for(rows, p0.ids["bezala"], "vacation")["status"] == "blocked"
    assert row_for(rows, p0.ids["bezala"], "work_time")["status"] == "applied"
    accruals = state(fresh, "journyx")["accruals"].values()
    vacation_hours = next(
        a["hours_left"]
        for a in accruals
        if a["id_user"] == p0.ids["journyx"] and a["pname"] == "Vacation"
    )
    original = next(
        a["hours_left"]
        for a in fresh.dataset.states["journyx"]["accruals"].values()
        if a["id_user"] == p0.ids["journyx"] and a["pname"] == "Vacation"
    )
    assert vacation_hours == original  # nothing written for the stale figure


# -- Journyx: only the current figure ---------------------------------------------------------


JOURNYX_SYNC = """
[[syncs]]
name = "bank-to-ledger"
source = "journyx"
target = "zeitstrom"
types = [{{ source = "Sick", target = "sick", kind = "sick" }}]
rounding = {{ step = "0.01", mode = "half_even" }}
as_of = "{as_of}"
"""


def test_a_journyx_figure_for_a_past_date_is_said_to_be_the_current_one(
    fresh: DemoEnvironment, tmp_path: Path
) -> None:
    past = date(year(fresh) - 1, 12, 31).isoformat()
    path = fresh.write_config(tmp_path, JOURNYX_SYNC.format(as_of=past), SETTINGS_TOML)
    code, plan = cli(path, "plan")
    today = datetime.now(UTC).date()
    assert code == 0
    p0 = person(fresh, 0)
    assert "journyx" in p0.ids
    row = row_for(rows_of(plan, "bank-to-ledger"), p0.ids["journyx"], "Sick")
    accrual = next(
        a
        for a in state(fresh, "journyx")["accruals"].values()
        if a["id_user"] == p0.ids["journyx"] and a["pname"] == "Sick"
    )
    assert Decimal(row["source_value"]["value"]) == Decimal(str(accrual["hours_left"]))
    assert row["source_as_of"] == today.isoformat()
    assert row["source_as_of_basis"] == "current"
    assert row["source_age_days"] == (date.fromisoformat(past) - today).days
    assert (
        f"journyx keeps no date on this figure: it is the current one (read {today}), "
        f"not as of {past}" in row["note"]
    )

    path = fresh.write_config(tmp_path, JOURNYX_SYNC.format(as_of=today), SETTINGS_TOML)
    code, plan = cli(path, "plan")
    row = row_for(rows_of(plan, "bank-to-ledger"), p0.ids["journyx"], "Sick")
    assert (row["source_as_of_basis"], row["source_age_days"]) == ("current", 0)
    assert "keeps no date" not in row["note"]
