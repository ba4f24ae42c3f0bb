"""The ledger source's bulk-read benchmark (`python benchmarks/bench_ledger_read.py`) at a tiny
size, with a small answer cap so that the read goes by chunks: it reads every balance right
and reports its requests."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from tests.benchmarks._scripts import load_script


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_script("bench_ledger_read")


async def test_a_chunked_read_reports_every_balance_right(
    bench: ModuleType, tmp_path: Path
) -> None:
    lines = await bench.read_once(300, 60_000, None, tmp_path)
    text = "\n".join(lines)
    assert "N = 300 employees x 3 types" in text
    assert "read_balances: ok" in text
    assert "900 balances; 0 differ from the emulator's 900; 0 it does not have" in text
    assert "list_employee_ids: ok" in text
    assert "300 ids; every person's: True" in text
    # The read: 4 chunks of the aggregate (77 ids each), not one answer, and one ledger page.
    reads = next(line for line in lines if line.startswith("  requests"))
    assert reads.endswith(
        "absence-transactions/ x1, GET /api/v2/timestamps/absence-transactions/aggregate/ x4"
    )
