"""The contract harness: fixture format, matchers and the three replays (private)."""

from balance_gateway.contracts._harness.binding import ContractBinding
from balance_gateway.contracts._harness.fixture import Fixture, fixture_vendors, load_fixtures
from balance_gateway.contracts._harness.runner import (
    CheckResult,
    FixtureTransport,
    check_emulator,
    check_live,
    check_sdk,
    check_sdk_async,
    load_binding,
    unknown_fields,
)

__all__ = [
    "CheckResult",
    "ContractBinding",
    "Fixture",
    "FixtureTransport",
    "check_emulator",
    "check_live",
    "check_sdk",
    "check_sdk_async",
    "fixture_vendors",
    "load_binding",
    "load_fixtures",
    "unknown_fields",
]
