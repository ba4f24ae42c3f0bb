"""The canonical balance model: units, quantities, references and balances. No I/O."""

from balance_gateway.canonical._exact import interned
from balance_gateway.canonical.balance import AsOfBasis, Balance, Figure, Period, Provenance
from balance_gateway.canonical.errors import (
    BalanceInconsistentError,
    CanonicalError,
    InexactConversionError,
    MissingScheduleError,
)
from balance_gateway.canonical.refs import EmployeeRef, LeaveKind, LeaveTypeRef, SharedRefs
from balance_gateway.canonical.units import (
    Quantity,
    Rounded,
    RoundingMode,
    Unit,
    WorkSchedule,
    WorkSchedules,
    convert,
    convert_rounded,
    round_quantity,
    to_decimal,
)

__all__ = [
    "AsOfBasis",
    "Balance",
    "BalanceInconsistentError",
    "CanonicalError",
    "EmployeeRef",
    "Figure",
    "InexactConversionError",
    "LeaveKind",
    "LeaveTypeRef",
    "MissingScheduleError",
    "Period",
    "Provenance",
    "Quantity",
    "Rounded",
    "RoundingMode",
    "SharedRefs",
    "Unit",
    "WorkSchedule",
    "WorkSchedules",
    "convert",
    "convert_rounded",
    "interned",
    "round_quantity",
    "to_decimal",
]
