"""A `balance-gateway sync` killed with SIGKILL in the middle of writing to Zeitstrom, then run
again: the target ends exactly as planned, and no transaction is duplicated."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from balance_gateway.adapters.companyflow.demo import CF_ANNUAL
from balance_gateway.gateway.demo import ENV, SETTINGS_TOML, DemoEnvironment

ROOT = Path(__file__).resolve().parents[2]
PEOPLE = 40
SYNC = f"""\
[[syncs]]
name = "companyflow-to-zeitstrom"
source = "companyflow"
target = "zeitstrom"
types = [{{ source = "{CF_ANNUAL}", target = "sick", kind = "vacation" }}]
"""


def _state(env: DemoEnvironment, vendor: str) -> dict[str, Any]:
    response = httpx.get(f"{env.base_urls[vendor]}/_emulator/state", timeout=10)
    response.raise_for_status()
    return dict(response.json()["tenants"]["default"])


def _ours(transactions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Transactions this test's runs created (labels hold run ids, which start with the year)."""
    return [tx for tx in transactions if tx["label"].startswith("balance-gateway 2")]


def _sync(config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from balance_gateway.gateway.cli import main; main()",
            "sync",
            "--config",
            str(config),
            "--yes",
            "--json",
        ],
        cwd=ROOT,
        env={**os.environ, **ENV},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sigkill_mid_write_then_rerun_ends_exactly_as_planned(tmp_path: Path) -> None:
    with DemoEnvironment(tmp_path / "demo", people=PEOPLE, seed=11) as env:
        settings = SETTINGS_TOML.replace("max_in_flight = 32", "max_in_flight = 2")
        config = env.write_config(tmp_path / "run", SYNC, settings)
        # Slow writes, so that the kill lands while some are in flight.
        httpx.put(
            f"{env.base_urls['zeitstrom']}/_emulator/faults",
            json={"latency_ms": 150, "methods": ["POST", "PUT", "DELETE"]},
        ).raise_for_status()
        others = [
            tx
            for tx in _state(env, "zeitstrom")["transactions"]
            if not tx["label"].startswith("balance-gateway 2")
        ]

        first = _sync(config)
        deadline = time.monotonic() + 120
        while len(_ours(_state(env, "zeitstrom")["transactions"])) < 5:
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the sync wrote nothing in time"
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)  # reaps it and closes its pipes
        assert first.returncode == -signal.SIGKILL
        written_at_kill = len(_ours(_state(env, "zeitstrom")["transactions"]))
        assert written_at_kill < PEOPLE, "the kill came too late to be mid-write"

        httpx.put(f"{env.base_urls['zeitstrom']}/_emulator/faults", json={}).raise_for_status()
        second = _sync(config)
        out, err = second.communicate(timeout=120)
        assert second.returncode == 0, err + out
        report = json.loads(out)
        # The operations the kill left without an outcome were resolved by reading Zeitstrom.
        assert report["resolutions"], "no intent was left open by the kill"
        assert all(r["now"] in ("applied", "not_applied") for r in report["resolutions"])

        # Exactly as planned: every person's sick balance is their CompanyFlow remaining days.
        cf = _state(env, "companyflow")
        zeitstrom = _state(env, "zeitstrom")
        for person in env.dataset.people:
            record = next(
                b
                for b in cf["balances"]
                if b["employee_id"] == person.ids["companyflow"] and b["leave_type_id"] == CF_ANNUAL
            )
            expected = (
                25
                + Decimal(str(record["carried_forward_days"]))
                - Decimal(str(record["used_days"]))
            )
            net = sum(
                (
                    Decimal(str(tx["amount"])) * (-1 if tx["source"] == "absence" else 1)
                    for tx in zeitstrom["transactions"]
                    if tx["employee_id"] == person.ids["zeitstrom"] and tx["missing_type"] == "sick"
                ),
                Decimal(0),
            )
            assert net == expected, person

        # No transaction duplicated: one label per operation, and nobody else's touched.
        labels = Counter(tx["label"] for tx in _ours(zeitstrom["transactions"]))
        assert all(count == 1 for count in labels.values()), labels
        remaining_others = {tx["id"]: tx for tx in zeitstrom["transactions"]}
        for tx in others:
            if not tx["label"].startswith("balance-gateway "):
                assert remaining_others[tx["id"]] == tx

        # And once more: nothing left to write.
        third = _sync(config)
        out, err = third.communicate(timeout=120)
        assert third.returncode == 0, err
        assert json.loads(out)["summary"].get("applied", 0) == 0
