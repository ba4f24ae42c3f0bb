"""Reading and planning show progress (issue 17, item 4): `plan` and `sync` tell on stderr
what each system gave and what each sync planned, with counts; stdout keeps the report only,
and `--json` prints nothing but the JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from balance_gateway.gateway.cli_sync import AppliedLines

# hr holds 3 mapped people; time knows U1..U3 and holds one balance; bank cannot be read.
EXPECTED = [
    "read hr for hr-to-time: 3 balance(s) of 3 people",
    "read time for hr-to-time: 1 balance(s) of 3 people",
    "planned hr-to-time: 3 row(s), 3 to write",
    "read hr for hr-to-bank: 3 balance(s) of 3 people",
    "bank cannot be read: hr-to-bank compares with the values last written",
    "planned hr-to-bank: 3 row(s), 2 to write",
]


def _run(app: typer.Typer, tmp_path: Path, *args: str) -> Result:
    return CliRunner().invoke(app, [*args, "--config", str(tmp_path / "config.toml")])


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines()]


@pytest.mark.parametrize("command", [["plan"], ["sync", "--yes"], ["sync", "--dry-run"]])
def test_reading_and_planning_are_told_on_stderr(
    fake_cli: typer.Typer, tmp_path: Path, command: list[str]
) -> None:
    result = _run(fake_cli, tmp_path, *command)
    assert result.exit_code in (0, 1), result.output
    told = _lines(result.stderr)
    for line in EXPECTED:
        assert line in told, result.stderr
    assert not any("balance(s) of" in line for line in _lines(result.stdout))


def test_each_target_read_back_is_told_after_the_writes(
    fake_cli: typer.Typer, tmp_path: Path
) -> None:
    result = _run(fake_cli, tmp_path, "sync", "--yes")
    assert result.exit_code in (0, 1), result.output
    told = _lines(result.stderr)
    # time can be read back (3 writes, all as written); bank cannot, so nothing is told.
    assert "read back time: 3 of 3 write(s) as written" in told, result.stderr
    assert not any(line.startswith("read back bank") for line in told)
    planned = _run(fake_cli, tmp_path, "plan")
    assert not any(line.startswith("read back") for line in _lines(planned.stderr))


@pytest.mark.parametrize("command", [["plan"], ["sync", "--yes"]])
def test_json_output_has_no_progress(
    fake_cli: typer.Typer, tmp_path: Path, command: list[str]
) -> None:
    result = _run(fake_cli, tmp_path, *command, "--json")
    data = json.loads(result.stdout)  # nothing but the JSON on stdout
    assert [s["name"] for s in data["syncs"]] == ["hr-to-time", "hr-to-bank"]
    assert "balance(s) of" not in result.stderr
    assert "planned" not in result.stderr


def test_a_sync_with_nothing_to_write_draws_no_empty_bar(
    fake_cli: typer.Typer, tmp_path: Path
) -> None:
    first = _run(fake_cli, tmp_path, "sync", "--yes")
    assert first.exit_code in (0, 1), first.output
    assert "applying" in first.stderr  # the bar is drawn when there is something to apply
    again = _run(fake_cli, tmp_path, "sync", "--yes", "--sync", "hr-to-time")
    assert again.exit_code == 0, again.output
    assert "applying" not in again.stderr, again.stderr  # no "applying ... 0/0"


def test_rows_limits_each_syncs_table_and_says_where_every_row_is(
    fake_cli: typer.Typer, tmp_path: Path
) -> None:
    planned = _run(fake_cli, tmp_path, "plan", "--rows", "1")
    assert "hr-to-time: 1 of 3 rows shown (3 to write)" in " ".join(_lines(planned.stdout))
    limited = _run(fake_cli, tmp_path, "sync", "--yes", "--rows", "1")
    assert limited.exit_code in (0, 1), limited.output
    run_id = json.loads(_run(fake_cli, tmp_path, "runs", "--json").stdout)["runs"][0]["run_id"]
    shown = " ".join(_lines(limited.stdout))
    assert "hr-to-time: 1 of 3 rows shown (0 need attention); " in shown
    assert f"`balance-gateway runs show {run_id}` lists every operation" in shown
    # The default shows every row of a run this small.
    again = _run(fake_cli, tmp_path, "sync", "--yes")
    assert "rows shown" not in again.stdout


def test_writes_are_told_as_lines_where_stderr_is_no_terminal(
    fake_cli: typer.Typer, tmp_path: Path
) -> None:
    # A CI log would get the bar only once it is done: lines as the writes go instead.
    result = _run(fake_cli, tmp_path, "sync", "--yes")
    assert result.exit_code in (0, 1), result.output
    told = _lines(result.stderr)
    assert "applying: 5 of 5 write(s) done (100%)" in told, result.stderr
    assert "━" not in result.stderr  # no bar drawn


def test_a_tenth_of_the_writes_is_told_at_a_time_and_a_stop_is_told() -> None:
    told: list[str] = []
    lines = AppliedLines(told.append)
    lines.start(25)
    for _ in range(25):
        lines.advance()
    lines.finish()
    assert len(told) == 10
    assert told[0] == "applying: 3 of 25 write(s) done (12%)"
    assert told[-1] == "applying: 25 of 25 write(s) done (100%)"
    told.clear()
    lines.start(1000)
    for _ in range(250):
        lines.advance()
    lines.finish()  # interrupted: the last line says how far it got
    assert told[-1] == "applying stopped: 250 of 1,000 write(s) done"
    assert told[:-1] == [
        "applying: 100 of 1,000 write(s) done (10%)",
        "applying: 200 of 1,000 write(s) done (20%)",
    ]
