"""A sixth vendor is its folders and one registry line (issue 15's done-when).

The project is copied into a temporary directory; there, the smallest registered vendor's
folders (`adapters/<vendor>/`, `contracts/<vendor>/`) are copied under a new name (every spelling
of the old name replaced), and the new name is added to the one line of the registry,
`VENDORS`. Nothing else in the copy changes. Then, on the copy, in fresh processes: the
registry finds every part of the newcomer, the contract suite replays all its fixtures against
its emulator, the adapter conformance suite passes over it, the demo's syncs run in and out of it
(twice: the second writes nothing), and the fault campaign's fast subset, which takes every
registered writable vendor as a target, passes with it among them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NEW = "acme"
REGISTRY = Path("adapters/_core/registry.py")
# What the copy holds: the namespace (links into the folders beside it) and the folders.
PROJECT = ("balance_gateway", "adapters", "canonical", "contracts", "gateway", "tests")


def _smallest_vendor() -> str:
    from balance_gateway.adapters._core.registry import VENDORS

    def size(vendor: str) -> int:
        return sum(p.stat().st_size for p in (ROOT / "adapters" / vendor).glob("*.py"))

    return min(VENDORS, key=size)


def _renamed(text: str, old: str) -> str:
    def spelled(match: re.Match[str]) -> str:
        word = match.group(0)
        return NEW.upper() if word.isupper() else NEW.title() if word[0].isupper() else NEW

    return re.sub(old, spelled, text, flags=re.IGNORECASE)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The copy of the project with the newcomer added by its folders and one registry line."""
    copy = tmp_path_factory.mktemp("sixth-vendor") / "project"
    copy.mkdir()
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in PROJECT:
        shutil.copytree(ROOT / name, copy / name, symlinks=True, ignore=skip)
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    old = _smallest_vendor()
    for kind in ("adapters", "contracts"):
        target = copy / kind / NEW
        shutil.copytree(ROOT / kind / old, target, ignore=skip)
        for path in target.rglob("*"):
            if path.is_file() and path.suffix in (".py", ".json"):
                path.write_text(_renamed(path.read_text(), old))
    registry = copy / REGISTRY
    before = registry.read_text().splitlines(keepends=True)
    after = [
        line.replace(")", f', "{NEW}")', 1) if line.startswith("VENDORS: ") else line
        for line in before
    ]
    changed = [a for a, b in zip(after, before, strict=True) if a != b]
    assert len(changed) == 1, "the registry's vendors are one line"
    registry.write_text("".join(after))
    return copy


def _run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(project)}
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        cwd=project,
        env=env,
        timeout=1200,
        check=False,
    )


SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    from dataclasses import replace
    from pathlib import Path

    import balance_gateway
    from balance_gateway.adapters._core import registry

    NEW, old, tmp = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    assert Path(balance_gateway.__file__).is_relative_to(Path.cwd()), "the copy is imported"

    for part in ("adapter", "emulator", "demo", "conformance", "binding"):
        assert NEW in registry.installed(part), part

    # The contract suite: every fixture replayed against the newcomer's emulator.
    from balance_gateway.contracts._harness.fixture import load_fixtures
    from balance_gateway.contracts._harness.runner import check_emulator, load_binding

    fixtures = load_fixtures(NEW, Path.cwd() / "contracts")
    assert fixtures
    for fixture in fixtures:
        result = asyncio.run(check_emulator(load_binding(NEW), fixture))
        assert result.ok or result.skipped, (fixture.name, result.problems)

    # The adapter conformance suite, parametrized over the registry, on the newcomer only.
    import pytest

    suite = str(Path.cwd() / "tests" / "adapters" / "test_conformance.py")
    quiet = ["-W", "ignore::pytest.PytestAssertRewriteWarning"]  # the plugin came in first
    code = pytest.main(["-q", "-p", "no:cacheprovider", *quiet, suite, "-k", NEW])
    assert code == 0, f"the conformance suite failed over {NEW}: {code}"

    # The demo: the newcomer takes the place of the vendor it copies in the scenario's syncs.
    from balance_gateway.gateway import demo
    from balance_gateway.gateway.runner import run_sync

    assert NEW in demo.PROFILES
    scenario = tuple(
        replace(
            sync,
            source=NEW if sync.source == old else sync.source,
            target=NEW if sync.target == old else sync.target,
        )
        for sync in demo.SCENARIO
        if old in (sync.source, sync.target)
    )
    assert scenario
    with demo.DemoEnvironment(tmp / "demo", people=12, seed=3) as env:
        env.write_config(env.folder, syncs=demo.syncs_toml(scenario))
        config = env.load_config()
        assert config.file.systems[NEW].vendor == NEW
        reports = [[asyncio.run(run_sync(config, s.name)) for s in scenario] for _ in range(2)]
    first, second = reports
    assert all(r.exit_code == 0 for r in first + second)
    assert sum(1 for r in first for x in r.results if x.status.value == "applied") > 0
    assert not any(row.writes for r in second for p in r.plans for row in p.rows)
    print("ok", old, len(fixtures), [s.name for s in scenario])
    """
)


def test_the_registry_contracts_conformance_and_demo_take_the_new_vendor(
    project: Path, tmp_path: Path
) -> None:
    done = _run(project, "-c", SCRIPT, NEW, _smallest_vendor(), str(tmp_path))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-4000:]
    assert done.stdout.splitlines()[-1].startswith("ok "), done.stdout


def test_the_fault_campaigns_fast_subset_takes_the_new_vendor_as_a_target(project: Path) -> None:
    campaign = "tests/stress/test_fault_campaign.py"
    listed = _run(
        project,
        "-c",
        "import sys; sys.path.insert(0, '.'); "
        "from tests.stress import test_fault_campaign as c; "
        "print(sorted({c.make_schedule(s).target for s in c.FAST_SEEDS}))",
    )
    assert listed.returncode == 0, listed.stderr[-3000:]
    assert NEW in listed.stdout, listed.stdout
    done = _run(project, "-m", "pytest", "-q", "-p", "no:cacheprovider", campaign)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert re.search(r"\b\d+ passed", done.stdout), done.stdout[-2000:]
