"""`systems`, `discover` and `map` on the demo's emulators, over real HTTP: a new user finds
ids without reading JSON, and `map` rebuilds the mapping from the systems alone."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from balance_gateway.gateway.cli import app
from balance_gateway.gateway.demo import ENV, PROFILES, VENDORS, DemoEnvironment, DemoPerson
from tests.adapters.vendor_facts import DiscoveryFacts, ListedType, facts, vendors_with

PEOPLE = 200  # the demo's own size
# The demo's systems are named after their vendors. Three that take one credential each: one
# left unset, one given a wrong value, one as configured.
UNSET, WRONG, OK = (v for v in VENDORS if len(PROFILES[v].credentials) == 1)
# A system with no documented list of leave types (its DISCOVERY facts say how to find them).
UNLISTED = next(
    v
    for v in vendors_with("DISCOVERY")
    if facts(v, "DISCOVERY", DiscoveryFacts).leave_types is None
)


def _variable(system: str) -> str:
    """The environment variable of `system`'s one credential."""
    (key,) = PROFILES[system].credentials
    return f"DEMO_{system.upper()}_{key.upper()}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoEnvironment]:
    with DemoEnvironment(tmp_path_factory.mktemp("demo"), people=PEOPLE, seed=3) as env:
        yield env


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("COLUMNS", "80")
    return CliRunner()


def _rows(person: DemoPerson) -> dict[str, str]:
    return dict(person.ids)


def test_systems_lists_credentials_and_checks_every_connection(
    demo: DemoEnvironment, runner: CliRunner
) -> None:
    result = runner.invoke(app, ["systems", "--config", str(demo.config_path), "--json"])
    assert result.exit_code == 0, result.output
    systems = {s["system"]: s for s in json.loads(result.stdout)["systems"]}
    assert set(systems) == set(VENDORS)
    assert all(s["connection"] == "ok" for s in systems.values())
    for name, system in systems.items():
        assert system["credentials"] == [
            {"key": key, "variable": f"DEMO_{name.upper()}_{key.upper()}", "set": True}
            for key in PROFILES[name].credentials
        ]
    for secret in ENV.values():
        if secret.startswith("demo-"):
            assert secret not in result.output


def test_systems_names_unset_variables_and_failed_logins(
    demo: DemoEnvironment, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(_variable(UNSET))
    monkeypatch.setenv(_variable(WRONG), "a-wrong-key")
    result = runner.invoke(app, ["systems", "--config", str(demo.config_path), "--json"])
    assert result.exit_code == 1
    systems = {s["system"]: s for s in json.loads(result.stdout)["systems"]}
    assert systems[UNSET]["connection"] == "not checked"
    assert _variable(UNSET) in systems[UNSET]["detail"]
    assert systems[WRONG]["connection"] == "failed"
    assert systems[OK]["connection"] == "ok"
    assert "a-wrong-key" not in result.output
    table = runner.invoke(app, ["systems", "--config", str(demo.config_path)])
    assert "NOT SET" in table.output


def test_discover_lists_each_systems_employees_and_types(
    demo: DemoEnvironment, runner: CliRunner
) -> None:
    config = str(demo.config_path)
    person = demo.dataset.people[0]
    for system, expected_id in _rows(person).items():
        result = runner.invoke(
            app, ["discover", system, "--employees", "--config", config, "--json"]
        )
        assert result.exit_code == 0, result.output
        found = {item["id"]: item for item in json.loads(result.stdout)["items"]}
        assert expected_id in found, system
        assert found[expected_id]["email"].lower() == person.email
    listed = vendors_with("DEMO_LISTED_TYPE")
    assert listed, "no vendor says which leave type discover lists"
    for system in listed:
        expected = facts(system, "DEMO_LISTED_TYPE", ListedType)
        types = runner.invoke(app, ["discover", system, "--types", "--config", config])
        assert types.exit_code == 0, types.output
        assert expected.name in types.output
        assert expected.id in types.output  # a whole id, at 80 columns


def test_discover_says_what_a_dialect_cannot_list(demo: DemoEnvironment, runner: CliRunner) -> None:
    config = str(demo.config_path)
    result = runner.invoke(app, ["discover", UNLISTED, "--types", "--config", config])
    assert result.exit_code == 1
    assert "cannot list" in result.output
    for words in facts(UNLISTED, "DISCOVERY", DiscoveryFacts).how:
        assert words in result.output
    usage = runner.invoke(app, ["discover", UNLISTED, "--config", config])
    assert usage.exit_code == 2
    unknown = runner.invoke(app, ["discover", "nope", "--types", "--config", str(demo.config_path)])
    assert unknown.exit_code == 2
    assert "no system 'nope'" in unknown.output


def test_map_rebuilds_the_demo_mapping_from_the_systems_alone(
    demo: DemoEnvironment, runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "proposed.csv"
    result = runner.invoke(
        app, ["map", "--config", str(demo.config_path), "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["matched"] / report["people"] >= 0.95
    with out.open() as file:
        written = [{k: v for k, v in row.items() if v} for row in csv.DictReader(file)]
    truth = [_rows(p) for p in demo.dataset.people]
    agree = [row for row in written if row in truth]
    assert len(agree) >= 0.95 * PEOPLE
    # Every person of the systems is either in a row of several systems, or listed unmatched.
    unmatched = {(u["system"], u["id"]) for u in report["unmatched"]}
    for person in demo.dataset.people:
        for system, employee in _rows(person).items():
            in_row = any(row.get(system) == employee and len(row) > 1 for row in written)
            assert in_row or (system, employee) in unmatched
    # Some systems know some people only by employee number: those rows were joined by it.
    assert any("employee number" in r["matched_by"] for r in report["rows"])


def test_map_never_overwrites_silently_and_merge_keeps_the_existing_rows(
    demo: DemoEnvironment, runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "employees.csv"
    person = demo.dataset.people[1]
    # A reviewed row that disagrees with the systems: one of its cells (of a system the person
    # is in) was left empty on purpose.
    reviewed = {**_rows(person), next(s for s in VENDORS if s in person.ids): ""}
    header = [*VENDORS, "hours_per_day"]  # the configured systems' order
    out.write_text(
        ",".join(header) + "\n" + ",".join(reviewed.get(c, "") for c in header[:-1]) + ",7.5\n"
    )
    before = out.read_text()
    refused = runner.invoke(app, ["map", "--config", str(demo.config_path), "--out", str(out)])
    assert refused.exit_code == 2
    assert "--merge" in refused.output
    assert out.read_text() == before
    merged = runner.invoke(
        app, ["map", "--config", str(demo.config_path), "--out", str(out), "--merge", "--json"]
    )
    assert merged.exit_code == 0, merged.output
    report = json.loads(merged.stdout)
    lines = out.read_text().splitlines()
    assert lines[:2] == before.splitlines()  # kept as it was, hours_per_day included
    assert report["kept"] == 1
    assert [c["line"] for c in report["conflicts"]] == [2]
    assert len(lines) > 2
