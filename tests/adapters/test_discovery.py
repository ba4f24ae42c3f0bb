"""Each adapter lists what its vendor's documented API can list (`discover`, `map`), and says
so where it cannot."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from balance_gateway.adapters._core.adapter import AdapterConfig
from balance_gateway.adapters._core.discovery import Discovery
from balance_gateway.adapters._core.errors import AuthenticationError
from balance_gateway.adapters._core.registry import build_adapter
from balance_gateway.adapters._core.secrets import Secret
from balance_gateway.adapters._emulator import EmulatorOptions, build_emulator
from balance_gateway.canonical import Unit

TOKEN = "discovery-token"
CREDENTIALS = {
    "bezala": {"token": TOKEN},
    "companyflow": {"email": "maria.manager@example.com", "password": TOKEN},
    "journyx": {"username": "admin", "api_key": TOKEN},
    "kenjo": {"api_key": TOKEN},
    "zeitstrom": {"token": TOKEN},
}
# What each emulator's sample data holds, as the vendor documents it.
EXPECTED_PEOPLE: dict[str, set[tuple[str, str | None, str | None]]] = {
    "bezala": {("819", "aino.virtanen@example.com", "1001"), ("42", "admin@example.com", None)},
    "companyflow": {
        ("987e6543-e21b-12d3-a456-426614174000", "jane.doe@example.com", "EMP001"),
        ("7a1b2c3d-4e5f-4061-8273-94a5b6c7d8e9", "maria.manager@example.com", "EMP003"),
    },
    "journyx": {("64BBA147B9AC41D9978062300826C89F", "john.doe@example.com", None)},
    "kenjo": {("65f1a0c0e4b0a1b2c3d4e511", "ana.garcia@example.com", None)},
    "zeitstrom": {("a1b2c3d4-e5f6-7890-abcd-ef1234567890", "anna.becker@example.com", "1")},
}


async def _adapter(vendor: str, credentials: dict[str, str] | None = None) -> Discovery:
    emulator = build_emulator(vendor, EmulatorOptions(token=TOKEN))
    config = AdapterConfig(
        system=f"my-{vendor}",
        base_url="http://emulator",
        credentials={k: Secret(v) for k, v in (credentials or CREDENTIALS[vendor]).items()},
        transport=httpx.ASGITransport(app=emulator.app),
    )
    adapter = build_adapter(vendor, config)
    assert isinstance(adapter, Discovery), f"{vendor} does not implement Discovery"
    return adapter


@pytest.fixture(params=sorted(CREDENTIALS))
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
    assert EXPECTED_PEOPLE[vendor] <= found
    assert all(p.name for p in listing.items if p.email)
    assert listing.how


async def test_leave_types_are_listed_or_the_reason_is_given(
    vendor_adapter: tuple[str, Discovery],
) -> None:
    vendor, adapter = vendor_adapter
    listing = await adapter.list_leave_types()
    ids = {t.id for t in listing.items}
    if vendor == "kenjo":  # no documented list of time-off types [DIALECTS]
        assert not listing.available
        assert not listing.items
        assert "Settings > Time off" in listing.how
        assert "type_units" in listing.how
        return
    assert listing.available
    expected = {
        "bezala": {"vacation", "work_time"},
        "companyflow": {"a1b2c3d4-e5f6-7890-abcd-ef1234567890"},
        "journyx": {"Vacation"},
        "zeitstrom": {"holiday"},
    }[vendor]
    assert expected <= ids
    units = {t.unit for t in listing.items}
    assert (
        units
        == {
            "bezala": {Unit.DAYS, Unit.MINUTES},
            "companyflow": {Unit.DAYS},
            "journyx": {Unit.HOURS},
            "zeitstrom": {Unit.DAYS},
        }[vendor]
    )
    # Zeitstrom sees only the types its ledger uses: it says the list may be partial.
    assert listing.complete is (vendor != "zeitstrom")


async def test_companyflow_refuses_an_employee_login_the_employee_list() -> None:
    adapter = await _adapter("companyflow", {"email": "jane.doe@example.com", "password": TOKEN})
    with pytest.raises(AuthenticationError):
        await adapter.list_people()
    await adapter.aclose()  # type: ignore[attr-defined]


async def test_companyflow_with_a_static_token_says_to_name_the_company() -> None:
    adapter = await _adapter("companyflow", {"token": "some-jwt"})
    listing = await adapter.list_people()
    assert not listing.available
    assert "company_id" in listing.how
    check = await adapter.check_connection()
    assert not check.checked
    await adapter.aclose()  # type: ignore[attr-defined]
