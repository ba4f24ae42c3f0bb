"""A sixth vendor is its folders and one registry line (issue 15).

In a fresh process, the smallest registered vendor's folders are copied under a new name into a
temporary directory (every spelling of the old name replaced), added to the namespace, and
named in `VENDORS`. Nothing else changes, and the registry, the configuration, the contract
suite's emulator replay and the demo (its data, config, mapping and a sync in and out of the
newcomer, twice) and the adapter conformance suite all work over it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent(
    """
    import asyncio, re, shutil, sys
    from dataclasses import replace
    from pathlib import Path

    import balance_gateway.adapters as adapters_package
    import balance_gateway.contracts as contracts_package
    from balance_gateway.adapters._core import registry

    NEW = "acme"
    tmp = Path(sys.argv[1])

    def size(vendor):
        folder = Path(adapters_package.__path__[0]) / vendor
        return sum(p.stat().st_size for p in folder.glob("*.py"))

    old = min(registry.VENDORS, key=size)

    def renamed(text):
        def spelled(match):
            word = match.group(0)
            return NEW.upper() if word.isupper() else NEW.title() if word[0].isupper() else NEW
        return re.sub(old, spelled, text, flags=re.IGNORECASE)

    for package, kind in ((adapters_package, "adapters"), (contracts_package, "contracts")):
        source = Path(package.__path__[0]) / old
        target = tmp / kind / NEW
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        for path in target.rglob("*"):
            if path.is_file() and path.suffix in (".py", ".json"):
                path.write_text(renamed(path.read_text()))
        package.__path__.append(str(tmp / kind))

    registry.VENDORS = (*registry.VENDORS, NEW)  # the one registry line

    for part in ("adapter", "emulator", "demo", "conformance", "binding"):
        assert NEW in registry.installed(part), part

    # The contract suite: every fixture replayed against the newcomer's emulator.
    from balance_gateway.contracts._harness.fixture import load_fixtures
    from balance_gateway.contracts._harness.runner import check_emulator, load_binding

    fixtures = load_fixtures(NEW, tmp / "contracts")
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


def test_a_copy_of_the_smallest_vendor_under_a_new_name_works_by_one_registry_line(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert done.stdout.splitlines()[-1].startswith("ok "), done.stdout
