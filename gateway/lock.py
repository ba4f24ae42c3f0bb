"""The run lock: one `sync` at a time per state store (this file lock for a SQLite store; a
PostgreSQL store takes an advisory lock instead, `gateway.store.pglock`).

Two runs on one state store at once would each resolve the other's in-flight intents and
plan against values the other is about to write (a double credit on a ledger). A run that
writes the journal therefore holds an exclusive, non-blocking lock on `<state path>.lock` for
its whole length (resolve, plan, apply, verify). A second run fails at once with `RunLocked`
(CLI exit code 2, like any run that could not start) naming the state file; it never waits.

The lock is `fcntl.flock` on POSIX (`msvcrt.locking` on Windows): the operating system drops it
when the process ends, however it ends (SIGKILL included), so a crashed run never leaves a
stale lock behind. The lock file itself stays in place (removing it would race a run taking
it). Readers (`plan`, `runs`, `sync --dry-run`) do not take the lock: the state store is
SQLite in WAL mode, and they read it while a run writes.

Nothing about the path may let two runs in at once: the lock is taken on the state store's
resolved real path (`<real path>.lock`), so a symlink to the store, or a symlinked folder,
meets the same lock; and on POSIX the state file itself is locked too (`flock`, which SQLite's
own `fcntl` locks do not see), so a lock file deleted under a running sync does not let a
second one in.

A run checks its lock before each wave's writes and every few seconds while writing
(`Engine.sync(lock_check=...)`): a PostgreSQL session can end under a run (a restart, a
terminated backend), taking its advisory lock with it; the run then stops with `LockLost`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import TracebackType

from balance_gateway.gateway.errors import SetupError


class RunLocked(SetupError):
    """Another run holds the state store's lock."""

    def __init__(self, state_path: Path) -> None:
        self.state_path = state_path
        real = real_path(state_path)
        shown = f"{state_path}" + ("" if real == state_path else f" (really {real})")
        super().__init__(
            f"another balance-gateway run is using the state store {shown} (lock file "
            f"{lock_path(state_path)}); wait for it to finish, then run again"
        )


class LockLost(SetupError):
    """The run lock this run held is gone (e.g. the database session holding a PostgreSQL
    advisory lock ended): another run may have started, so this one writes nothing more."""

    def __init__(self, store: str, why: str) -> None:
        self.store = store
        super().__init__(
            f"the run lock on the state store {store} was lost ({why}): another run may have "
            "started, so this run stopped before its next write; the writes in flight are "
            "journalled, and the next run resolves anything left unresolved"
        )


def nobody_holds(state_path: Path | str) -> bool:
    """Whether no run holds the state store's lock right now (then a run still recorded as
    `running` was killed). Takes and drops a shared lock: a run starting in that instant is
    refused as if another run were going on."""
    path = lock_path(Path(state_path))
    if not path.exists():
        return True
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        if sys.platform == "win32":
            return _try_lock(fd)
        import fcntl

        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
    finally:
        os.close(fd)


def real_path(state_path: Path) -> Path:
    """The state store's path with every symlink resolved (the file need not exist)."""
    return Path(os.path.realpath(state_path))


def lock_path(state_path: Path) -> Path:
    """The lock file of the state store at `state_path`: `<real state path>.lock`."""
    real = real_path(state_path)
    return real.with_name(real.name + ".lock")


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class RunLock:
    """An exclusive lock on a state store, held from `acquire` (or `with`) to `release`.

    `acquire` never blocks: it raises `RunLocked` when another run (in this process or any
    other) holds the lock. Not reentrant: a second `RunLock` on the same store in the same
    process is refused as well."""

    def __init__(self, state_path: Path | str) -> None:
        self.state_path = Path(state_path)
        self.path = lock_path(self.state_path)
        self._fd: int | None = None
        self._store_fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        if self._fd is not None:
            raise RuntimeError(f"the run lock {self.path} is already held by this object")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            locked = _try_lock(fd)
        except BaseException:
            os.close(fd)
            raise
        if not locked:
            os.close(fd)
            raise RunLocked(self.state_path)
        self._fd = fd
        try:
            self._lock_store()
        except BaseException:
            self.release()
            raise

    def check(self) -> None:
        """Raise `LockLost` unless the lock is still held. A file lock lasts as long as its
        descriptor, which only `release` closes: held from `acquire` on."""
        if self._fd is None:
            raise LockLost(str(self.state_path), "it is not held")

    def _lock_store(self) -> None:
        """Lock the state file itself as well (POSIX, when it exists): what a deleted lock
        file cannot undo. Never on Windows, where a lock would block SQLite's own reads."""
        store = real_path(self.state_path)
        if sys.platform == "win32" or not store.is_file():
            return
        fd = os.open(store, os.O_RDONLY)
        try:
            locked = _try_lock(fd)
        except BaseException:
            os.close(fd)
            raise
        if not locked:
            os.close(fd)
            raise RunLocked(self.state_path)
        self._store_fd = fd

    def release(self) -> None:
        """Let the next run in (closing the files drops the locks). Close the state store's
        journal first: closing a descriptor of the state file drops this process's SQLite
        locks on it."""
        for name in ("_store_fd", "_fd"):
            fd = getattr(self, name)
            setattr(self, name, None)
            if fd is not None:
                os.close(fd)

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
