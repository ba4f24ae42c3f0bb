"""Syncs at the same time, over real HTTP to the emulators.

- Two `balance-gateway sync` processes at once on one state store: exactly one proceeds, the
  other exits 2 at once naming the state file; the target (a ledger) ends exactly as planned,
  with no credit label twice. `plan` and `runs` keep working while the run holds the lock.
- The demo's four syncs in one run (some feed others): a second run writes nothing.
- Ctrl-C at the confirmation prompt: the run is recorded `stopped`, nothing written.

The pair is a read-only source and a ledger target from the registry, with the leave types
the engine pair tests sync between them; what their admin states hold is their facts
(`tests/adapters/<vendor>/facts.py`: the source's `DEMO_REMAINING`, the target's `LEDGER`)."""

from __future__ import annotations

import asyncio
import json
import os
import pty
import select
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import astuple
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from balance_gateway.gateway.demo import ENV, SCENARIO, SETTINGS_TOML, DemoEnvironment
from balance_gateway.gateway.runner import run_sync
from tests.adapters.vendor_facts import LedgerRecords, Remaining, facts
from tests.stress._vendors import ledger_pair

ROOT = Path(__file__).resolve().parents[2]
CLI = (sys.executable, "-c", "from balance_gateway.gateway.cli import main; main()")
PEOPLE = 10
PAIR = ledger_pair()  # a read-only source and a ledger target, from the registry
SOURCE, TARGET, SOURCE_TYPE, TARGET_TYPE = astuple(PAIR)
SYNC = PAIR.sync_toml()
LEDGER = facts(TARGET, "LEDGER", LedgerRecords)


def _state(env: DemoEnvironment, vendor: str) -> dict[str, Any]:
    response = httpx.get(f"{env.base_urls[vendor]}/_emulator/state", timeout=10)
    response.raise_for_status()
    return dict(response.json()["tenants"]["default"])


def _cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CLI, *args],
        cwd=ROOT,
        env={**os.environ, **ENV, "COLUMNS": "240"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _running_runs(state: Path) -> int:
    if not state.exists():
        return 0
    db = sqlite3.connect(f"file:{state}?mode=ro", uri=True)
    try:
        return int(db.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()[0])
    except sqlite3.OperationalError:  # the schema is not there yet
        return 0
    finally:
        db.close()


def _expected_and_net(env: DemoEnvironment) -> list[tuple[str, Decimal, Decimal]]:
    source = _state(env, SOURCE)
    target = _state(env, TARGET)
    remaining = facts(SOURCE, "DEMO_REMAINING", Remaining)
    found = []
    for person in env.dataset.people:
        expected = remaining.of(source, person.ids[SOURCE], SOURCE_TYPE)
        net = LEDGER.net(target, person.ids[TARGET], TARGET_TYPE)
        found.append((person.ids[TARGET], expected, net))
    return found


def test_two_concurrent_syncs_one_proceeds_the_other_exits_2(tmp_path: Path) -> None:
    with DemoEnvironment(tmp_path / "demo", people=PEOPLE, seed=11) as env:
        # One write at a time, each slow: the first run holds the lock for about 15 s, long
        # enough for the other processes to start and finish on a loaded machine (at 0.8 s a
        # write, three CLIs starting under load sometimes outlasted it).
        settings = SETTINGS_TOML.replace("max_in_flight = 32", "max_in_flight = 1")
        config = env.write_config(tmp_path / "run", SYNC, settings)
        state = tmp_path / "run" / "balance-gateway.sqlite3"
        httpx.put(
            f"{env.base_urls[TARGET]}/_emulator/faults",
            json={"latency_ms": 1500, "methods": ["POST"]},
        ).raise_for_status()
        sync = ("sync", "--config", str(config), "--yes", "--json")

        first = _cli(*sync)
        deadline = time.monotonic() + 60
        while _running_runs(state) == 0:
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the first sync never started its run"
            time.sleep(0.05)
        # The first run is under way (resolving, planning or writing) and holds the lock.
        second = _cli(*sync)
        reader_plan = _cli("plan", "--config", str(config), "--json")
        reader_runs = _cli("runs", "--config", str(config), "--json")
        try:
            out2, err2 = second.communicate(timeout=60)
            plan_out, plan_err = reader_plan.communicate(timeout=60)
            runs_out, runs_err = reader_runs.communicate(timeout=60)
            overlapped = first.poll() is None
            out1, err1 = first.communicate(timeout=120)
        finally:
            for process in (first, second, reader_plan, reader_runs):
                if process.poll() is None:
                    process.kill()
                    process.communicate()
        assert first.returncode == 0, err1 + out1
        assert second.returncode == 2, err2 + out2
        message = " ".join(err2.split())  # rich wraps long lines
        assert "another balance-gateway run is using the state store" in message
        assert str(state) in "".join(err2.split())  # the state file, named
        # With --json, stdout holds the error as an object (issue 14, item 7), never a report.
        refused = json.loads(out2)
        assert refused["exit_code"] == 2
        assert "another balance-gateway run" in refused["error"]["message"]
        assert "syncs" not in refused
        for secret in ENV.values():
            assert secret not in err2
            assert secret not in out2

        # Readers are not locked out while the run holds the lock.
        assert reader_plan.returncode == 0, plan_err + plan_out
        assert json.loads(plan_out)["syncs"][0]["name"] == PAIR.name
        assert reader_runs.returncode == 0, runs_err + runs_out
        assert any(r["status"] == "running" for r in json.loads(runs_out)["runs"])

        # Exactly as planned, and no credit label twice.
        mismatches = [(who, e, n) for who, e, n in _expected_and_net(env) if e != n]
        assert mismatches == []
        labels = Counter(
            LEDGER.label(tx) for tx in LEDGER.records(_state(env, TARGET)) if LEDGER.ours(tx)
        )
        assert labels, "the run credited nothing"
        assert max(labels.values()) == 1
        # The second process was refused while the first still ran (not merely after it).
        assert overlapped, "the first run ended before the others were checked"

        # One run in the journal (the refused one never started one), and it is done.
        db = sqlite3.connect(state)
        try:
            runs = db.execute("SELECT status FROM runs").fetchall()
        finally:
            db.close()
        assert runs == [("succeeded",)]

        # The lock was released: a next run proceeds and has nothing to write.
        httpx.put(f"{env.base_urls[TARGET]}/_emulator/faults", json={}).raise_for_status()
        third = _cli(*sync)
        out3, err3 = third.communicate(timeout=120)
        assert third.returncode == 0, err3 + out3
        assert json.loads(out3)["summary"].get("applied", 0) == 0


def test_demo_syncs_run_together_twice_second_run_writes_nothing(tmp_path: Path) -> None:
    """The demo's four syncs in one `run_sync`: one reads what another writes, so it runs in a
    later wave, and a second run has nothing to write."""
    feeds, fed = next((a, b) for a in SCENARIO for b in SCENARIO if a.target == b.source)
    with DemoEnvironment(tmp_path / "demo", people=30, seed=8) as env:
        config = env.load_config()
        first = asyncio.run(run_sync(config))
        assert first.exit_code == 0
        applied = Counter(r.row.sync for r in first.results if r.status.value == "applied")
        assert applied[feeds.name] > 0
        assert applied[fed.name] > 0

        second = asyncio.run(run_sync(config))
        assert second.exit_code == 0
        assert [r for r in second.results if r.row.writes] == []
        assert second.summary.get("applied", 0) == 0


def _read_until(fd: int, marker: bytes, seconds: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + seconds
    while marker not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:  # the other end closed
                break
    return seen


@pytest.mark.skipif(sys.platform == "win32", reason="a pseudo-terminal is POSIX only")
def test_ctrl_c_at_the_confirmation_prompt_stops_the_run_with_nothing_written(
    tmp_path: Path,
) -> None:
    with DemoEnvironment(tmp_path / "demo", people=5, seed=11) as env:
        config = env.write_config(tmp_path / "run", SYNC, SETTINGS_TOML)
        state = tmp_path / "run" / "balance-gateway.sqlite3"
        before = LEDGER.records(_state(env, TARGET))
        controller, terminal = pty.openpty()
        process = subprocess.Popen(
            [*CLI, "sync", "--config", str(config)],
            cwd=ROOT,
            env={**os.environ, **ENV, "COLUMNS": "240"},
            stdin=terminal,
            stdout=terminal,
            stderr=terminal,
        )
        os.close(terminal)
        interrupts = 0
        try:
            shown = _read_until(controller, b"Apply", 60)
            assert b"Apply" in shown, shown.decode(errors="replace")
            # One Ctrl-C at the prompt ends the run (a second one only if it did not).
            for _ in range(2):
                process.send_signal(signal.SIGINT)
                interrupts += 1
                # Generous: on a loaded machine the run may take a while to wind down.
                deadline = time.monotonic() + 20
                while process.poll() is None and time.monotonic() < deadline:
                    _read_until(controller, b"\0", 0.1)  # keep the terminal drained
                if process.poll() is not None:
                    break
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            os.close(controller)

        assert interrupts == 1, "the first Ctrl-C at the prompt did not end the run"
        assert process.returncode == 1  # click: "Aborted!"
        db = sqlite3.connect(state)
        try:
            runs = db.execute("SELECT status, message FROM runs").fetchall()
            writes = db.execute("SELECT count(*) FROM operations").fetchone()[0]
        finally:
            db.close()
        assert len(runs) == 1
        status, message = runs[0]
        assert status == "stopped", message
        assert "interrupted at the confirmation; nothing was written" in message
        assert writes == 0
        assert LEDGER.records(_state(env, TARGET)) == before
