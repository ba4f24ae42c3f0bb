"""The memory probe (`python benchmarks/memory_sync.py`) at a tiny size: it measures a sync that
did its job, phase by phase, and names where the memory held after planning was allocated."""

from __future__ import annotations

from types import ModuleType

import pytest

from tests.benchmarks._scripts import load_script


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_script("memory_sync")


def test_each_phase_reports_what_it_held_and_its_peak(bench: ModuleType) -> None:
    lines = bench.measure(20, bench.ABSOLUTE.name, 5)
    text = "\n".join(lines)
    assert "N = 20 employees, 60 balances" in text
    phases = [line for line in lines if line.startswith(("| plan", "| apply", "| verify"))]
    assert len(phases) == 3
    for line in phases:
        held, peak = line.split("|")[2], line.split("|")[4]
        assert float(held.split()[0]) >= 0
        assert float(peak.split()[0]) > 0
    assert len([line for line in lines if line.startswith("- ")]) == 5
