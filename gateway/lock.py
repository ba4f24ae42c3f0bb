"""The run lock: one `sync` at a time per state store.

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
        super().__init__(
            f"another balance-gateway run is using the state store {state_path} (lock file "
            f"{lock_path(state_path)}); wait for it to finish, then run again"
        )


def lock_path(state_path: Path) -> Path:
    """The lock file of the state store at `state_path`: `<state path>.lock`."""
    return state_path.with_name(state_path.name + ".lock")


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

    def release(self) -> None:
        """Let the next run in (closing the file drops the lock)."""
        fd, self._fd = self._fd, None
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
