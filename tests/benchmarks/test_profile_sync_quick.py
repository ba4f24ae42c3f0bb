"""The sync profiler (`python benchmarks/profile_sync.py`) at a tiny size: it profiles a sync
that did its job, and its report names where the CPU went."""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType

import pytest

from tests.benchmarks._scripts import load_script


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_script("profile_sync")


@pytest.mark.parametrize("sample", [False, True], ids=["traced", "sampled"])
def test_a_profile_groups_the_sync_cpu_and_lists_the_top_functions(
    bench: ModuleType, tmp_path: Path, sample: bool
) -> None:
    stats = None if sample else tmp_path / "sync.prof"
    environment = dict(os.environ)
    profile = bench.profile_sync(20, bench.ABSOLUTE.name, 3, 0, stats, sample=sample)
    assert dict(os.environ) == environment  # the run's credentials were set for it only
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
