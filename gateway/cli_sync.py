"""Commands of the sync engine: plan, sync, runs, demo.

    balance-gateway plan --config FILE [--sync NAME] [--out PLAN] [--detailed-exitcode] [--json]
    balance-gateway sync --config FILE [--sync NAME] [--plan PLAN [--max-plan-age AGE]]
                         [--dry-run] [--yes] [--json] [--distributed]
    balance-gateway worker --config FILE [--concurrency N]
    balance-gateway runs [--config FILE | --state PATH] [--json]
    balance-gateway runs show RUN [--config FILE | --state PATH] [--json]
    balance-gateway demo [--keep] [--employees N] [--serve [--port N]]

Exit codes of `sync`: 0 everything applied (or nothing to do); 1 something failed, was blocked,
not verified, left unresolved, or a guardrail (or the user at the prompt) stopped the run; 2 bad
configuration or usage, including `sync` without `--yes` when standard input is not a terminal
(CI must say `--yes` to write), and a run that could not start because another run holds the
state store (its lock: `<state path>.lock`, or PostgreSQL's advisory lock): nothing was read
or written, run it again once the other has finished. `sync --dry-run` exits 1 when a row is
blocked or a guardrail would stop the run. `plan` exits 0 unless a sync could not be read (1)
or the configuration is bad (2); with `--detailed-exitcode` (Terraform's convention) it exits 0
when there is nothing to do, 2 when writes are pending and 1 on errors (bad configuration stays
2).

`plan --out PLAN` saves the plan (`gateway.saved_plan`); `sync --plan PLAN` applies exactly its
rows, each checked against its target first. A saved plan that cannot be used (unreadable,
malformed, another version, another configuration, too old) exits 2, nothing read or written.

Syncs that feed each other (one's source system and type is another's target system and type)
are applied in dependency order: `sync` plans a dependent sync only after the syncs it reads
from were applied, while `plan` (and `sync --dry-run`) show every sync as the systems stand
before the run. A cycle of syncs is refused as bad configuration (2).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shlex
import signal
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from balance_gateway.adapters._core.secrets import scrub
from balance_gateway.gateway.cli_common import (
    CONFIG_OPTION,
    exit_codes,
    fail,
    print_error,
    print_warning,
    with_verbose,
)
from balance_gateway.gateway.config import Config, load_config, parse_duration
from balance_gateway.gateway.errors import ConfigError, SetupError
from balance_gateway.gateway.journal import RunRecord, RunStatus, StateStoreError
from balance_gateway.gateway.plan import SyncPlan
from balance_gateway.gateway.report import (
    operation_json,
    operations_view,
    plan_errors,
    print_report,
    report_json,
    run_json,
    runs_table,
    unresolved_json,
    unresolved_lines,
)
from balance_gateway.gateway.runner import run_plan, run_sync
from balance_gateway.gateway.saved_plan import (
    PlanFileError,
    SavedPlan,
    check_plan,
    config_digest,
    describe_saved,
    load_plan,
    save_plan,
    saved_plan,
)
from balance_gateway.gateway.store import StateStore, nobody_holds_run_lock, open_store
from balance_gateway.gateway.store.sql import SqlJournal

SYNC_OPTION = typer.Option(
    None, "--sync", "-s", metavar="NAME", help="Only the sync with this name."
)
JSON_OPTION = typer.Option(False, "--json", help="Print JSON for machines instead of tables.")
# Rows a sync's table shows after a run: every row of a small run, and a report a person can
# read of a big one (its rows that need attention first; the journal has every operation).
SYNC_ROWS = 100


def _rows_option(default: int, what: str) -> Any:
    return typer.Option(
        default,
        "--rows",
        min=0,
        metavar="N",
        help=f"Rows shown per sync {what}; 0: every row. --json lists every row.",
    )


def _out() -> Console:
    return Console(soft_wrap=False)


def _err() -> Console:
    return Console(stderr=True)


def _load(path: Path, as_json: bool = False, **kwargs: Any) -> Config:
    try:
        return load_config(path, **kwargs)
    except ConfigError as exc:
        _fail(exc, as_json)


def error_json(exc: Exception, code: int = 2) -> dict[str, Any]:
    """A run that could not start, for `--json`: what went wrong and where."""
    kind = "configuration" if isinstance(exc, ConfigError) else "setup"
    error: dict[str, Any] = {
        "kind": "plan" if isinstance(exc, PlanFileError) else kind,
        "message": scrub(str(exc)),
    }
    if isinstance(exc, ConfigError):
        error.update(file=exc.file, key=exc.key, line=exc.line, problem=scrub(exc.problem))
    return {"error": error, "exit_code": code}


def _fail(exc: Exception, as_json: bool, code: int = 2) -> NoReturn:
    """The error on stderr and, with `--json`, as a JSON object on stdout too (a machine
    reading stdout must not mistake an empty answer for a run with nothing to do)."""
    if as_json:
        _print_json(error_json(exc, code))
    fail(str(exc), code)


def _print_json(data: Any) -> None:
    # print(), not rich: machines want the bytes as they are, without wrapping or markup.
    sys.stdout.write(scrub(json.dumps(data, indent=2)) + "\n")


def plan(
    config: Path = CONFIG_OPTION,
    sync: str | None = SYNC_OPTION,
    out: Path | None = typer.Option(
        None,
        "--out",
        metavar="PLAN",
        help="Save the plan to this JSON file, to apply it as reviewed: sync --plan PLAN.",
    ),
    detailed_exitcode: bool = typer.Option(
        False,
        "--detailed-exitcode",
        help="Exit 0 when there is nothing to do, 2 when writes are pending, 1 on errors.",
    ),
    as_json: bool = JSON_OPTION,
    rows: int = _rows_option(0, "(its writes first)"),
) -> None:
    """Show what a sync would change, one row per employee and leave type. Writes nothing
    (but the plan file, with --out).

    Every sync is shown as the systems stand now: a sync reading what another selected sync
    writes shows its values before that one is applied (`sync` applies them in order)."""
    loaded = _load(config, as_json)
    made = datetime.now(UTC)
    try:
        digest = config_digest(loaded)
        report = asyncio.run(run_plan(loaded, sync, progress=_ProgressBar(enabled=not as_json)))
        if out is not None:
            save_plan(saved_plan(report.plans, digest, made), out)
    except (ConfigError, SetupError) as exc:
        _fail(exc, as_json)
    code = report.detailed_exit_code if detailed_exitcode else report.exit_code
    if as_json:
        data = report_json(report)
        data["exit_code"] = code
        if out is not None:
            data["saved_plan"] = str(out)
        _print_json(data)
        for line in plan_errors(report):
            print_error(line)
    else:
        print_report(
            _out(), report, errors=Console(stderr=True, soft_wrap=True), rows_per_sync=rows or None
        )
    if out is not None:
        _saved_note(out, config, report.plans, to_stderr=as_json)
    raise typer.Exit(code)


def _saved_note(out: Path, config: Path, plans: list[SyncPlan], *, to_stderr: bool) -> None:
    """Where the plan was saved and the command that applies it (unwrapped, to paste)."""
    writes = sum(1 for p in plans for r in p.rows if r.writes)
    command = f"balance-gateway sync --config {shlex.quote(str(config))} --plan " + shlex.quote(
        str(out)
    )
    console = _err() if to_stderr else _out()
    console.print(
        f"plan saved to {out} ({writes} write(s)); to apply it as reviewed: {command}",
        soft_wrap=True,
        highlight=False,
        markup=False,
    )


def _reviewed_plan(path: Path, config: Config, sync: str | None, max_age: str | None) -> SavedPlan:
    """The saved plan at `path`, checked: this configuration's, young enough, with `sync`."""
    if max_age is None:
        age = config.file.plans.max_age
    else:
        try:
            age = parse_duration(max_age)
        except ValueError as exc:
            fail(f"--max-plan-age {exc}")
    saved = load_plan(path)
    check_plan(saved, path, config, max_age=age, sync_name=sync)
    return saved


class _ProgressBar:
    """The engine's ProgressSink on standard error: a line per system read and per sync
    planned, then, while applying, a rich progress bar at a terminal, or a line per tenth of
    the writes where stderr is a file or a pipe (a CI log), which would show a bar only once
    it is done. Nothing when disabled (`--json`)."""

    def __init__(self, enabled: bool) -> None:
        self._enabled = enabled
        console = _err()
        self._drawn = enabled and console.is_terminal
        self._progress = Progress(
            TextColumn("[bold]applying"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=console,
            disable=not self._drawn,
            transient=False,
        )
        self._task: Any = None
        self._lines = AppliedLines(self.step)

    def step(self, line: str) -> None:
        if self._enabled:
            # A Text, not markup: sync and system names come from the config.
            self._progress.console.print(Text(line, style="dim"), highlight=False)

    def start(self, total: int) -> None:
        if total == 0:  # nothing to apply: no bar (an empty "0/0" says nothing)
            return
        if not self._drawn:
            self._lines.start(total)
            return
        self._progress.start()
        self._task = self._progress.add_task("", total=total)

    def advance(self, description: str) -> None:
        if self._task is not None:
            self._progress.update(self._task, advance=1, description=description)
        else:
            self._lines.advance()

    def finish(self) -> None:
        if self._task is not None:
            self._progress.stop()
            self._task = None
        self._lines.finish()


class AppliedLines:
    """Progress through the writes as plain lines, told at each tenth and at the end:
    "applying: 300 of 3,000 write(s) done (10%)"."""

    def __init__(self, tell: Callable[[str], None]) -> None:
        self._tell = tell
        self._total = 0
        self._done = 0
        self._told = 0  # tenths told so far

    def start(self, total: int) -> None:
        self._total, self._done, self._told = total, 0, 0

    def advance(self) -> None:
        if not self._total:
            return
        self._done += 1
        tenths = self._done * 10 // self._total
        if tenths > self._told:
            self._told = tenths
            percent = self._done * 100 // self._total
            self._tell(f"applying: {self._done:,} of {self._total:,} write(s) done ({percent}%)")

    def finish(self) -> None:
        if self._total and self._done < self._total:  # stopped early: say where
            self._tell(f"applying stopped: {self._done:,} of {self._total:,} write(s) done")
        self._total = 0


# Rows of each sync the confirmation shows: enough to judge, not a screen per thousand people.
CONFIRM_ROWS = 25


def _interactive() -> bool:
    """Whether someone at a terminal can answer the confirmation."""
    return sys.stdin.isatty()


class _Prompt:
    """The confirmation: shows the plan (each sync's first rows, writes first) and asks
    before writing (only on a terminal); `asked` once it has shown a plan."""

    def __init__(self) -> None:
        self.asked = False

    def __call__(self, plans: list[SyncPlan]) -> bool:
        self.asked = True
        return _ask(plans)


def _ask(plans: list[SyncPlan]) -> bool:
    from balance_gateway.gateway.results import RunReport

    # A plan, not a dry run: this is the run itself, waiting for a yes.
    report = RunReport(run_id=None, dry_run=False, plans=plans)
    print_report(_out(), report, rows_per_sync=CONFIRM_ROWS)
    writes = sum(1 for p in plans for r in p.rows if r.writes)
    # asyncio.run turns the first Ctrl-C into a cancellation of the run, which a blocking
    # prompt does not see: restore Python's own handler while asking, so that Ctrl-C ends the
    # prompt at once (click: Abort) and the engine records the run as stopped, nothing written.
    restore = None
    if threading.current_thread() is threading.main_thread():
        restore = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return typer.confirm(f"Apply {writes} write(s)?", default=False)
    finally:
        if restore is not None:
            signal.signal(signal.SIGINT, restore)


@contextlib.contextmanager
def _sigterm_as_ctrl_c() -> Iterator[None]:
    """While a sync runs, SIGTERM (a service manager, `kill`, a CI timeout) stops it the way
    Ctrl-C does: the run is cancelled, recorded as interrupted, the writes in flight are left as
    intents that the next run resolves, and the lock is released. Killed outright, the run
    would stay `running` and its last outcomes unrecorded."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_sigterm(signum: int, frame: object) -> None:
        # asyncio.run answers SIGINT by cancelling the run; at a prompt, Python's own handler
        # raises KeyboardInterrupt. Either way the same path as Ctrl-C, unless SIGINT is
        # ignored (a background job): then stop here.
        if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
            raise KeyboardInterrupt
        signal.raise_signal(signal.SIGINT)

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def sync(
    config: Path = CONFIG_OPTION,
    sync: str | None = SYNC_OPTION,
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Plan and check the guardrails; write and record nothing."
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Apply without asking."),
    saved: Path | None = typer.Option(
        None,
        "--plan",
        metavar="PLAN",
        help="Apply exactly the rows of this saved plan (plan --out), each checked against its "
        "target first, instead of planning again.",
    ),
    max_plan_age: str | None = typer.Option(
        None,
        "--max-plan-age",
        metavar="AGE",
        help='With --plan: refuse a plan older than this, e.g. "24h" or "2 days" (default: '
        "[plans] max_age, else 24h).",
    ),
    as_json: bool = JSON_OPTION,
    distributed: bool = typer.Option(
        False,
        "--distributed",
        help="Apply the writes on Celery workers (`balance-gateway worker`), as the config's "
        "[distributed] section says; plan, confirm and verify here.",
    ),
    rows: int = _rows_option(SYNC_ROWS, "after the run (those that need attention first)"),
) -> None:
    """Apply the plan within the guardrails, exactly once, then verify by reading back.

    One run at a time per state store: a second run exits 2 at once, naming the state file.
    Syncs feeding each other are planned and applied in dependency order (one prompt each).
    With --plan, a saved plan's rows are applied as reviewed: a row whose target no longer
    holds what the plan saw is blocked, the others applied. With --distributed the writes are
    applied by the workers, in units of employees."""
    loaded = _load(config, as_json)
    if distributed:
        _check_distributed(loaded, as_json)
    if max_plan_age is not None and saved is None:
        fail("--max-plan-age only applies with --plan PLAN")
    reviewed = None
    if saved is not None:
        try:
            reviewed = _reviewed_plan(saved, loaded, sync, max_plan_age)
        except ConfigError as exc:
            _fail(exc, as_json)
    if not dry_run and not yes and not _interactive():
        fail(
            "standard input is not a terminal, so there is no one to confirm the writes: pass "
            "--yes to apply without asking (or --dry-run to only check)"
        )
    if reviewed is not None and saved is not None and not as_json:
        _err().print(
            f"applying {describe_saved(reviewed, str(saved))}: each target is read again first",
            soft_wrap=True,
            highlight=False,
            markup=False,
        )
    confirm = None if (yes or dry_run) else _Prompt()
    progress = _ProgressBar(enabled=not as_json)
    try:
        with _sigterm_as_ctrl_c():
            if distributed:
                from balance_gateway.gateway.distributed.coordinator import run_distributed

                report = asyncio.run(
                    run_distributed(
                        loaded,
                        sync,
                        dry_run=dry_run,
                        confirm=confirm,
                        progress=progress,
                        saved=reviewed,
                        saved_from=str(saved or ""),
                        notice=print_warning,
                    )
                )
            else:
                report = asyncio.run(
                    run_sync(
                        loaded,
                        sync,
                        dry_run=dry_run,
                        confirm=confirm,
                        progress=progress,
                        saved=reviewed,
                        saved_from=str(saved or ""),
                    )
                )
    except (ConfigError, SetupError) as exc:
        _fail(exc, as_json)
    except KeyboardInterrupt:
        print_error(
            "interrupted (Ctrl-C or SIGTERM): the run is recorded as interrupted, and the next "
            "sync resolves the writes that were in flight"
        )
        raise typer.Exit(130) from None
    if as_json:
        _print_json(report_json(report))
        for line in plan_errors(report):
            print_error(line)
    else:
        # Declined (or stopped) after the prompt showed the plan: not shown a second time.
        shown = confirm is not None and confirm.asked and not report.applied
        print_report(
            _out(),
            report,
            errors=Console(stderr=True, soft_wrap=True),
            tables=not shown,
            rows_per_sync=rows or None,
        )
    raise typer.Exit(report.exit_code)


def _check_distributed(config: Config, as_json: bool) -> None:
    """`--distributed` needs the `scale` extra and a [distributed] section: exit 2 otherwise."""
    from balance_gateway.adapters._core.extras import MissingExtraError, require_distributed

    try:
        require_distributed("`sync --distributed`")
    except MissingExtraError as exc:
        _fail(exc, as_json)
    from balance_gateway.gateway.distributed import distributed_settings

    try:
        distributed_settings(config)
    except ConfigError as exc:
        _fail(exc, as_json)


def worker(
    config: Path = CONFIG_OPTION,
    concurrency: int = typer.Option(
        # No -c: that is --config, in this command as in every other.
        1,
        "--concurrency",
        min=1,
        max=256,
        metavar="N",
        help="Units applied at once (processes).",
    ),
) -> None:
    """Apply the work units of `sync --distributed` runs, from the config's [distributed]
    queue, until stopped (SIGTERM or Ctrl-C: finish the units in hand, then stop).

    Each worker needs the same configuration as the coordinator (the systems, the mapping, the
    state store) and the systems' credentials in its environment."""
    loaded = _load(config)
    _check_distributed(loaded, False)
    from balance_gateway.gateway.distributed.worker import run_worker

    try:
        run_worker(loaded, concurrency)
    except SetupError as exc:  # the broker does not answer: say so now, not after 100 retries
        _fail(exc, False)


runs_app = typer.Typer(
    help="The journal: every run, and every operation of a run.", no_args_is_help=False
)

STATE_OPTION = typer.Option(
    None,
    "--state",
    metavar="PATH",
    help="A SQLite state store to read; default: the config's [state] (a path or a url).",
)


def _journal(config: Path, state: Path | None, as_json: bool = False) -> SqlJournal:
    return _journal_and_systems(config, state, as_json)[0]


def _journal_and_systems(
    config: Path, state: Path | None, as_json: bool = False
) -> tuple[SqlJournal, frozenset[str] | None, StateStore]:
    """The state store's journal to read, the configured system names (None with `--state`)
    and the store itself (a SQLite file or a PostgreSQL database)."""
    systems: frozenset[str] | None = None
    if state is not None:
        store = StateStore(path=state)
    else:
        loaded = _load(config, as_json, with_credentials=False, with_mapping=False)
        store, systems = loaded.state, frozenset(loaded.file.systems)
    path = store.path
    if path is not None and not path.exists() and not path.is_symlink():
        why = (
            "check the path given to --state"
            if state is not None
            else "nothing has been synced with this configuration yet"
        )
        fail(f"no state store at {path}: {why}")
    try:
        return open_store(store, writable=False), systems, store
    except StateStoreError as exc:
        _fail(exc, as_json)


def _interrupted(run: RunRecord) -> RunRecord:
    return replace(
        run,
        status=RunStatus.INTERRUPTED,
        message=run.message
        or "interrupted: the process ended before the run did (killed?); the next sync "
        "resolves its writes in flight",
    )


def runs(
    ctx: typer.Context,
    config: Path = CONFIG_OPTION,
    state: Path | None = STATE_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """List the runs in the journal, newest first, and the operations still unresolved (those
    on a system the configuration no longer has are flagged: nothing resolves them)."""
    if ctx.invoked_subcommand is not None:
        return
    journal, systems, store = _journal_and_systems(config, state, as_json)
    try:
        found = journal.runs()
        pending = Counter(op.system for op in journal.unresolved())
    finally:
        journal.close()
    if any(r.status is RunStatus.RUNNING for r in found) and nobody_holds_run_lock(store):
        # Nobody holds the run lock, so no run is going on: one still `running` was killed.
        found = [_interrupted(r) if r.status is RunStatus.RUNNING else r for r in found]
    if as_json:
        _print_json(
            {"runs": [run_json(r) for r in found], "unresolved": unresolved_json(pending, systems)}
        )
    else:
        out = _out()
        out.print(runs_table(found))
        for line in unresolved_lines(pending, systems):
            out.print(line)


def _find_run(journal: SqlJournal, wanted: str) -> RunRecord:
    """The run `wanted` names: `last`, a whole run id, or a unique beginning of one."""
    if wanted == "last":
        newest = journal.runs(limit=1)
        if not newest:
            fail(f"no runs yet in {journal.path}")
        return newest[0]
    exact = journal.run(wanted)
    if exact is not None:
        return exact
    matches = [r for r in journal.runs() if r.run_id.startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        fail(f"no run {wanted!r} in {journal.path} (see `balance-gateway runs`)")
    found = ", ".join(r.run_id for r in matches[:5]) + (", ..." if len(matches) > 5 else "")
    fail(f"{wanted!r} begins {len(matches)} run ids ({found}): give more of the run id")


def runs_show(
    run_id: str = typer.Argument(
        ...,
        metavar="RUN",
        help="A run id (see `runs`), a unique beginning of one, or `last` for the newest run.",
    ),
    config: Path = CONFIG_OPTION,
    state: Path | None = STATE_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Every operation of one run: before/after values, outcome and verification."""
    journal = _journal(config, state, as_json)
    try:
        run = _find_run(journal, run_id)
        ops = journal.operations(run.run_id)
    finally:
        journal.close()
    if as_json:
        _print_json({"run": run_json(run), "operations": [operation_json(o) for o in ops]})
    else:
        _out().print(operations_view(run, ops))


def demo(
    keep: bool = typer.Option(
        False, "--keep", help="Keep the emulators serving until Ctrl-C after the demo."
    ),
    employees: int = typer.Option(200, min=1, metavar="N", help="How many people to generate."),
    seed: int = typer.Option(8, metavar="SEED", help="Seed of the generated dataset."),
    serve: bool = typer.Option(
        False,
        "--serve",
        help="Sync the data once, then serve the dashboard and the API on it (Ctrl-C stops).",
    ),
    port: int = typer.Option(
        8080, "--port", min=0, max=65535, metavar="PORT", help="With --serve: the port."
    ),
) -> None:
    """Sync four pairs of emulated systems twice, on generated data: changes, then none.

    Every emulator runs in-process on a free loopback port; the config and mapping are written
    to a temporary folder, printed at the end so they can be copied as a starting point.
    With --serve: every sync but one runs once, then `serve` shows it all on 127.0.0.1."""
    from balance_gateway.adapters._core.extras import (
        MissingExtraError,
        require_emulators,
        require_service,
    )

    try:
        require_emulators("the demo's emulators")
        if serve:
            require_service("balance-gateway demo --serve")
    except MissingExtraError as exc:
        fail(str(exc))
    if serve:
        from balance_gateway.gateway.service.demo import serve_demo

        raise typer.Exit(serve_demo(employees=employees, seed=seed, port=port))
    from balance_gateway.gateway.demo import run_demo

    raise typer.Exit(run_demo(employees=employees, seed=seed, keep=keep))


PLAN_EXIT_CODES = exit_codes(
    "0  planned (whatever it would change); --detailed-exitcode: nothing to do",
    "1  a sync could not be read or planned",
    "2  bad configuration or usage; --detailed-exitcode: planned, writes are pending",
)
SYNC_EXIT_CODES = exit_codes(
    "0  everything applied and verified (or nothing to do)",
    "1  something failed, was blocked, not verified or left unresolved; or a guardrail or",
    "   the prompt stopped the run (--dry-run: a row is blocked or a guardrail would stop it)",
    "2  bad configuration or usage (also: no --yes without a terminal, a --plan file that",
    "   cannot be used: malformed, another version or configuration, too old), or another",
    "   run holds the state store: nothing was read or written",
    "130  interrupted (Ctrl-C or SIGTERM): the next sync resolves the writes in flight",
)
WORKER_EXIT_CODES = exit_codes(
    "0  stopped (SIGTERM or Ctrl-C) after finishing the units in hand",
    "2  bad configuration, no [distributed] section, or Celery and Redis not installed",
    "   (pip install 'balance-gateway[scale]')",
)
RUNS_EXIT_CODES = exit_codes(
    "0  shown",
    "2  bad configuration, no state store, or no such run",
)
DEMO_EXIT_CODES = exit_codes(
    "0  both passes did what they should (changes, then none)",
    "1  a pass failed or the second pass was not a no-op",
    "2  the emulators' server stack is not installed (pip install 'balance-gateway[emulators]');",
    "   with --serve: the service's is not (pip install 'balance-gateway[emulators,service]'),",
    "   or the port cannot be used",
)


def register(app: typer.Typer) -> None:
    """Add the engine's commands to `app`: plan, sync, worker, runs (list, show), demo."""
    app.command(name="plan", epilog=PLAN_EXIT_CODES)(with_verbose(plan))
    app.command(name="sync", epilog=SYNC_EXIT_CODES)(with_verbose(sync))
    app.command(name="worker", epilog=WORKER_EXIT_CODES)(with_verbose(worker))
    runs_app.callback(invoke_without_command=True, epilog=RUNS_EXIT_CODES)(with_verbose(runs))
    runs_app.command("show", epilog=RUNS_EXIT_CODES)(with_verbose(runs_show))
    app.add_typer(runs_app, name="runs")
    app.command(name="demo", epilog=DEMO_EXIT_CODES)(with_verbose(demo))
