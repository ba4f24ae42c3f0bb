"""A worker SIGKILLed (with its pool processes, as when its machine dies) in the middle of a
unit of writes to a ledger: Redis delivers the unit again once its visibility timeout passed,
another worker resolves the intents the dead one left (journalled in PostgreSQL) by reading
the ledger back, and the run ends exactly as planned: no double credit on the ledger, every
operation resolved.

The pair is a read-only source and a ledger target from the registry, with the leave types
the engine pair tests sync between them; what their admin states hold is their facts
(`tests/adapters/<vendor>/facts.py`: the source's `DEMO_REMAINING`, the target's `LEDGER`)."""

from __future__ import annotations

import json
import subprocess
import time
from collections import Counter
from dataclasses import astuple
from pathlib import Path
from typing import Any

from balance_gateway.gateway.demo import ENV
from tests.adapters.vendor_facts import LedgerRecords, Remaining, facts
from tests.distributed.conftest import StartEmulators, dataset, write_config
from tests.distributed.services import EmulatorProcess, cli
from tests.stress._vendors import ledger_pair

PEOPLE = 40
PAIR = ledger_pair()  # a read-only source and a ledger target, from the registry
SOURCE, TARGET, SOURCE_TYPE, TARGET_TYPE = astuple(PAIR)
SYNC = PAIR.sync_toml()
LEDGER = facts(TARGET, "LEDGER", LedgerRecords)


def _ours(ledger: EmulatorProcess) -> list[dict[str, Any]]:
    return [tx for tx in LEDGER.records(ledger.state()) if LEDGER.ours(tx)]


def _off_plan(data: Any, emulators: dict[str, EmulatorProcess]) -> list[str]:
    """The people whose balance in the target is not their remaining days at the source."""
    source = emulators[SOURCE].state()
    target = emulators[TARGET].state()
    remaining = facts(SOURCE, "DEMO_REMAINING", Remaining)
    off = []
    for person in data.people:
        expected = remaining.of(source, person.ids[SOURCE], SOURCE_TYPE)
        net = LEDGER.net(target, person.ids[TARGET], TARGET_TYPE)
        if net != expected:
            off.append(person.name)
    return off


def test_worker_killed_mid_unit_its_unit_redelivered_no_double_credit(
    tmp_path: Path,
    redis_url: str,
    state_stores: Any,
    start_emulators: StartEmulators,
    workers_for: Any,
) -> None:
    data = dataset(PEOPLE, seed=11)
    emulators = start_emulators(data, (SOURCE, TARGET))
    ledger = emulators[TARGET]
    config = write_config(
        tmp_path / "run",
        data,
        emulators,
        SYNC,
        redis_url=redis_url,
        state_url=state_stores(),
        batch_size=10,
        max_in_flight=2,
        visibility_timeout=3,
    )
    to_write = _off_plan(data, emulators)
    assert len(to_write) > PEOPLE // 2, "the data should give most people a write"
    # Slow writes, so that the kill lands while some are in flight.
    ledger.put("/_emulator/faults", {"latency_ms": 200, "methods": ["POST", "PUT", "DELETE"]})
    workers = workers_for(config)
    [first] = workers.start(1)
    coordinator = cli(
        "sync",
        "--config",
        str(config),
        "--yes",
        "--json",
        "--distributed",
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while len(_ours(ledger)) < 3:
            assert coordinator.poll() is None, coordinator.communicate()
            assert time.monotonic() < deadline, "no unit was written in time: " + workers.logs()
            time.sleep(0.05)
        workers.kill(first)
        written_at_kill = len(_ours(ledger))
        assert written_at_kill < PEOPLE, "the kill came too late to be mid-unit"

        ledger.put("/_emulator/faults", {})
        workers.start(1)
        out, err = coordinator.communicate(timeout=180)
    finally:
        if coordinator.poll() is None:
            coordinator.kill()
            coordinator.communicate()
    assert coordinator.returncode == 0, err + out
    report = json.loads(out)
    # One write per person whose balance differed (the generated data leaves some equal).
    assert report["summary"]["applied"] == len(to_write), report["summary"]

    # Exactly as planned: every person's balance is their remaining days at the source.
    assert _off_plan(data, emulators) == []
    # No double credit: at most one transaction of ours per person, one per label.
    ours = _ours(ledger)
    assert max(Counter(LEDGER.employee(tx) for tx in ours).values()) == 1
    assert max(Counter(LEDGER.label(tx) for tx in ours).values()) == 1

    # Every operation resolved, and the redelivered unit resolved the dead worker's intents
    # by reading the ledger back.
    shown = _json("runs", "show", "last", "--config", str(config))
    assert shown["run"]["status"] == "succeeded"
    statuses = Counter(op["status"] for op in shown["operations"])
    assert not statuses.keys() & {"intent", "unknown"}, statuses
    resolved = [op for op in shown["operations"] if "resolved by run" in op["note"]]
    assert resolved, "no intent was left open by the kill: " + workers.logs()
    assert _json("runs", "--config", str(config))["unresolved"] == []


def _json(*args: str) -> Any:
    process = cli(*args, "--json", env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    return json.loads(out)
