"""Work units: one sync's planned writes for a batch of employees, as a JSON message.

Nothing here imports Celery: the coordinator and the workers agree on this shape only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter

from balance_gateway.gateway.plan import PlanRow

_ROWS = TypeAdapter(tuple[PlanRow, ...])


@dataclass(frozen=True)
class WorkUnit:
    """Rows (planned writes) of `sync` in run `run_id`; `number` counts from 1 per run."""

    run_id: str
    sync: str
    number: int
    rows: tuple[PlanRow, ...]

    def to_message(self) -> dict[str, Any]:
        """The task's argument: plain JSON (no pickle; see `gateway.distributed.app`)."""
        return {
            "run_id": self.run_id,
            "sync": self.sync,
            "number": self.number,
            "rows": _ROWS.dump_python(self.rows, mode="json"),
        }

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> WorkUnit:
        return cls(
            run_id=str(message["run_id"]),
            sync=str(message["sync"]),
            number=int(message["number"]),
            rows=_ROWS.validate_python(message["rows"]),
        )

    @property
    def label(self) -> str:
        return f"unit {self.number} of run {self.run_id} ({self.sync}, {len(self.rows)} writes)"


def split_units(
    run_id: str, rows: Sequence[PlanRow], batch_size: int, first_number: int = 1
) -> list[WorkUnit]:
    """The planned writes `rows` in units of at most `batch_size` employees of one sync each
    (an employee's rows stay together, in plan order)."""
    units: list[WorkUnit] = []
    by_sync: dict[str, dict[str, list[PlanRow]]] = {}
    for row in rows:
        by_sync.setdefault(row.sync, {}).setdefault(row.target_employee or "", []).append(row)
    number = first_number
    for sync, employees in by_sync.items():
        batch: list[PlanRow] = []
        count = 0
        for employee_rows in employees.values():
            batch.extend(employee_rows)
            count += 1
            if count == batch_size:
                units.append(WorkUnit(run_id, sync, number, tuple(batch)))
                number, batch, count = number + 1, [], 0
        if batch:
            units.append(WorkUnit(run_id, sync, number, tuple(batch)))
            number += 1
    return units
