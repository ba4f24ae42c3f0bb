"""Kenjo under faults, over real HTTP (the demo's emulators): regressions the fault campaign
(`tests/stress/test_fault_campaign.py`) found in Kenjo's write-only path."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from balance_gateway.adapters._core.registry import known_vendors
from balance_gateway.adapters._emulator.conformance import conformance_case
from balance_gateway.adapters.kenjo.demo import KENJO_VACATION
from balance_gateway.gateway.config import load_config
from balance_gateway.gateway.demo import (
    ENV,
    DemoEnvironment,
    generate_dataset,
)
from balance_gateway.gateway.runner import run_sync
from tests.adapters.vendor_facts import Remaining, facts
from tests.integration._demo import demo_environment
from tests.stress._vendors import _id_of, admin_balances, admin_state, capabilities, set_faults

MAX_RERUNS = 3
# A read-only source (the registry's first), the type the engine pair tests read from it, and
# how its data changes when someone takes time off (its DEMO_REMAINING fact).
SOURCE = next(v for v in known_vendors() if not capabilities(v).can_write)
SOURCE_TYPE = conformance_case(SOURCE).campaign.pair_source_type or ""
REMAINING = facts(SOURCE, "DEMO_REMAINING", Remaining)

# Kenjo applies the set, then: answers 500; or drops the answer, and the retries get 429s
# until they run out (seed 5 draws exactly that: applied and dropped, then 429, 429, 429).
KENJO_FAILS_AFTER_APPLY = {
    "500": {"apply_then_fail_rate": 1, "methods": ["PUT"]},
    "dropped-then-429": {
        "seed": 5,
        "throttle_rate": 0.5,
        "retry_after_seconds": 0,
        "apply_then_fail_rate": 1,
        "apply_then_fail_mode": "drop",
        "methods": ["PUT"],
    },
}


@pytest.fixture(scope="module")
def env() -> Iterator[DemoEnvironment]:
    with demo_environment(5) as environment:
        yield environment


@pytest.mark.parametrize("faults", KENJO_FAILS_AFTER_APPLY.values(), ids=KENJO_FAILS_AFTER_APPLY)
def test_kenjo_write_failing_after_apply_is_written_again(
    env: DemoEnvironment, tmp_path: Path, faults: dict[str, Any]
) -> None:
    """Regression (found by the campaign): Kenjo cannot be read back, so the engine remembers
    what it wrote. A set that Kenjo applied but that ended in an error (a 500; or a dropped
    answer, then 429s on the retries) used to be recorded `failed`, leaving the remembered
    value at the earlier write: once the source went back to that value, every later sync
    skipped the balance as "already written", and Kenjo kept the value of the failed write for
    good (exit code 0)."""
    env.dataset = generate_dataset(3, 7, env.today)
    env.reset()
    person = env.dataset.people[0]
    syncs = (
        f'[[syncs]]\nname = "k"\nsource = "{SOURCE}"\ntarget = "kenjo"\n'
        f'types = [{{ source = "{SOURCE_TYPE}", target = "{KENJO_VACATION}" }}]\n'
    )
    config = load_config(env.write_config(tmp_path, syncs), env=ENV)
    with httpx.Client(timeout=30) as http:

        def kenjo() -> Decimal:
            held = admin_balances(http, env.base_urls["kenjo"], env.today)
            return held[(_id_of(person, "kenjo") or "", KENJO_VACATION)]

        assert asyncio.run(run_sync(config)).exit_code == 0
        planned = kenjo()
        original = admin_state(http, env.base_urls[SOURCE])
        changed = copy.deepcopy(original)
        REMAINING.use(changed, _id_of(person, SOURCE) or "", SOURCE_TYPE, Decimal(3))
        source_url = f"{env.base_urls[SOURCE]}/_emulator/state"
        http.put(source_url, json=changed).raise_for_status()

        # Kenjo applies the new value, then the write fails.
        set_faults(http, env.base_urls, {"kenjo": faults})
        assert asyncio.run(run_sync(config)).exit_code == 1
        assert kenjo() == planned - 3
        set_faults(http, env.base_urls, {})

        # The source goes back: Kenjo must be set back too.
        http.put(source_url, json=original).raise_for_status()
        for _ in range(MAX_RERUNS):
            report = asyncio.run(run_sync(config))
            if report.exit_code == 0 and not any(r.row.writes for r in report.results):
                break
        assert kenjo() == planned
