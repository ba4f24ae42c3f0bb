"""One stale employee id, over real HTTP and the command line (issue 14, "Done when"): the
sync applies every other employee and exits 1 naming the mapping line.

The stale id is a vendor's `STALE_ID` (`tests/adapters/<vendor>/facts.py`: a well-formed id it
answers 404 for), in every demo sync that vendor is a side of: met as a source and as a target.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from typer import Typer
from typer.testing import CliRunner

from balance_gateway.gateway import cli_sync
from balance_gateway.gateway.demo import ENV, SCENARIO, DemoEnvironment
from tests.adapters.vendor_facts import facts, vendors_with
from tests.integration._demo import demo_environment
from tests.stress._vendors import capabilities

# (vendor, sync): each vendor with a stale id (its system in the demo's config is named after
# it), in each demo sync it is the source or the target of.
CASES = [
    (vendor, s.name)
    for vendor in vendors_with("STALE_ID")
    for s in SCENARIO
    if vendor in (s.source, s.target)
]


@pytest.fixture(autouse=True)
def _structlog_unconfigured() -> None:
    structlog.reset_defaults()


@pytest.fixture(scope="module")
def env() -> Iterator[DemoEnvironment]:
    with demo_environment(6, seed=5) as environment:
        yield environment


def stale_mapping(env: DemoEnvironment, folder: Path, vendor: str) -> tuple[Path, int, str]:
    """The demo config in `folder`, with the second person's id in `vendor` replaced by one it
    does not know. Returns the config path, that person's mapping line and their old id."""
    env.reset()
    path = env.write_config(folder)
    mapping = folder / "employees.csv"
    lines = mapping.read_text().splitlines()
    column = lines[0].split(",").index(vendor)
    cells = lines[2].split(",")
    old, cells[column] = cells[column], facts(vendor, "STALE_ID", str)
    lines[2] = ",".join(cells)
    mapping.write_text("\n".join(lines) + "\n")
    return path, 3, old


@pytest.mark.parametrize(("vendor", "sync"), CASES)
def test_one_stale_id_applies_everyone_else_and_exits_1_naming_the_line(
    env: DemoEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, vendor: str, sync: str
) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    path, line, _ = stale_mapping(env, tmp_path, vendor)
    stale_id = facts(vendor, "STALE_ID", str)
    app = Typer()
    cli_sync.register(app)
    runner = CliRunner()

    plan = runner.invoke(app, ["plan", "--config", str(path), "--sync", sync, "--json"])
    assert plan.exit_code == 1, plan.output
    rows = json.loads(plan.stdout)["syncs"][0]["rows"]
    stale = [r for r in rows if stale_id in (r["source_employee"], r["target_employee"])]
    assert stale
    assert {r["operation"] for r in stale} == {"blocked"}
    assert all(f"employees.csv, line {line}" in r["note"] for r in stale)
    assert all("404" in r["note"] for r in stale)

    synced = runner.invoke(app, ["sync", "--config", str(path), "--sync", sync, "--yes", "--json"])
    assert synced.exit_code == 1, synced.output
    report = json.loads(synced.stdout)
    (result,) = report["syncs"]
    assert result["error"] is None
    others = [r for r in result["rows"] if r not in stale and r["operation_id"] is not None]
    written = [r for r in result["rows"] if r["status"] == "applied"]
    assert len(written) >= 2  # the other people's balances went through
    target = next(s.target for s in SCENARIO if s.name == sync)
    # Read back where the target can be read; a write-only one (Kenjo) cannot say.
    assert all(r["verified"] is (True if capabilities(target).can_read else None) for r in written)
    assert all(r["status"] in ("applied", "skipped") for r in others if stale_id not in str(r))
    blocked = [r for r in result["rows"] if r["status"] == "blocked"]
    assert blocked
    assert all(stale_id in (r["source_employee"], r["target_employee"]) for r in blocked)
    assert all(f"line {line}" in r["note"] for r in blocked)
