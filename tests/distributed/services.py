"""What the distributed tests run against: Redis (a database of its own per test), emulators
each in its own process on 127.0.0.1, and `balance-gateway worker` processes.

The emulator processes are the shared `adapters._emulator.process.EmulatorProcess`, each
wrapped here in `ArrivalsApp`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from balance_gateway.adapters._emulator.process import EmulatorProcess as SharedEmulatorProcess

ROOT = Path(__file__).resolve().parents[2]
ARRIVALS_PATH = "/_test/arrivals"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REQUIRE = "BALANCE_GATEWAY_REQUIRE_SERVICES"


class ArrivalsApp:
    """ASGI wrapper: notes the arrival time (monotonic) of every vendor request (not the admin
    API's) and answers GET /_test/arrivals with them."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.arrivals: list[float] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_emulator"):
            await self.app(scope, receive, send)
            return
        if scope["path"] == ARRIVALS_PATH:
            body = json.dumps(self.arrivals).encode()
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        self.arrivals.append(time.monotonic())
        await self.app(scope, receive, send)


class EmulatorProcess(SharedEmulatorProcess):
    """One vendor emulator served by a child process, loaded with `state`; it notes when each
    vendor request arrived (`arrivals`)."""

    def __init__(self, vendor: str, state: Mapping[str, Any], token: str, folder: Path) -> None:
        self.state_at_start = state
        super().__init__(
            vendor, state, folder, token=token, wrap=f"{__name__}:ArrivalsApp", cwd=ROOT
        )

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.get("/_emulator/state")["tenants"]["default"]
        return state

    def reset(self) -> None:
        """Back to the state it started with, faults off."""
        self.put("/_emulator/state", self.state_at_start)
        self.put("/_emulator/faults", {})

    def arrivals(self) -> list[float]:
        return [float(t) for t in self.get(ARRIVALS_PATH)]


def cli(*args: str, env: Mapping[str, str], **popen: Any) -> subprocess.Popen[str]:
    """`balance-gateway ARGS` in a fresh process."""
    return subprocess.Popen(
        [sys.executable, "-c", "from balance_gateway.gateway.cli import main; main()", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        text=True,
        **popen,
    )


class Workers:
    """`balance-gateway worker` processes for one configuration, each in its own session (so
    that a kill takes the worker's pool children with it, as a machine dying would)."""

    def __init__(self, config: Path, env: Mapping[str, str], log_folder: Path) -> None:
        self.config = config
        self.env = env
        self.log_folder = log_folder
        self.processes: list[subprocess.Popen[str]] = []

    def start(self, count: int = 1) -> list[subprocess.Popen[str]]:
        started = []
        for _ in range(count):
            log = self.log_folder / f"worker-{len(self.processes) + 1}.log"
            with log.open("w") as handle:
                process = cli(
                    "worker",
                    "--config",
                    str(self.config),
                    env=self.env,
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            self.processes.append(process)
            started.append(process)
        return started

    def kill(self, process: subprocess.Popen[str]) -> None:
        """SIGKILL the worker and its pool processes at once."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def logs(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.log_folder.glob("worker-*.log")))

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def redis_free_db(used: Sequence[int] = ()) -> int:
    """A Redis database (1-15) holding no keys, for one test."""
    import redis

    for db in range(1, 16):
        if db in used:
            continue
        client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db)
        try:
            if client.dbsize() == 0:
                return db
        finally:
            client.close()
    raise RuntimeError("no empty Redis database (1-15) left for the test")
