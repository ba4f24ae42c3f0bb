"""Bad configuration, end to end through the command line: every malformed config or mapping
CSV gives ONE clear error that names the file and the key (or, for the CSV, the line), exit
code 2, no traceback, and nothing written.

The unit tests (tests/gateway/test_gateway_config.py) check `load_config` and `load_mapping`;
here each case goes through `balance-gateway plan --config FILE` and `sync --config FILE --yes`
(typer's CliRunner on `gateway.cli.app`, and a few through the installed entry point in a
subprocess), and the exact `FILE[, line N]: KEY: ` head of the message is asserted.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from balance_gateway.adapters._core.registry import VENDORS
from balance_gateway.gateway.cli import app
from balance_gateway.gateway.config import load_config
from tests.stress._vendors import vendor_like

# Vendors that take these credentials, like the ones a user would have: a read-only source
# and a writable target.
HR_VENDOR = vendor_like(("email", "password"), can_read=True, can_write=False)
TIME_VENDOR = vendor_like(("token",), can_read=True, can_write=True)
CONFIG = f"""\
[systems.hr]
vendor = "{HR_VENDOR}"
base_url = "http://127.0.0.1:9"
credentials = {{ email = "HR_EMAIL", password = "HR_PASSWORD" }}

[systems.time]
vendor = "{TIME_VENDOR}"
base_url = "http://127.0.0.1:9"
credentials = {{ token = "TIME_TOKEN" }}

[[syncs]]
name = "hr-to-time"
source = "hr"
target = "time"
types = [{{ source = "annual", target = "holiday", kind = "vacation" }}]
rounding = {{ step = "0.5", mode = "half_even" }}
as_of = "2025-03-31"

[mapping]
file = "employees.csv"

[schedule]
hours_per_day = 8

[state]
path = "state.sqlite3"
"""
MAPPING = "hr,time,hours_per_day\nE1,Z1,8\nE2,Z2,7.5\n"
ENV = {
    "HR_EMAIL": "reader@example.com",
    "HR_PASSWORD": "hr-password-value",
    "TIME_TOKEN": "time-token-value",
    "COLUMNS": "2000",  # one message, one line: no wrapping inside a path or a key
    "NO_COLOR": "1",
}
LITERAL = "sk_live_51HqLyjWDarjtT1zdp7dc0Lk"


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first line holding `needle`."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@dataclass(frozen=True)
class Case:
    """A broken configuration: what to change, and the error expected.

    `config`/`mapping` map the good file's text to the broken one (bytes for a binary file);
    `file` is the file the error must name ("config.toml", "employees.csv", or another name);
    `line` and `key` the line and key it must name (None: the message has none); `words` what
    it must say; `args` extra arguments of the command."""

    config: Callable[[str], str | bytes] = lambda text: text
    mapping: Callable[[str], str | bytes] = lambda text: text
    file: str = "config.toml"
    line: int | None = None
    key: str | None = None
    words: str = ""
    args: tuple[str, ...] = ()
    config_name: str = "config.toml"


def _replace(old: str, new: str) -> Callable[[str], str]:
    def change(text: str) -> str:
        assert old in text
        return text.replace(old, new)

    return change


CASES: dict[str, Case] = {
    # -- the mapping CSV ---------------------------------------------------------------------
    "mapping-missing-column": Case(
        mapping=lambda _: "hr,hours_per_day\nE1,8\n",
        file="employees.csv",
        line=1,
        key="time",
        words="the header has no column for 'time'",
    ),
    "mapping-unknown-column": Case(
        mapping=lambda _: "hr,time,payroll\nE1,Z1,P1\n",
        file="employees.csv",
        line=1,
        key="payroll",
        words="no configured system is called 'payroll'",
    ),
    "mapping-duplicate-employee": Case(
        mapping=lambda _: "hr,time\nE1,Z1\nE2,Z2\nE1,Z3\n",
        file="employees.csv",
        line=4,
        key="hr",
        words="employee id 'E1' appears twice (first on line 2)",
    ),
    "mapping-duplicate-target-employee": Case(
        mapping=lambda _: "hr,time\nE1,Z1\nE2,Z1\n",
        file="employees.csv",
        line=3,
        key="time",
        words="employee id 'Z1' appears twice (first on line 2)",
    ),
    "mapping-short-row": Case(
        mapping=lambda _: "hr,time,hours_per_day\nE1,Z1,8\nE2\n",
        file="employees.csv",
        line=3,
        words="expected 3 cells (like the header), found 1",
    ),
    "mapping-unclosed-quote": Case(
        mapping=lambda _: 'hr,time\nE1,Z1\nE2,"Z2\nE3,Z3\nE4,Z4\n',
        file="employees.csv",
        line=3,
        words="a cell spans several lines: is a quote left unclosed?",
    ),
    "mapping-long-row": Case(
        mapping=lambda _: "hr,time\nE1,Z1\nE2,Z2,8,extra\n",
        file="employees.csv",
        line=3,
        words="expected 2 cells (like the header), found 4",
    ),
    "mapping-bad-hours-per-day": Case(
        mapping=lambda _: "hr,time,hours_per_day\nE1,Z1,8\nE2,Z2,eight\n",
        file="employees.csv",
        line=3,
        key="hours_per_day",
        words="'eight' is not a working day in hours",
    ),
    "mapping-hours-per-day-out-of-range": Case(
        mapping=lambda _: "hr,time,hours_per_day\nE1,Z1,25\n",
        file="employees.csv",
        line=2,
        key="hours_per_day",
        words="'25' is not a working day in hours",
    ),
    "mapping-empty": Case(
        mapping=lambda _: "",
        file="employees.csv",
        line=1,
        words="the employee mapping is empty",
    ),
    "mapping-missing-file": Case(
        config=_replace('file = "employees.csv"', 'file = "people.csv"'),
        file="people.csv",
        words="cannot read the employee mapping: No such file or directory",
    ),
    "mapping-not-utf8": Case(
        mapping=lambda _: b"hr,time\nE1,Z1\nE2,Z\xe92\n",
        file="employees.csv",
        line=3,
        words="not a UTF-8 text file",
    ),
    "mapping-oversized-cell": Case(
        mapping=lambda _: "hr,time\nE1,Z1\nE2," + "x" * 200_000 + "\n",
        file="employees.csv",
        line=3,
        words="not a readable CSV row",
    ),
    # -- the TOML configuration ----------------------------------------------------------------
    "unknown-vendor": Case(
        config=_replace(f'vendor = "{TIME_VENDOR}"', 'vendor = "workday"'),
        key="systems.time.vendor",
        words=f"unknown vendor 'workday'; expected one of {', '.join(sorted(VENDORS))}",
    ),
    "literal-secret": Case(
        config=_replace('token = "TIME_TOKEN"', f'token = "{LITERAL}"'),
        key="systems.time.credentials.token",
        words="a credential must name an environment variable",
    ),
    "as-of-impossible-date": Case(
        config=_replace('as_of = "2025-03-31"', 'as_of = "2025-02-30"'),
        key="syncs[0].as_of",
        words="must be \"today\" or a date written YYYY-MM-DD (e.g. 2025-03-31), got '2025-02-30'",
    ),
    "as-of-word": Case(
        config=_replace('as_of = "2025-03-31"', 'as_of = "yesterday"'),
        key="syncs[0].as_of",
        words="must be \"today\" or a date written YYYY-MM-DD (e.g. 2025-03-31), got 'yesterday'",
    ),
    "as-of-date-time": Case(
        config=_replace('as_of = "2025-03-31"', "as_of = 2025-03-31T08:00:00"),
        key="syncs[0].as_of",
        words='must be "today" or a date written YYYY-MM-DD',
    ),
    "as-of-bare-toml-date-invalid": Case(
        config=_replace('as_of = "2025-03-31"', "as_of = 2025-02-30"),
        line=line_of(CONFIG, "as_of"),
        words="not valid TOML at column 9: Invalid date or datetime",
    ),
    "rounding-step-zero": Case(
        config=_replace('step = "0.5"', 'step = "0"'),
        key="syncs[0].rounding.step",
        words="Input should be greater than 0",
    ),
    "rounding-step-not-a-number": Case(
        config=_replace('step = "0.5"', 'step = "half"'),
        key="syncs[0].rounding.step",
        words="Input should be a valid decimal",
    ),
    "rounding-mode-unknown": Case(
        config=_replace('mode = "half_even"', 'mode = "half_sideways"'),
        key="syncs[0].rounding.mode",
        words="Input should be 'half_up', 'half_even'",
    ),
    "sync-unknown-target-system": Case(
        config=_replace('target = "time"', 'target = "payroll"'),
        key="syncs[0].target",
        words="no system is called 'payroll'; configured: hr, time",
    ),
    "sync-unknown-source-system": Case(
        config=_replace('source = "hr"', 'source = "crm"'),
        key="syncs[0].source",
        words="no system is called 'crm'; configured: hr, time",
    ),
    "sync-name-not-configured": Case(
        key="syncs",
        words="no sync is called 'nope'; configured: hr-to-time",
        args=("--sync", "nope"),
    ),
    "schedule-hours-per-day-zero": Case(
        config=_replace("hours_per_day = 8", "hours_per_day = 0"),
        key="schedule.hours_per_day",
        words="hours_per_day must be greater than 0 and at most 24, got 0",
    ),
    "schedule-hours-per-day-text": Case(
        config=_replace("hours_per_day = 8", 'hours_per_day = "eight"'),
        key="schedule.hours_per_day",
        words="Input should be a valid decimal",
    ),
    "schedule-key-misspelt": Case(
        config=_replace("hours_per_day = 8", "hours_per_days = 8"),
        key="schedule.hours_per_days",
        words="an unknown key; did you mean 'hours_per_day'?",
    ),
    "not-toml": Case(
        config=lambda _: f"systems: {{ hr: {HR_VENDOR} }}\n",
        line=1,
        words="not valid TOML at column 8: Expected '=' after a key in a key/value pair",
    ),
    "not-text": Case(
        config=lambda _: b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe",
        line=1,
        words="not a UTF-8 text file",
    ),
    "missing-config-file": Case(
        config_name="absent.toml",
        file="absent.toml",
        words="cannot read the configuration: No such file or directory",
    ),
}


def write(folder: Path, case: Case) -> Path:
    """The good files with `case`'s change, in `folder`; returns the config path to pass."""
    for name, text in (
        ("config.toml", case.config(CONFIG)),
        ("employees.csv", case.mapping(MAPPING)),
    ):
        path = folder / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
    return folder / case.config_name


def expected_head(folder: Path, case: Case) -> str:
    """`error: FILE[, line N][: KEY]: `, as the command prints it."""
    head = f"error: {folder / case.file}"
    if case.line is not None:
        head += f", line {case.line}"
    if case.key is not None:
        head += f": {case.key}"
    return head + ": "


COMMANDS = {"plan": ("plan",), "sync": ("sync", "--yes")}


def test_the_good_configuration_loads(tmp_path: Path) -> None:
    """Every case below breaks exactly one thing of a configuration that is otherwise valid."""
    config = load_config(write(tmp_path, Case()), env=ENV)
    assert config.mapping is not None
    assert len(config.mapping) == 2
    assert [s.name for s in config.file.syncs] == ["hr-to-time"]


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_configuration_gives_one_clear_error_and_exit_2(
    tmp_path: Path, name: str, command: str
) -> None:
    case = CASES[name]
    config = write(tmp_path, case)
    result = CliRunner().invoke(
        app, [*COMMANDS[command], "--config", str(config), *case.args], env=ENV
    )
    output = result.output
    assert result.exit_code == 2, output
    # Exited through the CLI's own error path, not an exception escaping it.
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in output
    assert output.count("error:") == 1, output
    assert expected_head(tmp_path, case) + case.words in output
    assert LITERAL not in output
    if name == "literal-secret":
        assert "it looks like a literal secret, which is refused" in output
    assert not (tmp_path / "state.sqlite3").exists()


@pytest.mark.parametrize(
    "name", ["not-text", "mapping-oversized-cell", "as-of-impossible-date", "literal-secret"]
)
def test_the_installed_command_prints_no_traceback(tmp_path: Path, name: str) -> None:
    """The same through the real entry point, in a subprocess: stderr holds the one error."""
    case = CASES[name]
    config = write(tmp_path, case)
    script = Path(sys.executable).with_name("balance-gateway")
    entry = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-c", "from balance_gateway.gateway.cli import main; main()"]
    )
    done = subprocess.run(
        [*entry, "plan", "--config", str(config)],
        env={**os.environ, **ENV},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert done.stderr.count("error:") == 1, done.stderr
    assert expected_head(tmp_path, case) + case.words in done.stderr
    assert LITERAL not in done.stderr
