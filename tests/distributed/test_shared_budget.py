"""Four workers share one request budget per system through Redis: against a Zeitstrom that
allows 40 requests per second (a token bucket, 429 beyond), a distributed sync whose config
says 30 sends at most that together, where four private buckets would send four times as
much. The emulator counts what it received and refused."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

from balance_gateway.gateway.demo import ENV
from tests.distributed.conftest import StartEmulators, dataset, write_config
from tests.distributed.services import Workers, cli
from tests.stress._vendors import ledger_pair

# About one request per person since plans come from the bulk reads (issue 16): enough people
# that the run lasts several seconds at the budget, so that its rate can be judged.
PEOPLE = 200
VENDOR_LIMIT = 40.0  # requests per second the emulator allows (burst: one second's worth)
# The config's requests_per_second for the system: under the limit by enough that a worker
# descheduled for a moment on a busy machine (its granted requests then arrive bunched) does
# not cross it. Four private buckets of this rate get tens of 429s here.
CONFIGURED = 30.0
# A read-only source and a ledger target (one request per write), from the registry.
PAIR = ledger_pair()
SOURCE, TARGET = PAIR.source, PAIR.target
SYNC = PAIR.sync_toml()


def _wait_ready(workers: Workers, count: int) -> None:
    deadline = time.monotonic() + 60
    while workers.logs().count(" ready.") < count:
        assert time.monotonic() < deadline, "the workers did not start: " + workers.logs()
        time.sleep(0.2)


def _most_in_any_window(arrivals: list[float], seconds: float) -> int:
    most, start = 0, 0
    for end, at in enumerate(arrivals):
        while at - arrivals[start] > seconds:
            start += 1
        most = max(most, end - start + 1)
    return most


def test_four_workers_send_no_more_than_one_budget_together(
    tmp_path: Path,
    redis_url: str,
    state_stores: Any,
    start_emulators: StartEmulators,
    workers_for: Any,
) -> None:
    data = dataset(PEOPLE, seed=3)
    emulators = start_emulators(data, (SOURCE, TARGET))
    target = emulators[TARGET]
    config = write_config(
        tmp_path / "run",
        data,
        emulators,
        SYNC,
        redis_url=redis_url,
        state_url=state_stores(),
        batch_size=5,
        max_in_flight=8,
        rates={TARGET: CONFIGURED},
    )
    target.put("/_emulator/faults", {"rate_limit": VENDOR_LIMIT})
    workers = workers_for(config)
    workers.start(4)
    _wait_ready(workers, 4)

    process = cli(
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
    out, err = process.communicate(timeout=240)
    assert process.returncode == 0, err + out
    report = json.loads(out)
    assert report["summary"]["applied"] > PEOPLE // 2

    refused = target.get("/_emulator/faults")["counts"].get("rate_limited", 0)
    assert refused == 0, f"{TARGET} refused {refused} requests over its limit"
    arrivals = sorted(target.arrivals())
    # Enough requests that the rate, not the burst, decides; the workers sent most of them.
    assert len(arrivals) > 4 * VENDOR_LIMIT
    # The report counts every process's requests: the coordinator's and the workers'.
    traffic = {t["system"]: t for t in report["systems"]}
    assert traffic[TARGET]["requests"] == len(arrivals)
    assert traffic[TARGET]["rate_limited"] == 0
    # Under the vendor's own terms in every window (one second's worth of burst, then the
    # limit), and under the limit over the run once the first second's burst is spent.
    for window in (1.0, 2.0, 5.0):
        assert _most_in_any_window(arrivals, window) <= VENDOR_LIMIT * (1 + window)
    steady = [at for at in arrivals if at - arrivals[0] > 1.0]
    assert len(steady) / (steady[-1] - steady[0]) <= VENDOR_LIMIT
    # And every worker took part.
    logs = workers.log_folder.glob("worker-*.log")
    busy = sum(1 for log in logs if " succeeded in " in log.read_text())
    assert busy >= 3, workers.logs()
