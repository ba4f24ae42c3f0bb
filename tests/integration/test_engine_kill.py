"""A `balance-gateway sync` killed with SIGKILL in the middle of writing to a ledger, then run
again: the target ends exactly as planned, and no transaction is duplicated.

The pair is a read-only source and a ledger target from the registry, with the leave types
the engine pair tests sync between them; what their admin states hold is their facts
(`tests/adapters/<vendor>/facts.py`: the source's `DEMO_REMAINING`, the target's `LEDGER`)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import astuple
from pathlib import Path
from typing import Any

import httpx

from balance_gateway.gateway.demo import ENV, SETTINGS_TOML, DemoEnvironment
from tests.adapters.vendor_facts import LedgerRecords, Remaining, facts
from tests.stress._vendors import ledger_pair

ROOT = Path(__file__).resolve().parents[2]
PEOPLE = 40
PAIR = ledger_pair()  # a read-only source and a ledger target, from the registry
SOURCE, TARGET, SOURCE_TYPE, TARGET_TYPE = astuple(PAIR)
SYNC = PAIR.sync_toml()
LEDGER = facts(TARGET, "LEDGER", LedgerRecords)


def _state(env: DemoEnvironment, vendor: str) -> dict[str, Any]:
    response = httpx.get(f"{env.base_urls[vendor]}/_emulator/state", timeout=10)
    response.raise_for_status()
    return dict(response.json()["tenants"]["default"])


def _ours(state: dict[str, Any]) -> list[dict[str, Any]]:
    """Transactions this test's runs created."""
    return [tx for tx in LEDGER.records(state) if LEDGER.ours(tx)]


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
            f"{env.base_urls[TARGET]}/_emulator/faults",
            json={"latency_ms": 150, "methods": ["POST", "PUT", "DELETE"]},
        ).raise_for_status()
        others = [tx for tx in LEDGER.records(_state(env, TARGET)) if not LEDGER.ours(tx)]

        first = _sync(config)
        deadline = time.monotonic() + 120
        while len(_ours(_state(env, TARGET))) < 5:
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the sync wrote nothing in time"
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)  # reaps it and closes its pipes
        assert first.returncode == -signal.SIGKILL
        written_at_kill = len(_ours(_state(env, TARGET)))
        assert written_at_kill < PEOPLE, "the kill came too late to be mid-write"

        httpx.put(f"{env.base_urls[TARGET]}/_emulator/faults", json={}).raise_for_status()
        second = _sync(config)
        out, err = second.communicate(timeout=120)
        assert second.returncode == 0, err + out
        report = json.loads(out)
        # The operations the kill left without an outcome were resolved by reading the target.
        assert report["resolutions"], "no intent was left open by the kill"
        assert all(r["now"] in ("applied", "not_applied") for r in report["resolutions"])

        # Exactly as planned: every person's balance is their remaining days at the source.
        source = _state(env, SOURCE)
        target = _state(env, TARGET)
        remaining = facts(SOURCE, "DEMO_REMAINING", Remaining)
        for person in env.dataset.people:
            expected = remaining.of(source, person.ids[SOURCE], SOURCE_TYPE)
            net = LEDGER.net(target, person.ids[TARGET], TARGET_TYPE)
            assert net == expected, person

        # No transaction duplicated: one label per operation, and nobody else's touched.
        labels = Counter(LEDGER.label(tx) for tx in _ours(target))
        assert all(count == 1 for count in labels.values()), labels
        remaining_others = {LEDGER.key(tx): tx for tx in LEDGER.records(target)}
        for tx in others:
            if not LEDGER.label(tx).startswith("balance-gateway "):
                assert remaining_others[LEDGER.key(tx)] == tx

        # And once more: nothing left to write.
        third = _sync(config)
        out, err = third.communicate(timeout=120)
        assert third.returncode == 0, err
        assert json.loads(out)["summary"].get("applied", 0) == 0
