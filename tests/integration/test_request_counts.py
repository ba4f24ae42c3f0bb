"""Requests per balance, per writable target dialect: bulk reads in, one write per change out.

Each of the demo's syncs (one per writable target) runs over the emulators under uvicorn, and
the target's requests (counted by the engine's budgeted transport, logins and retries included)
must stay within a bound made of a fixed part (bulk reads, verification pages, a login), a part
per written balance and a part per unchanged one. The bounds are what each dialect's
exactly-once guarantee needs (each target's `REQUEST_BOUND`, with why each figure is what it
is, in `tests/adapters/<vendor>/facts.py`); a per-row read before each plan or write (the
pattern of issue 16) breaks them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from balance_gateway.gateway.config import load_config
from balance_gateway.gateway.demo import (
    DEMO_SYNCS_TOML,
    ENV,
    SETTINGS_TOML,
    SYNC_ORDER,
    DemoEnvironment,
)
from balance_gateway.gateway.journal import OpStatus
from balance_gateway.gateway.results import RunReport
from balance_gateway.gateway.runner import run_sync
from tests.adapters.vendor_facts import Bound, facts
from tests.integration._demo import demo_environment

PEOPLE = 24


@pytest.fixture(autouse=True)
def _structlog_unconfigured() -> None:
    structlog.reset_defaults()


@pytest.fixture(scope="module")
def env() -> Iterator[DemoEnvironment]:
    with demo_environment(PEOPLE, seed=5) as environment:
        yield environment


def _counts(report: RunReport) -> tuple[int, int]:
    """(balances written, balances planned with a value and left unchanged)."""
    written = sum(1 for r in report.results if r.status is OpStatus.APPLIED)
    unchanged = sum(
        1 for r in report.results if r.status is OpStatus.SKIPPED and r.row.intent is not None
    )
    return written, unchanged


@pytest.mark.parametrize("sync_name", SYNC_ORDER)
async def test_target_requests_per_balance_stay_within_the_dialects_bound(
    env: DemoEnvironment, tmp_path: Path, sync_name: str
) -> None:
    env.reset()
    config = load_config(env.write_config(tmp_path, DEMO_SYNCS_TOML, SETTINGS_TOML), env=ENV)
    sync = next(s for s in config.file.syncs if s.name == sync_name)
    vendor = config.file.systems[sync.target].vendor
    bound = facts(vendor, "REQUEST_BOUND", Bound)

    first = await run_sync(config, sync_name)
    written, unchanged = _counts(first)
    sent = first.traffic[sync.target].requests
    assert first.exit_code == 0, first.results
    assert written >= 5, "the demo data must give this sync writes to count"
    assert all(r.verified is not False for r in first.results)
    assert sent <= bound.allows(written, unchanged), (
        f"{vendor}: {sent} requests for {written} written and {unchanged} unchanged balances"
    )

    again = await run_sync(config, sync_name)
    written_again, unchanged_again = _counts(again)
    sent_again = again.traffic[sync.target].requests
    assert written_again == 0
    assert unchanged_again >= written
    assert sent_again <= bound.allows(0, unchanged_again), (
        f"{vendor}, nothing to write: {sent_again} requests for {unchanged_again} balances"
    )
