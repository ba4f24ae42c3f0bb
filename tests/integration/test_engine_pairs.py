"""The engine end to end over real HTTP: the demo's emulators under uvicorn on 127.0.0.1,
loaded with the demo's generated dataset, and every source/target pair the registered adapters
allow (each vendor's pair types are its conformance case's `campaign`; nothing here names a
vendor). The demo's own syncs, value by value, are in `test_demo_syncs_http.py`."""

from __future__ import annotations

from pathlib import Path

import pytest

from balance_gateway.gateway.demo import DemoEnvironment
from balance_gateway.gateway.journal import OpStatus
from balance_gateway.gateway.runner import run_plan, run_sync
from tests.integration._demo import config_for, demo_fixtures
from tests.stress._vendors import capabilities, cases

PEOPLE = 16  # every one with a 7.5 h or an 8 h day

SOURCES = {
    v: c.campaign.pair_source_type for v, c in cases().items() if c.campaign.pair_source_type
}
TARGETS = {
    v: c.campaign.pair_target_type for v, c in cases().items() if c.campaign.pair_target_type
}
PAIRS = [(s, t) for s in SOURCES for t in TARGETS if s != t]


_structlog_unconfigured, env, fresh = demo_fixtures(PEOPLE, seed=3)


def test_every_registered_vendor_takes_part() -> None:
    assert set(SOURCES) | set(TARGETS) == set(cases())
    assert len(PAIRS) >= len(cases())


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=[f"{s}-{t}" for s, t in PAIRS])
async def test_every_pair_applies_verifies_and_is_idempotent(
    fresh: DemoEnvironment, tmp_path: Path, source: str, target: str
) -> None:
    step = cases()[target].campaign.pair_step
    rounding = f'rounding = {{ step = "{step}" }}\n' if step else ""
    syncs = (
        f'[[syncs]]\nname = "pair"\nsource = "{source}"\ntarget = "{target}"\n'
        f'types = [{{ source = "{SOURCES[source]}", target = "{TARGETS[target]}" }}]\n{rounding}'
    )
    config = config_for(fresh, tmp_path, syncs)
    plan = await run_plan(config, "pair")
    assert plan.exit_code == 0
    assert not (tmp_path / "balance-gateway.sqlite3").exists()  # a plan creates no state

    first = await run_sync(config, "pair")
    assert first.exit_code == 0, [r.note for r in first.results if not r.ok]
    applied = [r for r in first.results if r.status is OpStatus.APPLIED]
    assert applied
    # Verified by reading back; a write-only target cannot be (None).
    expected_verified = True if capabilities(target).can_read else None
    assert {r.verified for r in applied} == {expected_verified}

    second = await run_sync(config, "pair")
    assert second.exit_code == 0
    assert not any(r.row.writes for r in second.results)
