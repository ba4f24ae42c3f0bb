"""The state store fails clearly and cannot be shared by accident (issue 14, item 6).

- a damaged, truncated, unreadable or read-only state file is one error line naming the file
  and what to do, exit 2, before any vendor is contacted;
- an empty file is not silently taken as a fresh journal;
- the run lock is taken on the resolved real path: a symlink or a deleted lock file cannot let
  two runs write at once;
- a run left `running` by a kill is shown as interrupted once nobody holds the lock.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from typer.testing import CliRunner

from balance_gateway.gateway.cli import app
from balance_gateway.gateway.errors import SetupError
from balance_gateway.gateway.journal import RunRecord, StateStoreError
from balance_gateway.gateway.lock import RunLock, RunLocked
from balance_gateway.gateway.store.sqlite import SqliteJournal
from tests.gateway.gateway_fakes import BASIC_CSV, BASIC_TOML, ENV


class _Counter(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def _any(self) -> None:
        type(self).hits.append(self.path)
        self.send_response(500)
        self.end_headers()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def vendor() -> Iterator[tuple[str, list[str]]]:
    """A server on 127.0.0.1 standing in for every vendor, counting the requests it gets."""
    hits: list[str] = []
    handler = type("Handler", (_Counter,), {"hits": hits})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


@pytest.fixture
def folder(tmp_path: Path, vendor: tuple[str, list[str]]) -> Path:
    base_url, _ = vendor
    toml = BASIC_TOML
    for host in ("http://hr.invalid", "http://time.invalid", "http://bank.invalid"):
        toml = toml.replace(host, base_url)
    (tmp_path / "config.toml").write_text(toml)
    (tmp_path / "employees.csv").write_text(BASIC_CSV.lstrip())
    (tmp_path / "state").mkdir()
    return tmp_path


def _journal_with_runs(path: Path, runs: int = 30) -> None:
    journal = SqliteJournal(path)
    for n in range(runs):
        journal.start_run(
            RunRecord(f"run-{n:04d}", datetime.now(UTC), "config.toml", ("s",), message="x" * 500)
        )
    journal.close()


def _invoke(folder: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner(env={**ENV, "COLUMNS": "3000"}).invoke(
        app, [*args, "--config", str(folder / "config.toml")]
    )
    return result.exit_code, result.stdout, result.stderr


STATE = "state/gateway.sqlite3"


def _damaged(path: Path) -> None:
    path.write_bytes(os.urandom(8192))


def _truncated(path: Path) -> None:
    _journal_with_runs(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def _header_only(path: Path) -> None:
    _journal_with_runs(path)
    path.write_bytes(path.read_bytes()[:100])


def _a_folder(path: Path) -> None:
    path.mkdir()


BROKEN = {
    "damaged": (_damaged, "damaged"),
    "truncated": (_truncated, "damaged"),
    "header_only": (_header_only, "damaged"),
    "a_folder": (_a_folder, "cannot be opened"),
    "empty": (lambda p: p.write_bytes(b""), "empty"),
}


@pytest.mark.parametrize("command", [["plan"], ["sync", "--yes"], ["sync", "--dry-run"], ["runs"]])
@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_state_store_is_one_error_line_and_exit_2_before_any_vendor(
    folder: Path, vendor: tuple[str, list[str]], case: str, command: list[str]
) -> None:
    make, words = BROKEN[case]
    make(folder / STATE)
    code, out, err = _invoke(folder, *command)
    assert code == 2, out + err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert str(folder / STATE) in lines[0]
    assert words in lines[0]
    assert "Traceback" not in out + err
    assert vendor[1] == []  # no vendor was contacted


def test_an_empty_state_file_says_what_to_do(folder: Path) -> None:
    (folder / STATE).write_bytes(b"")
    _, _, err = _invoke(folder, "sync", "--yes")
    assert "0 bytes" in err
    assert "delete" in err
    assert (folder / STATE).stat().st_size == 0  # not silently made a fresh journal


def test_a_read_only_state_store_is_refused_clearly(
    folder: Path, vendor: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = folder / STATE
    _journal_with_runs(path, runs=1)
    if os.geteuid() != 0:
        path.chmod(0o444)
        (folder / "state").chmod(0o555)
    else:
        # Root writes any file whatever its mode: open it the way SQLite opens a file it may
        # not write (mode=ro), which gives the very error a read-only file gives.
        real_connect = sqlite3.connect

        def read_only(database: str, isolation_level: None = None) -> sqlite3.Connection:
            return real_connect(f"file:{database}?mode=ro", isolation_level=None, uri=True)

        monkeypatch.setattr(sqlite3, "connect", read_only)
    try:
        code, out, err = _invoke(folder, "sync", "--yes")
    finally:
        (folder / "state").chmod(0o755)
    assert code == 2, out + err
    assert str(path) in err
    assert "read-only" in err
    assert vendor[1] == []


def test_the_damaged_store_error_is_a_setup_error() -> None:
    assert issubclass(StateStoreError, SetupError)


# -- the run lock -------------------------------------------------------------------------------


def test_the_lock_is_taken_on_the_real_path_behind_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real" / "state.sqlite3"
    real.parent.mkdir()
    _journal_with_runs(real, runs=1)
    alias = tmp_path / "alias.sqlite3"
    alias.symlink_to(real)
    with RunLock(real), pytest.raises(RunLocked) as caught:
        RunLock(alias).acquire()
    assert str(alias) in str(caught.value)
    linked_folder = tmp_path / "linked"
    linked_folder.symlink_to(real.parent)
    with RunLock(linked_folder / "state.sqlite3"), pytest.raises(RunLocked):
        RunLock(real).acquire()


def test_a_deleted_lock_file_does_not_let_a_second_run_in(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite3"
    _journal_with_runs(state, runs=1)
    with RunLock(state) as held:
        held.path.unlink()
        with pytest.raises(RunLocked):
            RunLock(state).acquire()
    RunLock(state).acquire()  # free once the first run ended


def test_a_run_left_running_by_a_kill_shows_as_interrupted_once_the_lock_is_free(
    folder: Path,
) -> None:
    path = folder / STATE
    journal = SqliteJournal(path)
    journal.start_run(RunRecord("run-killed", datetime.now(UTC), "config.toml", ("s",)))
    journal.close()
    with RunLock(path):
        code, out, _ = _invoke(folder, "runs", "--json")
        assert code == 0
        assert json.loads(out)["runs"][0]["status"] == "running"  # still going on, for all we know
    code, out, _ = _invoke(folder, "runs", "--json")
    assert json.loads(out)["runs"][0]["status"] == "interrupted"
    code, out, _ = _invoke(folder, "runs")
    assert "interrupted" in out
