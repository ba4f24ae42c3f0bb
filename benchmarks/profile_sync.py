"""Profile one engine sync: where the engine's CPU goes, by own time and by cumulative time.

    python benchmarks/profile_sync.py                          # N = 1,000 x 3 types, no limit
    python benchmarks/profile_sync.py --employees 300 --top 25 --markdown profile.md
    python benchmarks/profile_sync.py --pair <ledger pair> --rate-limit 300 --stats out.prof
    python benchmarks/profile_sync.py --peer                   # the hand-written peer instead
    python benchmarks/profile_sync.py --sample                 # sampled, not traced

The same setup as `bench_peer.py --scale` (`benchmarks/_harness.py`): generated data, the
pair's emulators FRESH in their own processes (20 ms latency on every request), the engine's
config as the benchmarks write it, and one `run_sync` with the harness's counting transports.
Only the sync is profiled, in this process; imports and the emulators are not part of the
profile. `--peer` profiles `peer_script.py` the same way, to see what the engine spends that
the peer does not. The end state is checked against the source, so a profile never comes
from a run that did the wrong thing.

cProfile traces every call, and so inflates code made of many tiny calls (the HTTP stack's
connection pool) about twice as much as code made of few larger ones (SQLite, pydantic):
`--sample` instead samples the running stack every millisecond from a thread (statistical,
with little overhead), which gives each group's share of the real CPU.

Reported: the own time summed by group (the HTTP stack, the journal and its store, tenacity,
pydantic, logging, asyncio, the SDK core, the vendor adapters, the engine; the rest of the
standard library counted under its caller's group), the garbage collector's collections and
time (which a profiler charges to whatever allocated when one started), then (cProfile) the
top functions by own and by cumulative time, or (`--sample`) the top frames. `--stats` writes
the raw cProfile data (for `python -m pstats` or snakeviz).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import importlib.util
import io
import json
import os
import pstats
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a plain script from a source tree
    sys.path.insert(0, str(ROOT))

from benchmarks._engine_worker import _one_sync  # noqa: E402  (needs ROOT on sys.path)
from benchmarks._harness import (  # noqa: E402
    ABSOLUTE,
    ENV,
    LATENCY_MS,
    MAX_IN_FLIGHT,
    PAIRS,
    THREE_TYPES,
    TWO_TYPES,
    Dataset,
    Emulators,
    client_rps,
    generate,
    load_average,
    machine,
    markdown_table,
    write_config,
    write_mapping,
    wrong_balances,
)
from benchmarks.bench_peer import PEER, peer_command  # noqa: E402

# (group, what a function's file path contains), first match wins: the order matters
# (`gateway/store/` before `gateway/`, the SDK core before the vendors' adapters).
_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("HTTP stack", ("/httpx/", "/httpcore/", "/h11/", "/anyio/", "/sniffio/", "/idna/")),
    ("journal", ("/gateway/journal.py", "/gateway/store/", "/sqlite3/", "/sqlalchemy/")),
    ("tenacity", ("/tenacity/",)),
    ("pydantic", ("/pydantic/", "/pydantic_core/")),
    ("logging", ("/structlog/", "/logging/", "/adapters/_core/logging.py")),
    ("asyncio", ("/asyncio/", "/selectors.py")),
    ("SDK core", ("/adapters/_core/",)),
    ("vendor adapters", ("/adapters/",)),
    ("engine", ("/gateway/", "/canonical/")),
    ("benchmark code", ("/benchmarks/",)),  # the harness's counting transport, the peer
)
# Built-ins (`<built-in method ...>`, `<method ... of '...' objects>`) have no file: grouped by
# what they are methods of, when that says it.
WAITING = "waiting in epoll (idle, not CPU)"
_BUILTIN_HINTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (WAITING, ("select.epoll",)),
    ("journal", ("sqlite3.",)),
    ("pydantic", ("pydantic_core", "SchemaValidator", "SchemaSerializer")),
    ("asyncio", ("_asyncio.", "'_asyncio")),
)
# What belongs to no group of its own (the rest of the standard library, other built-ins) is
# counted in the group of its heaviest caller: `json.loads` under the SDK core that parses a
# body, `enum` under the engine that converts units, `socket.family` under the HTTP stack.
_UNOWNED = ("other", "built-ins")


def group_of(filename: str, function: str) -> str:
    """The group a profiled function belongs to, from its file (or, for a built-in, its
    name)."""
    path = filename.replace(os.sep, "/")
    for group, markers in _GROUPS:
        if any(marker in path for marker in markers):
            return group
    if filename == "~":  # a built-in
        for group, hints in _BUILTIN_HINTS:
            if any(hint in function for hint in hints):
                return group
        return "built-ins"
    return "other"


@dataclass(frozen=True)
class Entry:
    """One profiled function."""

    where: str  # file:line(function), the file shortened
    group: str
    calls: int
    own: float  # seconds in the function itself
    cumulative: float  # seconds in it and what it called


def _short(filename: str) -> str:
    path = filename.replace(os.sep, "/")
    if "/site-packages/" in path:
        return path.split("/site-packages/", 1)[1]
    if "/lib/python3" in path:  # the standard library: drop "python3.x/"
        return path.split("/lib/python3", 1)[1].split("/", 1)[-1]
    root = str(ROOT).replace(os.sep, "/") + "/"
    return path.removeprefix(root)


Func = tuple[str, int, str]  # cProfile's (file, line, function)


def _resolve(raw: dict[Func, Any], func: Func, direct: dict[Func, str]) -> str:
    """`func`'s group, or for an unowned one, that of its heaviest caller (transitively)."""
    seen = {func}
    while direct[func] in _UNOWNED:
        callers: dict[Func, Any] = raw[func][4]
        # Heaviest caller: the one whose calls into `func` took the most cumulative time.
        ranked = sorted(callers.items(), key=lambda item: -item[1][3])
        heaviest = next((caller for caller, _ in ranked if caller not in seen), None)
        if heaviest is None or heaviest not in direct:
            return direct[func]
        seen.add(heaviest)
        func = heaviest
    return direct[func]


def entries(stats: pstats.Stats) -> list[Entry]:
    """Every function of `stats`, grouped (an unowned one by its heaviest caller)."""
    raw: dict[Func, Any] = stats.stats  # type: ignore[attr-defined]
    direct = {func: group_of(func[0], func[2]) for func in raw}
    found = []
    for func, (_, calls, own, cumulative, _) in raw.items():
        filename, line, function = func
        where = function if filename == "~" else f"{_short(filename)}:{line}({function})"
        found.append(Entry(where, _resolve(raw, func, direct), calls, own, cumulative))
    return found


@dataclass
class Profile:
    """What one profiled sync came to."""

    n: int
    balances: int
    wall: float
    cpu: float
    requests: int
    entries: list[Entry]
    contender: str = "engine"
    how: str = "cProfile"
    collector: str = ""  # `CollectorTime.summary`

    @property
    def profiled(self) -> float:
        """The profile's total own time (seconds) but idle waiting: what the groups' shares
        are of."""
        return sum(e.own for e in self.entries if e.group != WAITING)

    def groups(self) -> list[tuple[str, float]]:
        """(group, own seconds), largest first."""
        totals: dict[str, float] = {}
        for e in self.entries:
            totals[e.group] = totals.get(e.group, 0.0) + e.own
        return sorted(totals.items(), key=lambda item: -item[1])

    def top(self, key: str, count: int) -> list[Entry]:
        """The `count` busiest functions by `key` ("own" or "cumulative"), idle waits left
        out."""
        busy = [e for e in self.entries if e.group != WAITING]
        return sorted(busy, key=lambda e: -getattr(e, key))[:count]


def _engine(config: Path) -> dict[str, Any]:
    """One engine sync (the benchmarks' `_one_sync`): its result."""
    import balance_gateway.gateway.runner  # noqa: F401  (imports are not profiled)

    def run() -> dict[str, Any]:
        result: dict[str, Any] = asyncio.run(_one_sync(config))
        if result["errors"] or result["exit_code"] != 0:
            raise RuntimeError(
                f"the profiled sync went wrong: exit code {result['exit_code']}, "
                f"errors {result['errors']}"
            )
        return result

    # The config names its credentials' environment variables: set for this run only.
    with mock.patch.dict(os.environ, ENV):
        return _profiled(run)


def _peer(data: Dataset, urls: dict[str, str], folder: Path, rate_limit: float) -> dict[str, Any]:
    """The hand-written peer (`peer_script.py`) run in this process, as `bench_peer.py` runs
    it: its result."""
    spec = importlib.util.spec_from_file_location("peer_script", PEER)
    assert spec is not None
    assert spec.loader is not None
    peer = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = peer  # its dataclasses look their module up
    spec.loader.exec_module(peer)
    mapping = write_mapping(folder / "peer", data)
    argv = peer_command(data, urls, mapping, client_rps(rate_limit) if rate_limit else 0)[2:]

    def run() -> dict[str, Any]:
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            peer.main(argv)
        result: dict[str, Any] = json.loads(printed.getvalue().strip().splitlines()[-1])
        return result

    with mock.patch.dict(os.environ, ENV):
        return _profiled(run)


class Traced:
    """cProfile, on its own (wall) timer: a CPU timer (`time.process_time`) costs a system call
    per event and would inflate the functions called most. The one place the event loop waits
    idle, `epoll.poll`, is counted apart (`WAITING`), not as CPU."""

    def __init__(self) -> None:
        self.profiler = cProfile.Profile()

    def enable(self) -> None:
        self.profiler.enable()

    def disable(self) -> None:
        self.profiler.disable()

    def entries(self, cpu: float) -> list[Entry]:
        return entries(pstats.Stats(self.profiler))

    def dump(self, path: Path) -> None:
        self.profiler.dump_stats(str(path))


class Sampled:
    """Samples the main thread's stack every `interval` seconds from a thread of its own."""

    def __init__(self, interval: float = 0.001) -> None:
        self.interval = interval
        self.stacks: Counter[tuple[Func, ...]] = Counter()  # innermost frame first
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._switch = sys.getswitchinterval()

    def _run(self, target: int) -> None:
        while not self._stop.wait(self.interval):
            frame: FrameType | None = sys._current_frames().get(target)
            stack: list[Func] = []
            while frame is not None and len(stack) < 200:
                code = frame.f_code
                stack.append((code.co_filename, code.co_firstlineno, code.co_name))
                frame = frame.f_back
            self.stacks[tuple(stack)] += 1

    def enable(self) -> None:
        # The sampler runs when the main thread lets go of the GIL: at least this often.
        sys.setswitchinterval(self.interval / 2)
        target = threading.get_ident()
        self._thread = threading.Thread(target=self._run, args=(target,), daemon=True)
        self._thread.start()

    def disable(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        sys.setswitchinterval(self._switch)

    def entries(self, cpu: float) -> list[Entry]:
        """One entry per function seen: own = samples with it innermost, cumulative = samples
        with it anywhere on the stack, both scaled so that the busy samples add up to `cpu`;
        a sample is in the group of its innermost frame that has one."""
        idle = ("selectors.py", "select")
        busy = sum(n for stack, n in self.stacks.items() if not _idle(stack, idle))
        scale = cpu / busy if busy else 0.0
        own: Counter[Func] = Counter()
        cumulative: Counter[Func] = Counter()
        groups: dict[Func, str] = {}
        for stack, n in self.stacks.items():
            if not stack:
                continue
            inner = stack[0]
            own[inner] += n
            for func in set(stack):
                cumulative[func] += n
            if _idle(stack, idle):
                groups[inner] = WAITING
            elif inner not in groups:
                owned = (group_of(f[0], f[2]) for f in stack)
                groups[inner] = next((g for g in owned if g not in _UNOWNED), "other")
        found = []
        for func, total in cumulative.items():
            filename, line, function = func
            group = groups.get(func) or group_of(filename, function)
            where = f"{_short(filename)}:{line}({function})"
            found.append(Entry(where, group, 0, own[func] * scale, total * scale))
        return found

    def dump(self, path: Path) -> None:
        raise ValueError("--stats needs the traced profile (no --sample)")


def _idle(stack: tuple[Func, ...], idle: tuple[str, str]) -> bool:
    """The event loop waiting for I/O: the innermost frame is the selector's `select`."""
    return bool(stack) and stack[0][0].endswith(idle[0]) and stack[0][2] == idle[1]


Profiler = Traced | Sampled
_profiler: Profiler = Traced()


class CollectorTime:
    """The garbage collector's collections and time during a run, by generation (from
    `gc.callbacks`): a profiler charges a collection to whatever function allocated when it
    started, so its cost shows nowhere of its own."""

    def __init__(self) -> None:
        self.collections = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.collections[info["generation"]] += 1
            self.seconds[info["generation"]] += time.perf_counter() - self._started

    def summary(self) -> str:
        by_generation = ", ".join(
            f"generation {g}: {n:,} in {s:.2f} s"
            for g, (n, s) in enumerate(zip(self.collections, self.seconds, strict=True))
        )
        return f"garbage collector: {sum(self.seconds):.2f} s ({by_generation})"


def _profiled(run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """`run()` under the module's profiler, with its CPU and wall time and the collector's
    time added."""
    collector = CollectorTime()
    gc.callbacks.append(collector)
    cpu, wall = time.process_time(), time.perf_counter()
    _profiler.enable()
    try:
        result = run()
    finally:
        _profiler.disable()
        gc.callbacks.remove(collector)
    result["profiled_wall"] = time.perf_counter() - wall
    result["profiled_cpu"] = time.process_time() - cpu
    result["collector"] = collector.summary()
    return result


def profile_sync(
    n: int,
    pair_name: str,
    types: int,
    rate_limit: float,
    stats_path: Path | None,
    *,
    peer: bool = False,
    sample: bool = False,
) -> Profile:
    """One sync of `pair_name` over `n` employees x `types` leave types by the engine (`peer`:
    by the hand-written peer script instead), profiled; raises when the sync did not leave
    the target as the source says."""
    global _profiler
    _profiler = Sampled() if sample else Traced()
    data = generate(n, PAIRS[pair_name], THREE_TYPES if types == 3 else TWO_TYPES)
    folder = Path(tempfile.mkdtemp(prefix="profile-sync-"))
    try:
        with Emulators(data, folder / "emulators", rate_limit) as emus:
            urls = {
                emus.source.vendor: emus.source.base_url,
                emus.target.vendor: emus.target.base_url,
            }
            if peer:
                result = _peer(data, urls, folder, rate_limit)
            else:
                result = _engine(write_config(folder / "config", data, urls, rate_limit))
            wrong = wrong_balances(data, emus.target.balances())
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if wrong:
        raise RuntimeError(f"the profiled sync left {wrong} target balances unlike the source")
    if stats_path is not None:
        _profiler.dump(stats_path)
    requests = sum(sum(c.values()) for c in result["requests"].values())
    return Profile(
        n,
        len(data.want),
        result["profiled_wall"],
        result["profiled_cpu"],
        requests,
        _profiler.entries(result["profiled_cpu"]),
        "peer script" if peer else "engine",
        "sampled" if sample else "cProfile",
        result["collector"],
    )


def report(profile: Profile, top: int, pair_name: str, rate_limit: float, load: str) -> list[str]:
    """The profile as Markdown: the setup, the groups, the top functions two ways."""
    p, b = profile, profile.balances
    whole = p.profiled or 1.0
    lines = [
        f"machine: {machine()}; load average (1, 5, 15 min) at start/end: {load}",
        f"**{p.contender}**, **{pair_name}**, N = {p.n:,} employees, {b:,} balances, target limit "
        + (f"{rate_limit:g} requests/s" if rate_limit else "none"),
        f"latency {LATENCY_MS:g} ms on every request; max_in_flight {MAX_IN_FLIGHT}; "
        f"{p.requests:,} requests",
        f"wall {p.wall:.2f} s; CPU {p.cpu:.2f} s = {p.cpu / b * 1000:.2f} ms per balance "
        + (
            "(under cProfile, which slows Python code down: compare shares, not absolute figures)"
            if p.how == "cProfile"
            else "(sampled every millisecond; the groups' seconds are shares of this CPU)"
        ),
        f"{p.collector} (wall time, part of the CPU above)",
        "",
        "**own time by group**",
        "",
    ]
    rows = [
        (group, [f"{seconds:.2f} s", f"{seconds / whole:.0%}", f"{seconds / b * 1000:.3f} ms"])
        for group, seconds in p.groups()
        if group != WAITING
    ]
    waiting = dict(p.groups()).get(WAITING, 0.0)
    rows.append((f"({WAITING})", [f"{waiting:.2f} s", "-", "-"]))
    lines += [markdown_table(["own time", "share", "per balance"], rows), ""]
    for key, title in (("own", "own time"), ("cumulative", "cumulative time")):
        lines += [f"**top {top} by {title}**", ""]
        rows = [
            (
                f"`{e.where}`",
                [
                    e.group,
                    f"{e.calls:,}" if e.calls else "-",
                    f"{e.own:.3f} s",
                    f"{e.cumulative:.3f} s",
                ],
            )
            for e in p.top(key, top)
        ]
        lines += [markdown_table(["group", "calls", "own", "cumulative"], rows), ""]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--employees", type=int, default=1_000, help="N (default 1,000)")
    parser.add_argument("--pair", default=ABSOLUTE.name, help=f"one of {', '.join(PAIRS)}")
    parser.add_argument("--types", type=int, choices=(2, 3), default=3, help="leave types")
    parser.add_argument(
        "--rate-limit", type=float, default=0, help="the target's limit (default 0: none)"
    )
    parser.add_argument("--top", type=int, default=30, help="functions per table")
    parser.add_argument("--markdown", type=Path, help="also write the report here (Markdown)")
    parser.add_argument("--stats", type=Path, help="also write the raw cProfile data here")
    parser.add_argument(
        "--peer", action="store_true", help="profile the hand-written peer script instead"
    )
    parser.add_argument(
        "--sample", action="store_true", help="sample the stack (1 ms) instead of cProfile"
    )
    args = parser.parse_args(argv)
    if args.pair not in PAIRS:
        parser.error(f"unknown pair {args.pair}; known: {', '.join(PAIRS)}")
    before = load_average()
    profile = profile_sync(
        args.employees,
        args.pair,
        args.types,
        args.rate_limit,
        args.stats,
        peer=args.peer,
        sample=args.sample,
    )
    load = ", ".join(f"{a:.2f}/{b:.2f}" for a, b in zip(before, load_average(), strict=True))
    lines = report(profile, args.top, args.pair, args.rate_limit, load)
    print("\n".join(lines))
    if args.markdown is not None:
        args.markdown.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
