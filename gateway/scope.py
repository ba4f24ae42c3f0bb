"""What every phase of one run shares: its id, the systems' adapters, the journal and how many
operations may be in flight at once (`gateway.engine` builds it; resolution, verification and
the checks before writing take it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from balance_gateway.adapters._core.adapter import BalanceAdapter
from balance_gateway.gateway.errors import SetupError
from balance_gateway.gateway.journal import Journal


@dataclass(frozen=True)
class RunScope:
    """One run's id, adapters (system name -> adapter), journal (None: plan only) and
    concurrency bound (`max_in_flight`)."""

    run_id: str
    adapters: Mapping[str, BalanceAdapter]
    journal: Journal | None
    max_in_flight: int

    def adapter(self, system: str) -> BalanceAdapter:
        """`system`'s adapter; SetupError when none was built for it."""
        try:
            return self.adapters[system]
        except KeyError:
            raise SetupError(f"no adapter was built for system {system!r}") from None
