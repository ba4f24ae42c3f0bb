"""The sync engine, its configuration, journal and state store, and the command line.

config (TOML + mapping CSV) -> Engine: resolve, plan, guardrails, apply, verify
Engine -> Journal (SQLite): runs, operations, last written values
"""

from gateway.config import Config, load_config
from gateway.engine import Engine, RowResult, RunReport
from gateway.errors import ConfigError, EngineError, SetupError
from gateway.journal import Journal, OpStatus, SqliteJournal
from gateway.plan import PlanRow, SyncPlan
from gateway.runner import run_plan, run_sync

__all__ = [
    "Config",
    "ConfigError",
    "Engine",
    "EngineError",
    "Journal",
    "OpStatus",
    "PlanRow",
    "RowResult",
    "RunReport",
    "SetupError",
    "SqliteJournal",
    "SyncPlan",
    "load_config",
    "run_plan",
    "run_sync",
]
