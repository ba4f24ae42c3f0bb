"""Each adapter lists what its vendor's documented API can list (`discover`, `map`), and says
so where it cannot: what each emulator's sample data must show is its `DISCOVERY`, in
`tests/adapters/<vendor>/facts.py`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from balance_gateway.adapters._core.adapter import AdapterConfig
from balance_gateway.adapters._core.discovery import Discovery
from balance_gateway.adapters._core.registry import build_adapter, known_vendors
from balance_gateway.adapters._core.secrets import Secret
from balance_gateway.adapters._emulator import EmulatorOptions, build_emulator
from balance_gateway.adapters._emulator.conformance import conformance_case
from tests.adapters.vendor_facts import DiscoveryFacts, facts

TOKEN = "discovery-token"


def _credentials(vendor: str) -> dict[str, str]:
    """The adapter's credentials for the emulator whose token is TOKEN (its conformance
    case's)."""
    return conformance_case(vendor).credentials(TOKEN)


async def _adapter(vendor: str, credentials: dict[str, str] | None = None) -> Discovery:
    emulator = build_emulator(vendor, EmulatorOptions(token=TOKEN))
    config = AdapterConfig(
        system=f"my-{vendor}",
        base_url="http://emulator",
        credentials={k: Secret(v) for k, v in (credentials or _credentials(vendor)).items()},
        transport=httpx.ASGITransport(app=emulator.app),
    )
    adapter = build_adapter(vendor, config)
    assert isinstance(adapter, Discovery), f"{vendor} does not implement Discovery"
    return adapter


@pytest.fixture(params=known_vendors())
async def vendor_adapter(request: pytest.FixtureRequest) -> AsyncIterator[tuple[str, Discovery]]:
    adapter = await _adapter(request.param)
    yield request.param, adapter
    await adapter.aclose()  # type: ignore[attr-defined]


async def test_every_adapter_checks_its_connection(vendor_adapter: tuple[str, Discovery]) -> None:
    _vendor, adapter = vendor_adapter
    result = await adapter.check_connection()
    assert result.checked
    assert result.detail


async def test_every_adapter_lists_its_people_with_emails(
    vendor_adapter: tuple[str, Discovery],
) -> None:
    vendor, adapter = vendor_adapter
    listing = await adapter.list_people()
    assert listing.available
    found = {(p.id, p.email, p.employee_number) for p in listing.items}
    assert facts(vendor, "DISCOVERY", DiscoveryFacts).people <= found
    assert all(p.name for p in listing.items if p.email)
    assert listing.how


async def test_leave_types_are_listed_or_the_reason_is_given(
    vendor_adapter: tuple[str, Discovery],
) -> None:
    vendor, adapter = vendor_adapter
    listing = await adapter.list_leave_types()
    ids = {t.id for t in listing.items}
    expected = facts(vendor, "DISCOVERY", DiscoveryFacts)
    if expected.leave_types is None:  # no documented list: how to find them, instead
        assert not listing.available
        assert not listing.items
        for words in expected.how:
            assert words in listing.how
        return
    assert listing.available
    assert expected.leave_types.ids <= ids
    units = {t.unit for t in listing.items}
    assert units == expected.leave_types.units
    # A vendor that sees only the types in use says the list may be partial.
    assert listing.complete is expected.leave_types.complete


async def test_an_adapter_says_up_front_whether_it_lists_every_leave_type(
    vendor_adapter: tuple[str, Discovery],
) -> None:
    # The configuration check asks for the types only when the capability says the list is
    # complete (a partial one proves nothing, and reading it costs the vendor a request).
    _vendor, adapter = vendor_adapter
    listing = await adapter.list_leave_types()
    says = adapter.capabilities.lists_every_leave_type  # type: ignore[attr-defined]
    assert says is (listing.available and listing.complete) or not listing.available
