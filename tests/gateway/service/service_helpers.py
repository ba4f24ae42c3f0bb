"""Starting `balance-gateway serve` / `demo --serve` as a user does, in a subprocess, and
reading the URL it prints."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

COMMAND = str(Path(sys.executable).parent / "balance-gateway")


@dataclass
class Running:
    """A started command: its process, the lines it printed so far, and the URL it gave."""

    process: subprocess.Popen[str]
    url: str = ""
    lines: list[str] = field(default_factory=list)
    _queue: queue.Queue[str | None] = field(default_factory=queue.Queue)
    _ended: bool = False  # the output has ended (the process closed it)

    def wait_for(self, pattern: str, seconds: float = 120) -> re.Match[str]:
        """The first printed line matching `pattern`; AssertionError (with the output) if the
        process ends or the time runs out first."""
        deadline = time.monotonic() + seconds
        for seen in self.lines:
            if found := re.search(pattern, seen):
                return found
        while not self._ended and time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            if line is None:
                self._ended = True
                break
            self.lines.append(line)
            if found := re.search(pattern, line):
                return found
        output = "".join(self.lines)
        raise AssertionError(
            f"no line matching {pattern!r} (exit {self.process.poll()}):\n{output}"
        )

    def stop(self, sig: int = signal.SIGTERM, seconds: float = 30) -> int:
        """Send `sig` and wait for the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            raise AssertionError(f"did not stop within {seconds} s after signal {sig}") from None


@contextmanager
def started(
    arguments: Sequence[str],
    env: Mapping[str, str],
    url_pattern: str,
    cwd: Path | None = None,
    seconds: float = 180,
) -> Iterator[Running]:
    """`balance-gateway ARGUMENTS` running until the block ends (then SIGTERM); `url` is the
    first group of the first line matching `url_pattern`."""
    process = subprocess.Popen(
        [COMMAND, *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200", **env},
        cwd=cwd,
    )
    running = Running(process)

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            running._queue.put(line)
        running._queue.put(None)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        running.url = running.wait_for(url_pattern, seconds).group(1).rstrip("/")
        yield running
    finally:
        if process.poll() is None:
            running.stop()
        reader.join(timeout=10)  # the output ends with the process
        assert process.stdout is not None
        process.stdout.close()
