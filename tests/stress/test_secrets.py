"""Secrets under stress: a full sync through the real command line, with distinctive fake
credentials, leaves no credential in any output, log line, journal row, report or exception.

Every registered vendor's emulator runs under uvicorn on 127.0.0.1 with a credential that
carries the marker `MARK`; the gateway gets its credentials from environment variables, as a
user would give them. Systems have names of their own (`system_a`, not a vendor's), so that
"names the system" means the configured name and not a vendor word that happens to be in a
sync's name. How each vendor authenticates (its credentials, another login it offers, secrets
derived from them, its login routes) is its conformance case's `secrets`
(`adapters/<vendor>/conformance.py`); nothing here names a vendor. Each test runs with every
vendor's usual credentials, and again (`logins`) with each vendor's other login where it has
one.

What must never appear, anywhere: every configured credential (and the marker, which catches a
partial echo), what a vendor derives from one (e.g. the Base64 of an HTTP Basic pair), and every
session token the emulators issued to the gateway's logins (read from the emulators themselves
after each run).

Where it is looked for: stdout and stderr of every command (`-v` logs every HTTP request on
stderr), the `--json` outputs, every file next to the config (the SQLite state store: raw bytes,
its side files, and a dump of every table), structlog events, and the text of the adapters'
exceptions. Failures are forced: a wrong credential for each system (the error names the
system, never the value) and targets that answer 401 with the credential repeated in the body.
"""

from __future__ import annotations

import base64
import json
import os
import re
import sqlite3
import subprocess
import sys
import tomllib
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from starlette.types import ASGIApp, Receive, Scope, Send
from structlog.testing import capture_logs

from balance_gateway.adapters._core.adapter import AdapterConfig, WriteIntent
from balance_gateway.adapters._core.errors import GatewayError
from balance_gateway.adapters._core.registry import build_adapter
from balance_gateway.adapters._core.secrets import Secret
from balance_gateway.adapters._emulator import EmulatorOptions, ServerThread, build_emulator
from balance_gateway.adapters._emulator.base import Emulator
from balance_gateway.canonical import EmployeeRef, LeaveTypeRef, Quantity
from balance_gateway.gateway.config import load_config
from balance_gateway.gateway.demo import DEMO_SYNCS_TOML, DemoDataset, generate_dataset, mapping_csv
from balance_gateway.gateway.plan import WRITE_OPERATIONS
from balance_gateway.gateway.runner import run_plan, run_sync
from tests.stress._vendors import _id_of, capabilities, cases

MARK = "4f9c2a7e1b"
CASES = cases()
VENDORS = tuple(CASES)
# vendor -> the system name the config gives it
SYSTEMS = {vendor: f"system_{chr(ord('a') + i)}" for i, vendor in enumerate(VENDORS)}
VENDOR_OF = {system: vendor for vendor, system in SYSTEMS.items()}
# The credential each emulator accepts (its default tenant's token, or a login password).
TOKENS = {vendor: f"SeCrEt-{vendor}-{MARK}" for vendor in VENDORS}
MODES = (False, True)  # logins: each vendor's other login (where it has one) instead
MODE_IDS = ["usual", "logins"]
PEOPLE = 8  # two of them in the systems only some people use
READABLE = tuple(v for v in VENDORS if capabilities(v).can_read)
WRITABLE = tuple(v for v in VENDORS if capabilities(v).can_write)


def credentials(vendor: str, *, logins: bool) -> dict[str, str]:
    """The credentials the gateway gives `vendor`'s system (key -> value)."""
    case = CASES[vendor]
    if logins and case.secrets.login is not None:
        return case.secrets.login(TOKENS[vendor])
    return case.demo_credentials(TOKENS[vendor])


def logs_in(vendor: str, *, logins: bool) -> bool:
    """Whether those credentials are exchanged at a login for a session the emulator issues."""
    case = CASES[vendor]
    return (logins and case.secrets.login is not None) or case.secrets.logs_in


def env_name(vendor: str, key: str, *, logins: bool) -> str:
    return f"{SYSTEMS[vendor]}_{'LOGIN_' if logins else ''}{key}".upper()


def secret_keys(vendor: str, *, logins: bool) -> list[str]:
    """The credential keys that hold a secret (an email or a user name is none)."""
    return [k for k, v in credentials(vendor, logins=logins).items() if MARK in v]


ENV = {
    env_name(vendor, key, logins=logins): value
    for vendor in VENDORS
    for logins in MODES
    for key, value in credentials(vendor, logins=logins).items()
}
CONFIGURED = frozenset(
    {value for value in ENV.values() if MARK in value}
    | {
        derived
        for vendor in VENDORS
        for logins in MODES
        for derived in CASES[vendor].secrets.derived(credentials(vendor, logins=logins))
    }
    | {MARK}
)
LOGIN_PATHS = frozenset(path for case in CASES.values() for path in case.secrets.login_paths)
DEMO_SYNCS: list[dict[str, Any]] = tomllib.loads(DEMO_SYNCS_TOML)["syncs"]
WRITE_KINDS = {kind.value for kind in WRITE_OPERATIONS}


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
    """Every emulator (behind its echo gate) and the dataset they are loaded with."""

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
        tokens its login route handed out (in `session_tenants`, or in `sessions` where an
        emulator keeps its own apart)."""
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
    # What each vendor's other login needs in its state (e.g. a user with that password).
    for vendor, case in CASES.items():
        if case.secrets.login is not None:
            login = credentials(vendor, logins=True)
            dataset.states[vendor] = case.secrets.login_state(dataset.states[vendor], login)
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


def _toml_value(value: Any) -> str:
    if isinstance(value, dict):
        return (
            "{ " + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
        )
    return json.dumps(value)


def _systems_toml(world: World, *, logins: bool) -> str:
    tables = []
    for vendor in VENDORS:
        names = {
            key: env_name(vendor, key, logins=logins) for key in credentials(vendor, logins=logins)
        }
        options = CASES[vendor].demo_options
        tables.append(
            f"[systems.{SYSTEMS[vendor]}]\n"
            f'vendor = "{vendor}"\n'
            f'base_url = "{world.url(vendor)}"\n'
            f"credentials = {_toml_value(names)}\n"
            + (f"options = {_toml_value(dict(options))}\n" if options else "")
            + "requests_per_second = 2000\n"
        )
    return "\n".join(tables)


def _syncs_toml() -> str:
    """The demo's syncs (every vendor is a source or a target), on our system names."""
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


def write_config(world: World, folder: Path, *, logins: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    path.write_text("\n".join([_systems_toml(world, logins=logins), _syncs_toml(), SETTINGS]))
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


@pytest.mark.parametrize("logins", MODES, ids=MODE_IDS)
def test_full_sync_through_the_cli_leaves_no_credential_anywhere(
    fresh: World, tmp_path: Path, logins: bool
) -> None:
    write_config(fresh, tmp_path, logins=logins)
    runs = [cli(tmp_path, "plan"), cli(tmp_path, "plan", "--json")]
    runs.append(cli(tmp_path, "sync", "--yes", "--json"))
    runs.append(cli(tmp_path, "sync", "--yes"))  # a second run, reported as a table
    listed = cli(tmp_path, "runs", "--json")
    runs += [listed, cli(tmp_path, "runs")]
    for ran in runs:
        assert ran.code == 0, (ran.args, ran.stdout[-2000:], ran.stderr[-2000:])

    plan = runs[1].json()
    assert [s["error"] for s in plan["syncs"]] == [None] * len(DEMO_SYNCS)
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
    logging_in = [v for v in VENDORS if logs_in(v, logins=logins)]
    assert logging_in
    for vendor in logging_in:
        assert fresh.issued(vendor), f"{vendor}: no login session was issued"
    forbidden = fresh.forbidden()
    assert_outputs_clean(runs, forbidden)
    assert assert_folder_clean(tmp_path, forbidden) > 0


# -- refused credentials ------------------------------------------------------------------------

# Each readable system, with its usual credentials and with its other login: reading shows a
# wrong one.
REFUSED = [
    (vendor, logins)
    for vendor in READABLE
    for logins in MODES
    if not logins or CASES[vendor].secrets.login is not None
]


@pytest.mark.parametrize(
    ("vendor", "logins"), REFUSED, ids=[f"{v}-{MODE_IDS[m]}" for v, m in REFUSED]
)
def test_a_refused_credential_names_the_system_never_the_value(
    fresh: World, tmp_path: Path, vendor: str, logins: bool
) -> None:
    write_config(fresh, tmp_path, logins=logins)
    system = SYSTEMS[vendor]
    wrong = f"SeCrEt-wrong-{system}-{MARK}"
    wrong_env = {
        env_name(vendor, key, logins=logins): wrong for key in secret_keys(vendor, logins=logins)
    }
    assert wrong_env
    ran = cli(tmp_path, "plan", "--json", env=wrong_env)
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
    fresh.gates[vendor].mode = "all"
    table = cli(tmp_path, "plan", env=wrong_env)
    assert table.code == 1
    # Read and auth failures go to stderr, where people look (issue 14, item 7).
    assert f"system {system!r}" in table.stderr
    assert "refused credentials" in table.stderr
    assert "***" in table.stderr
    forbidden = fresh.forbidden() | {wrong}
    assert_outputs_clean([ran, table], forbidden)


# The demo's syncs into a target that cannot be read back: a wrong credential shows only when
# writing.
WRITE_ONLY_SYNCS = [s for s in DEMO_SYNCS if not capabilities(s["target"]).can_read]


def test_the_demo_has_a_write_only_target() -> None:
    assert WRITE_ONLY_SYNCS


@pytest.mark.parametrize("sync", WRITE_ONLY_SYNCS, ids=[s["name"] for s in WRITE_ONLY_SYNCS])
def test_a_refused_api_key_of_a_write_only_target_names_the_system_never_the_value(
    fresh: World, tmp_path: Path, sync: dict[str, Any]
) -> None:
    """A write-only target cannot be read, so a wrong key shows when writing: every write
    fails, on rows that name the target system, and the key is nowhere."""
    write_config(fresh, tmp_path)
    vendor = sync["target"]
    system = SYSTEMS[vendor]
    wrong = f"SeCrEt-wrong-{system}-{MARK}"
    env = {env_name(vendor, key, logins=False): wrong for key in secret_keys(vendor, logins=False)}
    assert env
    ran = cli(tmp_path, "sync", "--yes", "--json", "--sync", sync["name"], env=env)
    assert ran.code == 1
    writes = [r for r in rows_of(ran.json()) if r["planned_operation"] in WRITE_KINDS]
    assert writes
    for row in writes:
        assert row["target_system"] == system
        assert row["status"] == "failed"
        # The failed request, named by the system and its method.
        assert re.search(rf"{system}: (GET|POST|PUT|PATCH|DELETE) ", row["note"]), row["note"]
        assert "401" in row["note"]
    shown = cli(tmp_path, "runs", "show", ran.json()["run_id"])
    assert system in shown.stdout
    forbidden = fresh.forbidden() | {wrong}
    assert_outputs_clean([ran, shown], forbidden)
    assert_folder_clean(tmp_path, forbidden)


# -- a target that echoes the credential --------------------------------------------------------


@pytest.mark.parametrize("logins", MODES, ids=MODE_IDS)
def test_targets_answering_401_with_the_credential_in_the_body_do_not_leak_it(
    fresh: World, tmp_path: Path, logins: bool
) -> None:
    """Every writable target answers each write with 401 and the credential it was sent: a
    static token, a session token issued by a login (and renewed on the 401), a session
    cookie, each as the vendor authenticates."""
    write_config(fresh, tmp_path, logins=logins)
    for vendor in WRITABLE:
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
    for vendor in WRITABLE:
        if logs_in(vendor, logins=logins):
            assert fresh.issued(vendor), f"{vendor}: no login session was issued"
    forbidden = fresh.forbidden()
    assert_outputs_clean([ran, *shown], forbidden)
    assert_folder_clean(tmp_path, forbidden)


# -- in process: structlog events and the adapters' exceptions -----------------------------------


@pytest.mark.parametrize("logins", MODES, ids=MODE_IDS)
async def test_structlog_events_and_exceptions_carry_no_credential(
    fresh: World, tmp_path: Path, logins: bool
) -> None:
    structlog.reset_defaults()
    config = load_config(write_config(fresh, tmp_path, logins=logins), env=ENV)
    with capture_logs() as events:
        plan = await run_plan(config)
        assert all(p.error is None for p in plan.plans)
        applied = await run_sync(config)
        assert applied.exit_code == 0
        # The same sync again from the start (emulators and journal), every write refused.
        fresh.reset()
        for vendor in VENDORS:
            fresh.gates[vendor].mode = "writes"
        again = write_config(fresh, tmp_path / "again", logins=logins)
        refused = await run_sync(load_config(again, env=ENV))
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


@pytest.mark.parametrize("gate", ["writes", "all"])
@pytest.mark.parametrize("vendor", WRITABLE)
async def test_an_adapter_write_refused_with_the_credential_echoed_raises_without_it(
    fresh: World, vendor: str, gate: str
) -> None:
    """An adapter's own exception, raised straight to the caller when its target answers a
    write (`writes`) or every request, its login too (`all`), with 401 and the credential it
    was sent: message, args and repr hold no credential."""
    case = CASES[vendor]
    employee = next(i for p in fresh.dataset.people if (i := _id_of(p, vendor)))
    leave_type = case.campaign.target_types[0]
    config = AdapterConfig(
        system=SYSTEMS[vendor],
        base_url=fresh.url(vendor),
        credentials={k: Secret(v) for k, v in credentials(vendor, logins=False).items()},
        options=dict(case.demo_options),
    )
    adapter = build_adapter(vendor, config)
    fresh.gates[vendor].mode = gate
    intent = WriteIntent(
        operation_id="secrets-op-1",
        run_id="secrets-run",
        employee=EmployeeRef(config.system, employee),
        leave_type=LeaveTypeRef(config.system, leave_type),
        remaining=Quantity(Decimal(1), adapter.target_unit(leave_type).unit),
        as_of=datetime.now(UTC).date(),
        source="secrets-source",
    )
    try:
        with pytest.raises(GatewayError) as raised:
            await adapter.apply_write(intent)
    finally:
        await adapter.aclose()
    error = raised.value
    assert "refused credentials" in str(error)
    forbidden = fresh.forbidden()
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
    # The first system's secret, given in the config itself instead of a variable's name.
    vendor = VENDORS[0]
    key = secret_keys(vendor, logins=False)[0]
    name = json.dumps(env_name(vendor, key, logins=False))
    assert name in path.read_text()
    path.write_text(path.read_text().replace(name, json.dumps(literal)))
    commands = [("plan",), ("sync", "--yes")] if literal.startswith("SeCrEt") else [("plan",)]
    for args in commands:
        ran = cli(tmp_path, *args)
        assert ran.code == 2, (ran.stdout, ran.stderr)
        output = ran.stdout + ran.stderr
        assert f"systems.{SYSTEMS[vendor]}.credentials.{key}" in output
        assert "literal secret" in output
        assert_outputs_clean([ran], {literal, MARK})
    assert not (tmp_path / "state").exists()
