"""One vendor emulator in a child process of its own, on a free loopback port: what the
benchmarks and the distributed tests run against, so that the emulator's CPU is not the
caller's (and a killed caller leaves it serving).

`EmulatorProcess(vendor, state, folder, token=...)` writes `state` (the admin API's bare-state
JSON) to a file in `folder`, starts the child and waits for its port; `stop()` (or leaving the
`with` block) closes the child's standard input, which stops it. `wrap` names an ASGI
wrapper class ("module:Class", importable in the child) that the child puts around the
emulator's app, e.g. to count requests.

Run as a module, this is the child:
    python -m balance_gateway.adapters._emulator.process VENDOR STATE_FILE TOKEN \\
        [--latency-ms N] [--rate-limit N] [--wrap module:Class]
It prints "PORT n" once serving, and stops when standard input closes.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Self

import httpx


class EmulatorProcess:
    """One vendor emulator served by a child process, loaded with `state` (see the module
    docstring); `base_url` is where it answers. `rate_limit` 0: none."""

    def __init__(
        self,
        vendor: str,
        state: Mapping[str, Any],
        folder: Path,
        *,
        token: str,
        latency_ms: float = 0,
        rate_limit: float = 0,
        wrap: str | None = None,
        cwd: Path | None = None,
    ) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        state_file = folder / f"{vendor}-state.json"
        state_file.write_text(json.dumps(state))
        self.vendor = vendor
        command = [sys.executable, "-m", __name__, vendor, str(state_file), token]
        command += ["--latency-ms", str(latency_ms), "--rate-limit", str(rate_limit)]
        if wrap:
            command += ["--wrap", wrap]
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=cwd
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"the {vendor} emulator did not start (said {line!r})")
        self.base_url = f"http://127.0.0.1:{int(line.split()[1])}"

    def get(self, path: str) -> Any:
        """GET `path`'s JSON (an HTTP error status raises)."""
        with httpx.Client(timeout=600) as http:
            response = http.get(self.base_url + path)
            response.raise_for_status()
            return response.json()

    def put(self, path: str, body: Any) -> None:
        with httpx.Client(timeout=600) as http:
            http.put(self.base_url + path, json=body).raise_for_status()

    def balances(self) -> dict[tuple[str, str], Decimal]:
        """(employee id, leave type id) -> remaining, in the vendor's unit, as the emulator
        tells it (`GET /_emulator/balances`, today)."""
        body = self.get("/_emulator/balances")
        return {(b["employee"], b["leave_type"]): Decimal(b["remaining"]) for b in body["balances"]}

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the emulator process has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.stdin is not None and not self.process.stdin.closed:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _wrapper(spec: str) -> Any:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def main(argv: Sequence[str] | None = None) -> None:
    """The child process (see the module docstring)."""
    from balance_gateway.adapters._emulator import EmulatorOptions, ServerThread, build_emulator

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("vendor")
    parser.add_argument("state_file", type=Path)
    parser.add_argument("token")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--rate-limit", type=float, default=0.0)
    parser.add_argument("--wrap", default=None)
    args = parser.parse_args(argv)
    options = EmulatorOptions(
        token=args.token,
        data=args.state_file,
        latency_ms=args.latency_ms,
        rate_limit=args.rate_limit or None,
    )
    app = build_emulator(args.vendor, options).app
    if args.wrap:
        app = _wrapper(args.wrap)(app)
    with ServerThread(app) as server:
        print(f"PORT {server.port}", flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
