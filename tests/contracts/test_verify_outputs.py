"""`contracts verify` for CI systems: JUnit XML, JSON, `--strict`, documented exit codes."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from balance_gateway.adapters._core.registry import VENDORS
from balance_gateway.contracts._harness import load_fixtures
from balance_gateway.contracts._harness.runner import CheckResult
from balance_gateway.contracts._harness.verify import (
    outcome,
    report,
    results_json,
    summary,
    write_junit,
)
from balance_gateway.gateway.cli import app

ONE = VENDORS[0]  # one vendor's contract, where any will do


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("COLUMNS", "160")
    return CliRunner()


@pytest.mark.parametrize("vendor", VENDORS)
def test_json_lists_every_check_with_its_provenance(runner: CliRunner, vendor: str) -> None:
    result = runner.invoke(app, ["contracts", "verify", vendor, "--against", "sdk", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    fixtures = {f.name: f.provenance for f in load_fixtures(vendor)}
    assert {c["fixture"] for c in data["checks"]} == set(fixtures)
    assert {c["target"] for c in data["checks"]} == {"sdk", "sdk-async"}
    assert all(c["provenance"] == fixtures[c["fixture"]] for c in data["checks"])
    assert data["summary"]["failed"] == 0
    assert data["summary"]["passed"] + data["summary"]["skipped"] == len(data["checks"])


@pytest.mark.parametrize("vendor", VENDORS)
def test_junit_has_one_testcase_per_check(runner: CliRunner, tmp_path: Path, vendor: str) -> None:
    report = tmp_path / "reports" / f"{vendor}.xml"
    result = runner.invoke(app, ["contracts", "verify", vendor, "--junit", str(report)])
    assert result.exit_code == 0, result.output
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == len(load_fixtures(vendor)) == int(suite.get("tests", "-1"))
    assert suite.get("failures") == "0"
    first = cases[0]
    assert first.get("classname") == f"contracts.{vendor}.emulator"
    props = {p.get("name"): p.get("value") for p in first.iter("property")}
    assert props["provenance"] in {"seed", "docs", "assumed"}


def _result(*, problems: list[str] | None = None, additive: list[str] | None = None) -> CheckResult:
    fixture = load_fixtures(ONE)[0]
    return CheckResult(fixture, "live", problems=problems or [], additive=additive or [])


def test_strict_fails_additive_drift_that_is_otherwise_a_pass(tmp_path: Path) -> None:
    drifted = _result(additive=["$.colour: new member"])
    assert outcome(drifted) == "pass"
    assert outcome(drifted, strict=True) == "fail"
    assert summary([drifted], strict=True)["failed"] == 1
    assert results_json(ONE, [drifted], strict=True)["checks"][0]["outcome"] == "fail"
    path = tmp_path / "strict.xml"
    write_junit(path, ONE, [drifted], strict=True)
    failure = ET.parse(path).getroot().find("testsuite/testcase/failure")
    assert failure is not None
    assert failure.get("message") == "additive: $.colour: new member"


def test_usage_errors_exit_2(runner: CliRunner) -> None:
    assert runner.invoke(app, ["contracts", "verify", "nosuchvendor"]).exit_code == 2
    live = runner.invoke(app, ["contracts", "verify", ONE, "--against", "live"])
    assert live.exit_code == 2
    assert "--base-url" in live.output


@pytest.mark.parametrize("vendor", VENDORS)
def test_the_table_fits_80_columns_with_every_fixture_name_whole(vendor: str) -> None:
    fixtures = load_fixtures(vendor)
    problem = "status: expected 422, got 400 (the emulator answered a body the fixture does not)"
    results = [
        CheckResult(f, "emulator", problems=[problem] if n == 0 else [])
        for n, f in enumerate(fixtures)
    ]
    console = Console(width=80, record=True, color_system=None)
    assert report(vendor, results, console) is False  # the one failing check
    lines = console.export_text().splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in console.export_text()
    for f in fixtures:
        assert any(f.name in line for line in lines), f.name
    # The details, out of the table at this width, are still shown, next to their fixture.
    assert any(line.startswith(f"{fixtures[0].name}: status: expected 422") for line in lines)
