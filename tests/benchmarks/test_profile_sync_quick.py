"""The sync profiler (`python benchmarks/profile_sync.py`) at a tiny size: it profiles a sync
that did its job, and its report names where the CPU went."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "profile_sync.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("profile_sync", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("sample", [False, True], ids=["traced", "sampled"])
def test_a_profile_groups_the_sync_cpu_and_lists_the_top_functions(
    bench: ModuleType, tmp_path: Path, sample: bool
) -> None:
    stats = None if sample else tmp_path / "sync.prof"
    profile = bench.profile_sync(20, bench.ABSOLUTE.name, 3, 0, stats, sample=sample)
    assert profile.balances == 60
    assert profile.cpu > 0
    groups = dict(profile.groups())
    assert groups.get("HTTP stack", 0) > 0
    assert profile.profiled == pytest.approx(
        sum(s for g, s in groups.items() if g != bench.WAITING)
    )
    lines = bench.report(profile, 5, bench.ABSOLUTE.name, 0, "0/0, 0/0, 0/0")
    text = "\n".join(lines)
    assert "**own time by group**" in text
    assert "**top 5 by own time**" in text
    assert "**top 5 by cumulative time**" in text
    if stats is not None:
        assert stats.stat().st_size > 0
