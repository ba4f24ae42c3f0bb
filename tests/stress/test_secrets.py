"""Secrets under stress: a full sync through the real command line, with distinctive fake
credentials, leaves no credential in any output, log line, journal row, report or exception.

The five emulators run under uvicorn on 127.0.0.1 with credentials that carry the marker
`MARK`; the gateway gets them from environment variables, as a user would give them. Systems
have names of their own (`hr_core`, not `companyflow`), so that "names the system" means the
configured name and not a vendor word that happens to be in a sync's name.

What must never appear, anywhere: every configured credential (and the marker, which catches a
partial echo), the Base64 of Journyx's Basic pair, and every session token the emulators issued
to the gateway's logins (read from the emulators themselves after each run).

Where it is looked for: stdout and stderr of every command (`-v` logs every HTTP request on
stderr), the `--json` outputs, every file next to the config (the SQLite state store: raw bytes,
its side files, and a dump of every table), structlog events, and the text of SDK exceptions.
Failures are forced: a wrong credential for each system (the error names the system, never the
value) and targets that answer 401 with the credential repeated in the body.
"""

from __future__ import annotations

import base64
import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from starlette.types import ASGIApp, Receive, Scope, Send
from structlog.testing import capture_logs

from balance_gateway.adapters._core.errors import GatewayError
from balance_gateway.adapters._emulator import EmulatorOptions, ServerThread, build_emulator
from balance_gateway.adapters._emulator.base import Emulator
from balance_gateway.adapters.bezala.demo import BEZALA_GATEWAY_USER
from balance_gateway.adapters.companyflow.demo import COMPANYFLOW_READER
from balance_gateway.adapters.journyx.emulator import SAMPLE_USERNAME
from balance_gateway.adapters.kenjo.client import AsyncClient as KenjoClient
from balance_gateway.adapters.kenjo.demo import KENJO_SICK, KENJO_VACATION
from balance_gateway.adapters.zeitstrom.client import AsyncClient as ZeitstromClient
from balance_gateway.gateway.config import load_config
from balance_gateway.gateway.demo import (
    DEMO_SYNCS_TOML,
    VENDORS,
    DemoDataset,
    generate_dataset,
    mapping_csv,
)
from balance_gateway.gateway.runner import run_plan, run_sync

MARK = "4f9c2a7e1b"
BEZALA_EMAIL = "gateway@secrets.example"

# vendor -> the system name the config gives it
SYSTEMS = {
    "companyflow": "hr_core",
    "kenjo": "people_app",
    "zeitstrom": "clock_in",
    "bezala": "expense_hub",
    "journyx": "project_time",
}

# The credentials each emulator accepts (its default tenant's token, or a login password).
TOKENS = {
    "bezala": f"SeCrEt-bezala-{MARK}",
    "companyflow": f"SeCrEt-companyflow-{MARK}",
    "journyx": f"SeCrEt-journyx-{MARK}",
    "kenjo": f"SeCrEt-kenjo-{MARK}",
    "zeitstrom": f"SeCrEt-zeitstrom-{MARK}",
}
BEZALA_PASSWORD = f"SeCrEt-bezala-password-{MARK}"

ENV = {
    "HR_CORE_EMAIL": COMPANYFLOW_READER,
    "HR_CORE_PASSWORD": TOKENS["companyflow"],
    "PEOPLE_APP_API_KEY": TOKENS["kenjo"],
    "CLOCK_IN_TOKEN": TOKENS["zeitstrom"],
    "EXPENSE_HUB_TOKEN": TOKENS["bezala"],
    "EXPENSE_HUB_EMAIL": BEZALA_EMAIL,
    "EXPENSE_HUB_PASSWORD": BEZALA_PASSWORD,
    "PROJECT_TIME_USERNAME": SAMPLE_USERNAME,
    "PROJECT_TIME_API_KEY": TOKENS["journyx"],
    # Journyx's login password is the API key.
    "PROJECT_TIME_PASSWORD": TOKENS["journyx"],
}
BASIC_PAIR = base64.b64encode(f"{SAMPLE_USERNAME}:{TOKENS['journyx']}".encode()).decode()
CONFIGURED = frozenset({*TOKENS.values(), BEZALA_PASSWORD, BASIC_PAIR, MARK})

VENDOR_OF = {system: vendor for vendor, system in SYSTEMS.items()}
LOGIN_PATHS = frozenset({"/api/v1/auth/login", "/api/auth/token", "/login", "/auth/login"})
PEOPLE = 8  # two of them in Journyx


class EchoGate:
    """An emulator app behind a gate that, when told to, answers with 401 and a body repeating
    the credentials the request carried: the header, the bare token, the decoded Basic pair,
    the cookie and its value, and the request body (a login's password or API key). A careless
    vendor does this. `mode`: "off"; "writes" (every write, not a login: the credential the
    gateway holds then is a session or a static token); "all" (every request, logins too)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.mode = "off"

    def _echoes(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope["path"].startswith("/_emulator"):
            return False
        if self.mode == "all":
            return True
        return (
            self.mode == "writes"
            and scope["method"] not in ("GET", "HEAD")
            and scope["path"] not in LOGIN_PATHS
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._echoes(scope):
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        auth = headers.get("authorization", "")
        cookie = headers.get("cookie", "")
        echoed = [
            f"Authorization: {auth}",
            f"token {auth.partition(' ')[2]}",
            f"cookie {cookie}",
            f"session {cookie.partition('=')[2]}",
            f"body {body.decode('utf-8', errors='replace')}",
        ]
        if auth.lower().startswith("basic "):
            echoed.append("decoded " + base64.b64decode(auth[6:]).decode())
        text = "refused credentials: " + "; ".join(echoed)
        answer = json.dumps(
            {"error": text, "message": text, "detail": text, "code": 401, "success": False}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(answer)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": answer})


@dataclass
class World:
    """The five emulators (behind their echo gates) and the dataset they are loaded with."""

    dataset: DemoDataset
    emulators: dict[str, Emulator[Any]] = field(default_factory=dict)
    gates: dict[str, EchoGate] = field(default_factory=dict)
    servers: dict[str, ServerThread] = field(default_factory=dict)

    def url(self, vendor: str) -> str:
        return self.servers[vendor].base_url

    def reset(self) -> None:
        with httpx.Client(timeout=30) as http:
            for vendor in VENDORS:
                self.gates[vendor].mode = "off"
                admin = f"{self.url(vendor)}/_emulator"
                http.put(f"{admin}/state", json=self.dataset.states[vendor]).raise_for_status()
                http.put(f"{admin}/faults", json={}).raise_for_status()

    def issued(self, vendor: str) -> set[str]:
        """Every credential `vendor`'s emulator knows that was not configured: the session
        tokens its login route handed out (in `session_tenants`; Kenjo keeps its own apart, in
        `sessions`)."""
        emulator = self.emulators[vendor]
        known = (
            set(emulator.credentials)
            | set(emulator.session_tenants)
            | set(getattr(emulator, "sessions", {}))
        )
        return {c for c in known if MARK not in c}

    def forbidden(self) -> set[str]:
        return set(CONFIGURED).union(*(self.issued(v) for v in VENDORS))


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    dataset = generate_dataset(PEOPLE, seed=5, today=datetime.now(UTC).date())
    # The Bezala user the gateway logs in as (its imports are "ours": option creator_id).
    for user in dataset.states["bezala"]["users"]:
        if user["id"] == BEZALA_GATEWAY_USER:
            user.update(email=BEZALA_EMAIL, password=BEZALA_PASSWORD)
    built = World(dataset)
    try:
        for vendor in VENDORS:
            emulator = build_emulator(vendor, EmulatorOptions(token=TOKENS[vendor]))
            gate = EchoGate(emulator.app)
            built.emulators[vendor] = emulator
            built.gates[vendor] = gate
            built.servers[vendor] = ServerThread(gate).start()
        yield built
    finally:
        for server in built.servers.values():
            server.stop()


@pytest.fixture
def fresh(world: World) -> World:
    world.reset()
    return world


def _systems_toml(world: World, *, bezala_login: bool, journyx_login: bool) -> str:
    bezala = (
        '{ email = "EXPENSE_HUB_EMAIL", password = "EXPENSE_HUB_PASSWORD" }'
        if bezala_login
        else '{ token = "EXPENSE_HUB_TOKEN" }'
    )
    journyx_secret = "PROJECT_TIME_PASSWORD" if journyx_login else "PROJECT_TIME_API_KEY"
    journyx_key = "password" if journyx_login else "api_key"
    return f"""\
[systems.hr_core]
vendor = "companyflow"
base_url = "{world.url("companyflow")}"
credentials = {{ email = "HR_CORE_EMAIL", password = "HR_CORE_PASSWORD" }}
requests_per_second = 2000

[systems.people_app]
vendor = "kenjo"
base_url = "{world.url("kenjo")}"
credentials = {{ api_key = "PEOPLE_APP_API_KEY" }}
options = {{ type_units = {{ "{KENJO_SICK}" = "hours", "{KENJO_VACATION}" = "days" }} }}
requests_per_second = 2000

[systems.clock_in]
vendor = "zeitstrom"
base_url = "{world.url("zeitstrom")}"
credentials = {{ token = "CLOCK_IN_TOKEN" }}
requests_per_second = 2000

[systems.expense_hub]
vendor = "bezala"
base_url = "{world.url("bezala")}"
credentials = {bezala}
options = {{ creator_id = "{BEZALA_GATEWAY_USER}" }}
requests_per_second = 2000

[systems.project_time]
vendor = "journyx"
base_url = "{world.url("journyx")}"
credentials = {{ username = "PROJECT_TIME_USERNAME", {journyx_key} = "{journyx_secret}" }}
requests_per_second = 2000
"""


def _syncs_toml() -> str:
    """The demo's four syncs (every vendor is a source or a target), on our system names."""
    return re.sub(
        r'^(source|target) = "(\w+)"$',
        lambda m: f'{m[1]} = "{SYSTEMS[m[2]]}"',
        DEMO_SYNCS_TOML,
        flags=re.MULTILINE,
    )


SETTINGS = """\
[guardrails]
max_change = "60 days"
max_operations = 1000

[state]
path = "state/balance-gateway.sqlite3"
"""


def write_config(
    world: World, folder: Path, *, bezala_login: bool = True, journyx_login: bool = False
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    systems = _systems_toml(world, bezala_login=bezala_login, journyx_login=journyx_login)
    path.write_text("\n".join([systems, _syncs_toml(), SETTINGS]))
    csv = mapping_csv(world.dataset.people)
    header, _, rows = csv.partition("\n")
    columns = [SYSTEMS.get(name, name) for name in header.split(",")]
    (folder / "employees.csv").write_text(",".join(columns) + "\n" + rows)
    return path


# -- the command line -------------------------------------------------------------------------


@dataclass(frozen=True)
class Ran:
    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def _entry_point() -> list[str]:
    script = Path(sys.executable).with_name("balance-gateway")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from balance_gateway.gateway.cli import main; main()"]


def cli(folder: Path, *args: str, env: dict[str, str] | None = None) -> Ran:
    """`balance-gateway -v ARGS --config FOLDER/config.toml` in a subprocess, with ENV (and
    `env` over it) as its environment."""
    command = [*_entry_point(), "-v", *args, "--config", str(folder / "config.toml")]
    environment = {**os.environ, **ENV, **(env or {}), "COLUMNS": "220", "NO_COLOR": "1"}
    done = subprocess.run(
        command, env=environment, capture_output=True, text=True, timeout=120, check=False
    )
    return Ran(tuple(args), done.returncode, done.stdout, done.stderr)


# -- where a secret could turn up -------------------------------------------------------------


def assert_clean(where: str, data: str | bytes, forbidden: Collection[str]) -> None:
    """No forbidden value in `data`; the failure names the place, never the value."""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    leaked = [f"{value[:10]}... ({len(value)} chars)" for value in forbidden if value in text]
    assert not leaked, f"{where} holds a credential: {leaked}"


def assert_folder_clean(folder: Path, forbidden: Collection[str]) -> int:
    """Every file under `folder` (config, mapping, state store and its side files), byte by
    byte; every table of every SQLite file, row by row. Returns the rows dumped."""
    rows = 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        assert_clean(str(path), path.read_bytes(), forbidden)
        if path.suffix == ".sqlite3":
            connection = sqlite3.connect(path)
            try:
                tables = [
                    name
                    for (name,) in connection.execute(
                        "SELECT name FROM sqlite_master WHERE type = 'table'"
                    )
                ]
                for table in tables:
                    for row in connection.execute(f'SELECT * FROM "{table}"'):
                        rows += 1
                        assert_clean(f"{path} table {table}", repr(row), forbidden)
                dump = "\n".join(connection.iterdump())
            finally:
                connection.close()
            assert_clean(f"{path} (dump)", dump, forbidden)
    return rows


def assert_outputs_clean(runs: Collection[Ran], forbidden: Collection[str]) -> None:
    for ran in runs:
        assert_clean(f"stdout of {' '.join(ran.args)}", ran.stdout, forbidden)
        assert_clean(f"stderr of {' '.join(ran.args)}", ran.stderr, forbidden)
        assert "Traceback" not in ran.stderr, ran.stderr[-2000:]


def rows_of(report: Any) -> list[dict[str, Any]]:
    return [row for sync in report["syncs"] for row in sync["rows"]]


# -- a full sync --------------------------------------------------------------------------------


def test_full_sync_through_the_cli_leaves_no_credential_anywhere(
    fresh: World, tmp_path: Path
) -> None:
    write_config(fresh, tmp_path)
    runs = [cli(tmp_path, "plan"), cli(tmp_path, "plan", "--json")]
    runs.append(cli(tmp_path, "sync", "--yes", "--json"))
    runs.append(cli(tmp_path, "sync", "--yes"))  # a second run, reported as a table
    listed = cli(tmp_path, "runs", "--json")
    runs += [listed, cli(tmp_path, "runs")]
    for ran in runs:
        assert ran.code == 0, (ran.args, ran.stdout[-2000:], ran.stderr[-2000:])

    plan = runs[1].json()
    assert [s["error"] for s in plan["syncs"]] == [None] * 4
    report = runs[2].json()
    systems = {side for s in report["syncs"] for side in (s["source"], s["target"])}
    assert systems == set(SYSTEMS.values())  # every vendor, as a source or a target
    for sync in report["syncs"]:
        assert any(r["status"] == "applied" for r in sync["rows"]), sync["name"]
    run_ids = [r["run_id"] for r in listed.json()["runs"]]
    assert report["run_id"] in run_ids
    assert len(run_ids) == 2
    for run_id in run_ids:
        table = cli(tmp_path, "runs", "show", run_id)
        shown = cli(tmp_path, "runs", "show", run_id, "--json")
        assert table.code == shown.code == 0
        assert shown.json()["run"]["run_id"] == run_id
        runs += [table, shown]

    # -v was on: each system's requests were logged, one line each, on stderr.
    logged = "".join(r.stderr for r in runs)
    for vendor in VENDORS:
        assert f"vendor={vendor}" in logged

    # The logins happened, so there are session tokens to look for.
    for vendor in ("bezala", "companyflow", "kenjo"):
        assert fresh.issued(vendor), f"{vendor}: no login session was issued"
    forbidden = fresh.forbidden()
    assert_outputs_clean(runs, forbidden)
    assert assert_folder_clean(tmp_path, forbidden) > 0


# -- refused credentials ------------------------------------------------------------------------

WRONG = {
    "hr_core": "HR_CORE_PASSWORD",
    "clock_in": "CLOCK_IN_TOKEN",
    "expense_hub": "EXPENSE_HUB_PASSWORD",
    "project_time": "PROJECT_TIME_API_KEY",
}


@pytest.mark.parametrize("system", sorted(WRONG))
def test_a_refused_credential_names_the_system_never_the_value(
    fresh: World, tmp_path: Path, system: str
) -> None:
    write_config(fresh, tmp_path)
    wrong = f"SeCrEt-wrong-{system}-{MARK}"
    ran = cli(tmp_path, "plan", "--json", env={WRONG[system]: wrong})
    assert ran.code == 1, ran.stderr[-2000:]
    for sync in ran.json()["syncs"]:
        if system in (sync["source"], sync["target"]):
            role = "source" if sync["source"] == system else "target"
            assert f"{role} system {system!r}" in sync["error"], sync["error"]
            assert "401" in sync["error"]
        else:
            assert sync["error"] is None, sync["error"]
    # Again, with the system answering every request (its login too) by repeating the
    # credential it was sent: the message still names the system, and masks the value.
    fresh.gates[VENDOR_OF[system]].mode = "all"
    table = cli(tmp_path, "plan", env={WRONG[system]: wrong})
    assert table.code == 1
    # Read and auth failures go to stderr, where people look (issue 14, item 7).
    assert f"system {system!r}" in table.stderr
    assert "refused credentials" in table.stderr
    assert "***" in table.stderr
    forbidden = fresh.forbidden() | {wrong}
    assert_outputs_clean([ran, table], forbidden)


def test_a_refused_api_key_of_a_write_only_target_names_the_system_never_the_value(
    fresh: World, tmp_path: Path
) -> None:
    """Kenjo cannot be read, so a wrong key shows when writing: every write fails, on rows
    that name the target system, and the key is nowhere."""
    write_config(fresh, tmp_path)
    wrong = f"SeCrEt-wrong-people_app-{MARK}"
    env = {"PEOPLE_APP_API_KEY": wrong}
    ran = cli(tmp_path, "sync", "--yes", "--json", "--sync", "companyflow-to-kenjo", env=env)
    assert ran.code == 1
    writes = [r for r in rows_of(ran.json()) if r["planned_operation"] == "set"]
    assert writes
    for row in writes:
        assert row["target_system"] == "people_app"
        assert row["status"] == "failed"
        assert "people_app: POST" in row["note"]
        assert "401" in row["note"]
    shown = cli(tmp_path, "runs", "show", ran.json()["run_id"])
    assert "people_app" in shown.stdout
    forbidden = fresh.forbidden() | {wrong}
    assert_outputs_clean([ran, shown], forbidden)
    assert_folder_clean(tmp_path, forbidden)


# -- a target that echoes the credential --------------------------------------------------------


def test_targets_answering_401_with_the_credential_in_the_body_do_not_leak_it(
    fresh: World, tmp_path: Path
) -> None:
    """Every writable target answers each write with 401 and the credential it was sent:
    a static Bearer token (Bezala), a session token issued by a login and renewed on the 401
    (Kenjo), a session cookie (Journyx, by password login), a `Token` key (Zeitstrom)."""
    write_config(fresh, tmp_path, bezala_login=False, journyx_login=True)
    for vendor in ("bezala", "journyx", "kenjo", "zeitstrom"):
        fresh.gates[vendor].mode = "writes"
    ran = cli(tmp_path, "sync", "--yes", "--json")
    assert ran.code == 1, ran.stderr[-2000:]
    report = ran.json()
    for sync in report["syncs"]:
        failed = [r for r in sync["rows"] if r["status"] == "failed"]
        assert failed, sync["name"]
        for row in failed:
            # The vendor's message came through, with the credential masked.
            assert "401" in row["note"]
            assert "refused credentials" in row["note"]
            assert "***" in row["note"]
    shown = [
        cli(tmp_path, "runs", "show", report["run_id"], "--json"),
        cli(tmp_path, "runs", "show", report["run_id"]),
    ]
    notes = [o["note"] for o in shown[0].json()["operations"] if o["status"] == "failed"]
    assert notes
    assert all("***" in note for note in notes)
    for vendor in ("journyx", "kenjo"):
        assert fresh.issued(vendor), f"{vendor}: no login session was issued"
    forbidden = fresh.forbidden()
    assert_outputs_clean([ran, *shown], forbidden)
    assert_folder_clean(tmp_path, forbidden)


# -- in process: structlog events and the SDK's exceptions ---------------------------------------


async def test_structlog_events_and_exceptions_carry_no_credential(
    fresh: World, tmp_path: Path
) -> None:
    structlog.reset_defaults()
    config = load_config(write_config(fresh, tmp_path), env=ENV)
    with capture_logs() as events:
        plan = await run_plan(config)
        assert all(p.error is None for p in plan.plans)
        applied = await run_sync(config)
        assert applied.exit_code == 0
        # The same sync again from the start (emulators and journal), every write refused.
        fresh.reset()
        for vendor in VENDORS:
            fresh.gates[vendor].mode = "writes"
        refused = await run_sync(load_config(write_config(fresh, tmp_path / "again"), env=ENV))
    assert refused.exit_code == 1
    notes = [r.note for r in refused.results if r.status.value == "failed"]
    assert notes
    assert all("***" in note for note in notes)
    assert {e.get("vendor") for e in events} >= set(VENDORS)
    forbidden = fresh.forbidden()
    for event in events:
        assert_clean(f"structlog event {event.get('event')}", repr(event), forbidden)
    for report in (plan, applied, refused):
        assert_clean("run report", repr(report), forbidden)

    # The SDK's own exceptions, raised straight to the caller: message, args and repr.
    errors: list[GatewayError] = []
    kenjo = KenjoClient(fresh.url("kenjo"), api_key=TOKENS["kenjo"])
    zeitstrom = ZeitstromClient(fresh.url("zeitstrom"), token=TOKENS["zeitstrom"])
    async with kenjo, zeitstrom:
        with pytest.raises(GatewayError) as kenjo_error:
            await kenjo.set_balance(KENJO_VACATION, "0" * 24, 1)
        errors.append(kenjo_error.value)
        with pytest.raises(GatewayError) as zeitstrom_error:
            await zeitstrom.delete_transaction("some-id")
        errors.append(zeitstrom_error.value)
    forbidden = fresh.forbidden()
    for error in errors:
        assert "refused credentials" in str(error)
        for text in (str(error), repr(error), repr(error.args), error.message):
            assert_clean(f"{type(error).__name__}", text, forbidden)


# -- a literal secret in the configuration ------------------------------------------------------


@pytest.mark.parametrize(
    "literal",
    [
        f"SeCrEt-literal-{MARK}",
        f"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.{MARK}",
        f"Bearer {MARK}abcdef",
        f"{MARK}deadbeef==",
    ],
    ids=["dashed", "jwt", "bearer", "base64"],
)
def test_a_literal_secret_in_the_config_is_refused_without_repeating_it(
    fresh: World, tmp_path: Path, literal: str
) -> None:
    path = write_config(fresh, tmp_path)
    path.write_text(path.read_text().replace('"CLOCK_IN_TOKEN"', json.dumps(literal)))
    commands = [("plan",), ("sync", "--yes")] if literal.startswith("SeCrEt") else [("plan",)]
    for args in commands:
        ran = cli(tmp_path, *args)
        assert ran.code == 2, (ran.stdout, ran.stderr)
        output = ran.stdout + ran.stderr
        assert "systems.clock_in.credentials.token" in output
        assert "literal secret" in output
        assert_outputs_clean([ran], {literal, MARK})
    assert not (tmp_path / "state").exists()
