"""A worker SIGKILLed (with its pool processes, as when its machine dies) in the middle of a
unit of writes to Zeitstrom: Redis delivers the unit again once its visibility timeout passed,
another worker resolves the intents the dead one left (journalled in PostgreSQL) by reading
Zeitstrom back, and the run ends exactly as planned: no double credit on the ledger, every
operation resolved."""

from __future__ import annotations

import json
import subprocess
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from balance_gateway.adapters.companyflow.demo import CF_ANNUAL
from balance_gateway.gateway.demo import ENV
from tests.distributed.conftest import StartEmulators, dataset, write_config
from tests.distributed.services import EmulatorProcess, cli

PEOPLE = 40
SYNC = f"""\
[[syncs]]
name = "companyflow-to-zeitstrom"
source = "companyflow"
target = "zeitstrom"
types = [{{ source = "{CF_ANNUAL}", target = "sick", kind = "vacation" }}]
"""
LABEL = "balance-gateway 2"  # our transactions: the label holds the run id (year first)


def _ours(zeitstrom: EmulatorProcess) -> list[dict[str, Any]]:
    return [tx for tx in zeitstrom.state()["transactions"] if tx["label"].startswith(LABEL)]


def _off_plan(data: Any, emulators: dict[str, EmulatorProcess]) -> list[str]:
    """The people whose Zeitstrom sick balance is not their CompanyFlow remaining days."""
    cf = emulators["companyflow"].state()
    transactions = emulators["zeitstrom"].state()["transactions"]
    off = []
    for person in data.people:
        record = next(
            b
            for b in cf["balances"]
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
    emulators = start_emulators(data, ("companyflow", "zeitstrom"))
    zeitstrom = emulators["zeitstrom"]
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
    zeitstrom.put("/_emulator/faults", {"latency_ms": 200, "methods": ["POST", "PUT", "DELETE"]})
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
        while len(_ours(zeitstrom)) < 3:
            assert coordinator.poll() is None, coordinator.communicate()
            assert time.monotonic() < deadline, "no unit was written in time: " + workers.logs()
            time.sleep(0.05)
        workers.kill(first)
        written_at_kill = len(_ours(zeitstrom))
        assert written_at_kill < PEOPLE, "the kill came too late to be mid-unit"

        zeitstrom.put("/_emulator/faults", {})
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

    # Exactly as planned: every person's sick balance is their CompanyFlow remaining days.
    assert _off_plan(data, emulators) == []
    # No double credit: at most one transaction of ours per person, one per label.
    transactions = zeitstrom.state()["transactions"]
    ours = [tx for tx in transactions if tx["label"].startswith(LABEL)]
    assert max(Counter(tx["employee_id"] for tx in ours).values()) == 1
    assert max(Counter(tx["label"] for tx in ours).values()) == 1

    # Every operation resolved, and the redelivered unit resolved the dead worker's intents
    # by reading Zeitstrom back.
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
