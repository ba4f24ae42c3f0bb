"""The pytest plugin as a user meets it: a test file of their own, run by plain `pytest`."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from balance_gateway.adapters._emulator import EmulatorOptions, ServerThread, build_emulator
from balance_gateway.contracts._harness import load_fixtures

pytestmark = pytest.mark.timeout(120)

# Plain pytest, in a fresh process, as a user would run it: the plugin comes from the
# installed entry point, nothing from this repository's conftest.
ARGS = ("-p", "no:cacheprovider", "-p", "no:asyncio", "-W", "error")

USER_TESTS = """
import asyncio

import pytest

from balance_gateway.adapters.bezala import TimeBalance
from balance_gateway.adapters.zeitstrom import ServerError


def test_in_process_client_reads_the_sample_data(bezala_emulator):
    records = list(bezala_emulator.client.iter_time_balances(819))
    assert records and all(isinstance(r, TimeBalance) for r in records)
    assert not bezala_emulator.over_http


def test_over_http_on_loopback(kenjo_emulator_http):
    assert kenjo_emulator_http.base_url.startswith("http://127.0.0.1:")
    assert kenjo_emulator_http.credentials == {"api_key": kenjo_emulator_http.emulator.token}
    assert list(kenjo_emulator_http.client.iter_employees())


def test_async_client_in_process(journyx_emulator):
    async def read():
        async with journyx_emulator.async_client() as client:
            return [accrual async for accrual in client.iter_accruals()]

    assert asyncio.run(read())


def test_login_vendor(companyflow_emulator):
    balance = companyflow_emulator.client.get_balance(
        "a1b2c3d4-e5f6-7890-abcd-ef1234567890", year=2025
    )
    assert balance.total_days is not None


@pytest.mark.balance_gateway_faults(error_rate=1.0, error_status=503)
def test_faults_from_a_marker(zeitstrom_emulator):
    client = zeitstrom_emulator.make_client(retry=None)
    with pytest.raises(ServerError):
        list(client.iter_transactions())
    zeitstrom_emulator.set_faults()
    assert list(client.iter_transactions())


def test_factory_starts_several(balance_gateway_emulator):
    one = balance_gateway_emulator("bezala")
    two = balance_gateway_emulator("bezala", http=True)
    one.client.import_time_balance(819, balance_type="vacation", date="2026-03-31", value=4)
    # Separate emulators: the write went to one only.
    latest = two.client.latest_time_balance(819, balance_type="vacation")
    assert latest is None or latest.date.isoformat() != "2026-03-31"
"""


def test_a_users_test_file_passes_with_only_the_plugins_fixtures(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_mine=USER_TESTS)
    result = pytester.runpytest_subprocess(*ARGS)
    result.assert_outcomes(passed=6)


def test_every_vendor_has_both_fixtures(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--fixtures", *ARGS)
    for vendor in ("bezala", "companyflow", "journyx", "kenjo", "zeitstrom"):
        result.stdout.fnmatch_lines([f"{vendor}_emulator -- *", f"{vendor}_emulator_http -- *"])


def test_a_contract_suite_is_one_case_per_fixture_with_its_provenance(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_contracts="""
from balance_gateway.contracts.pytest_plugin import contract_suite

test_bezala_contract = contract_suite("bezala")
test_bezala_sdk = contract_suite("bezala", against="sdk")
"""
    )
    fixtures = load_fixtures("bezala")
    result = pytester.runpytest_subprocess(
        "-v", "--junitxml=report.xml", "-o", "junit_family=xunit1", *ARGS
    )
    no_sdk_call = sum(1 for f in fixtures if f.sdk is None)  # skipped by the SDK suite
    result.assert_outcomes(passed=2 * len(fixtures) - no_sdk_call, skipped=no_sdk_call)
    first = fixtures[0]
    result.stdout.fnmatch_lines([f"*test_bezala_contract?{first.name}-{first.provenance}? PASSED*"])
    cases = ET.parse(pytester.path / "report.xml").getroot().iter("testcase")
    provenance = {
        case.get("name"): {p.get("name"): p.get("value") for p in case.iter("property")}
        for case in cases
    }
    name = f"test_bezala_contract[{first.name}-{first.provenance}]"
    assert provenance[name]["provenance"] == first.provenance


def test_a_contract_suite_runs_live_against_a_base_url_from_the_environment(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The "live vendor" is an emulator on loopback: the suite cannot tell the difference.
    emulator = build_emulator("zeitstrom", EmulatorOptions(token="live-token"))
    pytester.makepyfile(
        test_live="""
from balance_gateway.contracts.pytest_plugin import contract_suite

test_zeitstrom_contract = contract_suite("zeitstrom")
"""
    )
    with ServerThread(emulator.app) as server:
        monkeypatch.setenv("BALANCE_GATEWAY_LIVE_URL", server.base_url)
        monkeypatch.setenv("ZEITSTROM_TOKEN", "live-token")
        result = pytester.runpytest_subprocess("-rs", *ARGS)
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 1, result.stdout.str()
    assert "failed" not in outcomes, result.stdout.str()
    # Writes and fixtures that need emulator state are skipped live, with the reason.
    result.stdout.fnmatch_lines(["*not replayed live*"])


def test_a_live_run_without_credentials_names_the_variables(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ZEITSTROM_TOKEN", raising=False)
    pytester.makepyfile(
        test_live="""
from balance_gateway.contracts.pytest_plugin import contract_suite

test_zeitstrom_contract = contract_suite("zeitstrom")
"""
    )
    result = pytester.runpytest_subprocess(
        "--balance-gateway-live-url", "http://127.0.0.1:9", *ARGS
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*needs the environment variables: ZEITSTROM_TOKEN*"])


def test_without_the_emulators_extra_a_fixture_says_what_to_install(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(
        """
import sys

for name in ("fastapi", "uvicorn", "jwt"):
    sys.modules[name] = None  # as if the extra were not installed
"""
    )
    pytester.makepyfile(test_x="def test_x(bezala_emulator):\n    pass\n")
    result = pytester.runpytest_subprocess(*ARGS)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*pip install 'balance-gateway?emulators?'*"])
    assert "During handling" not in result.stdout.str()


def test_the_readme_example_passes_as_written(pytester: pytest.Pytester) -> None:
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = re.search(r"<!-- example:pytest-plugin -->\n```python\n(.*?)```", text, re.DOTALL)
    assert section is not None, "README.md has no pytest plugin example"
    pytester.makepyfile(test_balances=section.group(1))
    result = pytester.runpytest_subprocess(*ARGS)
    outcomes = result.parseoutcomes()
    assert outcomes["passed"] == 3 + len(load_fixtures("bezala")), result.stdout.str()
    assert "failed" not in outcomes
