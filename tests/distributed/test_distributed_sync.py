"""`sync --distributed` over 2 and 4 workers on PostgreSQL and Redis, against the five
emulators in their own processes: the same end state and the same journal operations as a
single-process `sync` of the same data (also on PostgreSQL), every unit applied by the workers
(waves included: one sync feeds another)."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from balance_gateway.gateway.demo import DEMO_SYNCS_TOML, ENV, SCENARIO
from tests.adapters.vendor_facts import EndState, facts, vendors_with
from tests.distributed.conftest import StartEmulators, dataset, write_config
from tests.distributed.services import EmulatorProcess, Workers, cli

PEOPLE = 30
# The demo's vendors, in the order its scenario names them.
VENDORS = tuple(dict.fromkeys(v for sync in SCENARIO for v in (sync.source, sync.target)))
# What a journal operation says about the balance, not which run or attempt wrote it.
OPERATION_FIELDS = (
    "sync",
    "source_system",
    "source_employee",
    "source_type",
    "source_value",
    "system",
    "employee",
    "leave_type",
    "operation",
    "status",
    "unit",
    "before",
    "after",
    "as_of",
    "verified",
)
PLAN_FIELDS = ("sync", "target_employee", "target_type", "target_now", "operation")


def _run(*args: str, timeout: float = 240) -> dict[str, Any]:
    process = cli(*args, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, f"{args[0]} exited {process.returncode}:\n{err}\n{out}"
    data: dict[str, Any] = json.loads(out)
    return data


def _operations(config: Path) -> list[tuple[Any, ...]]:
    shown = _run("runs", "show", "last", "--config", str(config), "--json")
    assert shown["run"]["status"] == "succeeded", shown["run"]
    return sorted(tuple(str(op[f]) for f in OPERATION_FIELDS) for op in shown["operations"])


def _plan_after(config: Path) -> list[tuple[Any, ...]]:
    """What the targets hold now, as a plan reads them (and what it would still write)."""
    plan = _run("plan", "--config", str(config), "--json")
    return sorted(
        tuple(json.dumps(row[f], sort_keys=True) for f in PLAN_FIELDS)
        for sync in plan["syncs"]
        for row in sync["rows"]
    )


def _end_states(emulators: dict[str, EmulatorProcess]) -> dict[str, Any]:
    """Each vendor's `END_STATE` (`tests/adapters/<vendor>/facts.py`), of its emulator's state."""
    return {
        vendor: facts(vendor, "END_STATE", EndState).of(emulators[vendor].state())
        for vendor in vendors_with("END_STATE")
        if vendor in emulators
    }


def _units_applied(workers: Workers) -> Counter[int]:
    """Units each worker (by its number) logged as applied."""
    counts: Counter[int] = Counter()
    for number in range(1, len(workers.processes) + 1):
        log = (workers.log_folder / f"worker-{number}.log").read_text()
        counts[number] = sum(
            1
            for line in log.splitlines()
            if "balance_gateway.apply_unit[" in line and " succeeded in " in line
        )
    return counts


@pytest.mark.parametrize("worker_count", [2, 4])
def test_distributed_sync_ends_as_a_single_process_sync(
    worker_count: int,
    tmp_path: Path,
    redis_url: str,
    state_stores: Any,
    start_emulators: StartEmulators,
    workers_for: Any,
) -> None:
    data = dataset(PEOPLE, seed=5)
    emulators = start_emulators(data, VENDORS)

    single = write_config(
        tmp_path / "single",
        data,
        emulators,
        DEMO_SYNCS_TOML,
        redis_url=redis_url,
        state_url=state_stores(),
    )
    alone = _run("sync", "--config", str(single), "--yes", "--json")
    assert alone["summary"].get("applied", 0) > 0
    single_ops, single_plan = _operations(single), _plan_after(single)
    single_end = _end_states(emulators)
    assert single_end, "no emulator here says what its end state is"

    for emulator in emulators.values():
        emulator.reset()
    spread = write_config(
        tmp_path / "spread",
        data,
        emulators,
        DEMO_SYNCS_TOML,
        redis_url=redis_url,
        state_url=state_stores(),
    )
    workers = workers_for(spread)
    workers.start(worker_count)
    report = _run("sync", "--config", str(spread), "--yes", "--json", "--distributed")

    assert report["summary"] == alone["summary"]
    assert _operations(spread) == single_ops
    assert _plan_after(spread) == single_plan
    assert _end_states(emulators) == single_end
    # Nothing is left to write in either, and the writes really were spread over workers.
    assert {row[-1] for row in single_plan} <= {'"skip"', '"unmapped"', '"blocked"'}
    busy = [n for n, units in _units_applied(workers).items() if units]
    assert len(busy) >= 2, workers.logs()
