"""A sync against a rate-limited vendor rides the limit out, over real HTTP.

240 people, CompanyFlow -> Zeitstrom (credits, the write that must never happen twice). The
Zeitstrom emulator runs a token bucket of 20 requests/s and answers the rest 429 with
Retry-After; the config says 100 requests/s, five times the limit. The sync must end with
every balance right, no credit twice, exit 0, and a report counting the 429s it rode out.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer import Typer
from typer.testing import CliRunner

from balance_gateway.adapters.companyflow.demo import CF_ANNUAL
from balance_gateway.gateway import cli_sync
from balance_gateway.gateway.demo import ENV, SETTINGS_TOML, DemoEnvironment

# About one request per person since the writes share their ledger reads (issue 16): enough
# people that the sync lasts the rounds it takes the rate to come down to the limit.
PEOPLE = 240
VENDOR_LIMIT = 20  # requests per second the emulator's token bucket allows
CONFIGURED = 5 * VENDOR_LIMIT
SYNC = f"""
[[syncs]]
name = "hr-to-ledger"
source = "companyflow"
target = "zeitstrom"
types = [{{ source = "{CF_ANNUAL}", target = "sick", kind = "vacation" }}]
"""
ZEITSTROM_SYSTEM = 'credentials = { token = "DEMO_ZEITSTROM_TOKEN" }\nrequests_per_second = 2000\n'


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoEnvironment]:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    with DemoEnvironment(tmp_path / "demo", people=PEOPLE, seed=13) as demo:
        yield demo


def state(env: DemoEnvironment, vendor: str) -> dict[str, Any]:
    response = httpx.get(f"{env.base_urls[vendor]}/_emulator/state", timeout=10)
    response.raise_for_status()
    return dict(response.json()["tenants"]["default"])


def faults(env: DemoEnvironment, vendor: str) -> dict[str, Any]:
    response = httpx.get(f"{env.base_urls[vendor]}/_emulator/faults", timeout=10)
    response.raise_for_status()
    return dict(response.json())


def sync(path: Path) -> tuple[int, dict[str, Any]]:
    app = Typer()
    cli_sync.register(app)
    result = CliRunner().invoke(app, ["sync", "--config", str(path), "--yes", "--json"])
    assert result.output.lstrip().startswith("{"), result.output
    return result.exit_code, json.loads(result.output)


def expected_and_net(env: DemoEnvironment) -> list[tuple[Decimal, Decimal]]:
    """Per person: CompanyFlow's remaining annual leave, and Zeitstrom's sick-leave net."""
    balances = state(env, "companyflow")["balances"]
    transactions = state(env, "zeitstrom")["transactions"]
    found = []
    for person in env.dataset.people:
        record = next(
            b
            for b in balances
            if b["employee_id"] == person.ids["companyflow"] and b["leave_type_id"] == CF_ANNUAL
        )
        expected = (
            25 + Decimal(str(record["carried_forward_days"])) - Decimal(str(record["used_days"]))
        )
        net = sum(
            (
                Decimal(str(tx["amount"])) * (-1 if tx["source"] == "absence" else 1)
                for tx in transactions
                if tx["employee_id"] == person.ids["zeitstrom"] and tx["missing_type"] == "sick"
            ),
            Decimal(0),
        )
        found.append((expected, net))
    return found


def test_a_sync_at_five_times_the_vendor_limit_rides_it_out(
    env: DemoEnvironment, tmp_path: Path
) -> None:
    path = env.write_config(tmp_path / "run", SYNC, SETTINGS_TOML)
    text = path.read_text()
    assert ZEITSTROM_SYSTEM in text
    path.write_text(
        text.replace(
            ZEITSTROM_SYSTEM,
            'credentials = { token = "DEMO_ZEITSTROM_TOKEN" }\n'
            f"requests_per_second = {CONFIGURED}\n"
            "retry = { max_total_seconds = 120 }\n",
        )
    )
    httpx.put(
        f"{env.base_urls['zeitstrom']}/_emulator/faults",
        json={"rate_limit": VENDOR_LIMIT},
        timeout=10,
    ).raise_for_status()
    assert any(expected != net for expected, net in expected_and_net(env))

    code, report = sync(path)

    assert code == 0, json.dumps(report["summary"])
    (run,) = report["syncs"]
    assert run["error"] is None
    people = [r for r in run["rows"] if r["target_employee"] is not None]
    assert len(people) == PEOPLE
    assert sum(1 for r in people if r["status"] == "applied") > PEOPLE / 2
    assert {r["status"] for r in run["rows"]} <= {"applied", "skipped"}
    assert all(r["verified"] is not False for r in run["rows"])
    for expected, net in expected_and_net(env):
        assert net == expected
    labels = Counter(
        tx["label"]
        for tx in state(env, "zeitstrom")["transactions"]
        if tx["label"].startswith("balance-gateway ")
    )
    assert max(labels.values()) == 1  # no credit twice

    # The report shows the limit was hit, and ridden out: each 429 the emulator sent is
    # counted, and each was followed by a retry.
    limited = faults(env, "zeitstrom")["counts"]["rate_limited"]
    (zeitstrom,) = [s for s in report["systems"] if s["system"] == "zeitstrom"]
    assert zeitstrom["rate_limited"] == limited > 0
    assert zeitstrom["retries"] >= zeitstrom["rate_limited"]
    assert zeitstrom["requests_per_second"]["configured"] == CONFIGURED
    assert zeitstrom["requests_per_second"]["lowest"] <= VENDOR_LIMIT
    # The rate converged: far fewer refusals than requests served (a budget five times the
    # limit that did not adapt would have most of its requests refused).
    served = zeitstrom["requests"] - zeitstrom["rate_limited"]
    assert zeitstrom["rate_limited"] * 4 < served

    # Run again: every balance is already right, nothing is written.
    transactions = state(env, "zeitstrom")["transactions"]
    code, again = sync(path)
    assert code == 0
    assert {r["status"] for r in again["syncs"][0]["rows"]} == {"skipped"}
    assert state(env, "zeitstrom")["transactions"] == transactions
