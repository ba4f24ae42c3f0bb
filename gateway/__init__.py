"""The sync engine, its configuration, journal and state store, and the command line.

config (TOML + mapping CSV) -> Engine: resolve, plan, guardrails, apply, verify
Engine -> Journal (gateway.store: a SQLite file or PostgreSQL): runs, operations, last written
    values
"""

from balance_gateway.gateway.config import Config, load_config
from balance_gateway.gateway.engine import Engine
from balance_gateway.gateway.errors import ConfigError, EngineError, SetupError
from balance_gateway.gateway.journal import Journal, OpStatus
from balance_gateway.gateway.plan import PlanRow, SyncPlan
from balance_gateway.gateway.results import RowResult, RunReport
from balance_gateway.gateway.runner import run_plan, run_sync
from balance_gateway.gateway.store.sqlite import SqliteJournal

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
