"""A `balance-gateway sync` stopped by SIGTERM ends like one stopped by Ctrl-C (issue 14, item
6): the run is recorded as interrupted, the lock is released, and the writes in flight are
resolved by the next run, which leaves the target exactly as planned (no double credit).
SIGTERM used to kill the process outright, leaving the run `running` for ever."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import astuple
from pathlib import Path
from typing import Any

import httpx

from balance_gateway.gateway.demo import ENV, SETTINGS_TOML, DemoEnvironment
from tests.adapters.vendor_facts import OurWrites, facts
from tests.stress._vendors import ledger_pair

ROOT = Path(__file__).resolve().parents[2]
PEOPLE = 24
# A read-only source, and a ledger target (a credit is not idempotent: one made twice would
# show), with the leave types the engine pair tests sync between them.
PAIR = ledger_pair()  # a read-only source and a ledger target, from the registry
SOURCE, TARGET, SOURCE_TYPE, TARGET_TYPE = astuple(PAIR)
SYNC = PAIR.sync_toml()


def _state(env: DemoEnvironment, vendor: str) -> dict[str, Any]:
    response = httpx.get(f"{env.base_urls[vendor]}/_emulator/state", timeout=10)
    response.raise_for_status()
    return dict(response.json()["tenants"]["default"])


def _ours(env: DemoEnvironment) -> list[str]:
    """The labels of the target's writes of ours."""
    return facts(TARGET, "OUR_WRITES", OurWrites).labels(_state(env, TARGET))


def _cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from balance_gateway.gateway.cli import main; main()", *args],
        cwd=ROOT,
        env={**os.environ, **ENV},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sigterm_mid_write_ends_like_ctrl_c_and_the_next_run_resolves(tmp_path: Path) -> None:
    with DemoEnvironment(tmp_path / "demo", people=PEOPLE, seed=11) as env:
        settings = SETTINGS_TOML.replace("max_in_flight = 32", "max_in_flight = 2")
        config = env.write_config(tmp_path / "run", SYNC, settings)
        state = tmp_path / "run" / "balance-gateway.sqlite3"
        httpx.put(
            f"{env.base_urls[TARGET]}/_emulator/faults",
            json={"latency_ms": 200, "methods": ["POST", "PUT", "DELETE"]},
        ).raise_for_status()

        first = _cli("sync", "--config", str(config), "--yes", "--json")
        deadline = time.monotonic() + 120
        while len(_ours(env)) < 3:
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the sync wrote nothing in time"
            time.sleep(0.05)
        first.send_signal(signal.SIGTERM)
        out, err = first.communicate(timeout=60)
        # As after Ctrl-C (130), not killed by the signal (-15).
        assert first.returncode == 130, (first.returncode, err)
        assert "interrupted" in err
        assert len(_ours(env)) < PEOPLE, "SIGTERM came too late to be mid-write"

        db = sqlite3.connect(state)
        try:
            ((status, message),) = db.execute("SELECT status, message FROM runs").fetchall()
        finally:
            db.close()
        assert status == "interrupted", message
        shown = _cli("runs", "--config", str(config), "--json")
        runs_out, _ = shown.communicate(timeout=60)
        assert json.loads(runs_out)["runs"][0]["status"] == "interrupted"

        httpx.put(f"{env.base_urls[TARGET]}/_emulator/faults", json={}).raise_for_status()
        second = _cli("sync", "--config", str(config), "--yes", "--json")
        out, err = second.communicate(timeout=120)
        assert second.returncode == 0, err + out
        labels = Counter(_ours(env))
        assert all(count == 1 for count in labels.values()), labels
        third = _cli("sync", "--config", str(config), "--yes", "--json")
        out, err = third.communicate(timeout=120)
        assert third.returncode == 0, err
        assert json.loads(out)["summary"].get("applied", 0) == 0
