"""Every vendor's contract suite, replayed three ways. One conformance class serves all
vendors: a new vendor's fixtures and binding are picked up without touching this file."""

from __future__ import annotations

import pytest

from balance_gateway.contracts._harness import (
    check_emulator,
    check_sdk,
    check_sdk_async,
    fixture_vendors,
    load_binding,
    load_fixtures,
)
from balance_gateway.contracts._harness.fixture import Fixture

CASES = [fixture for vendor in fixture_vendors() for fixture in load_fixtures(vendor)]
IDS = [f"{fixture.vendor}:{fixture.name}" for fixture in CASES]


def test_every_vendor_with_a_binding_has_fixtures() -> None:
    vendors = fixture_vendors()
    assert vendors, "no contract suites found"
    for vendor in vendors:
        assert load_fixtures(vendor), f"{vendor} has a binding but no fixtures"


def test_seed_examples_are_marked() -> None:
    for vendor in fixture_vendors():
        provenances = {fixture.provenance for fixture in load_fixtures(vendor)}
        assert "seed" in provenances, f"{vendor}: no fixture carries the seed's example"


@pytest.mark.parametrize("fixture", CASES, ids=IDS)
class TestContract:
    def test_sdk(self, fixture: Fixture) -> None:
        result = check_sdk(load_binding(fixture.vendor), fixture)
        assert result.ok, "\n".join(result.problems)

    async def test_sdk_async(self, fixture: Fixture) -> None:
        result = await check_sdk_async(load_binding(fixture.vendor), fixture)
        assert result.ok, "\n".join(result.problems)

    async def test_emulator(self, fixture: Fixture) -> None:
        result = await check_emulator(load_binding(fixture.vendor), fixture)
        assert result.ok, "\n".join(result.problems)
