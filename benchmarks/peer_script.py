"""The peer: the concurrent script a competent integrator writes by hand instead of the engine.

    BENCH_ZEITSTROM_TOKEN=... BENCH_JOURNYX_USERNAME=... BENCH_JOURNYX_API_KEY=... \\
    python benchmarks/peer_script.py --source zeitstrom=URL --target journyx=URL \\
        --mapping employees.csv --type holiday=Vacation --type "overtime=Time Bank" \\
        --rate-limit 291 --max-in-flight 16

Plain asyncio + httpx, no part of the engine: one bulk read of the source, one of the target,
then one write per balance that differs, at most `--max-in-flight` requests at once and the
target paced by a token bucket (`--rate-limit` requests/s, a burst of one second's worth; 0: no
limit). A 429 is retried after its Retry-After. Writes:
- Journyx (absolute): PATCH the accrual's `hours_left`;
- Zeitstrom (a ledger, credit only): POST a manual credit of the difference labelled
  `peer-script <run> <employee>/<type>`; when a POST's answer is lost (a transport error or a
  5xx) the label is looked up before it is sent again, so a credit is booked once. A balance
  above the source's cannot be lowered by a credit and is counted as `blocked`.
Zeitstrom's aggregate nets every date: right for the benchmark's data, which books nothing
after today (the engine also reads what is dated later). The employees.csv is the engine's
(columns `zeitstrom`, `journyx`, `hours_per_day`); days and hours convert by each person's
working day. It does not verify by reading back.

Prints one JSON object: wall and CPU seconds, peak RSS, balances, writes, requests by system.
Credentials come from the same environment variables as the benchmark's engine config.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import httpx

ZEITSTROM_AGGREGATE = "/api/v2/timestamps/absence-transactions/aggregate/"
ZEITSTROM_TRANSACTIONS = "/api/v2/timestamps/absence-transactions/"
JOURNYX_ACCRUALS = "/api/v1/accruals"
PAGE = 1000  # the largest page either vendor serves

Key = tuple[str, str]  # (employee id, type id)


class TokenBucket:
    """At most `rate` acquisitions a second, in bursts of at most one second's worth."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.tokens = self.capacity
        self.stamp = time.monotonic()

    async def take(self) -> None:
        while True:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= 1:
                self.tokens -= 1
                return
            await asyncio.sleep((1 - self.tokens) / self.rate)


@dataclass
class Api:
    """One vendor: an httpx client, the shared in-flight limit, the target's bucket."""

    vendor: str
    http: httpx.AsyncClient
    gate: asyncio.Semaphore
    bucket: TokenBucket | None = None
    counts: Counter[str] = field(default_factory=Counter)

    async def send(self, method: str, url: str, **kwargs: Any) -> Any:
        """The answer's JSON; a 429 is retried after its Retry-After, other errors raise."""
        while True:
            if self.bucket is not None:
                await self.bucket.take()
            async with self.gate:
                response = await self.http.request(method, url, **kwargs)
            self.counts[f"{method} {response.status_code}"] += 1
            if response.status_code == 429:
                await asyncio.sleep(float(response.headers.get("retry-after", "1")))
                continue
            response.raise_for_status()
            return response.json() if response.content else None


def client(vendor: str, base_url: str, max_in_flight: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=max_in_flight, max_keepalive_connections=max_in_flight)
    if vendor == "zeitstrom":
        headers = {"Authorization": f"Token {os.environ['BENCH_ZEITSTROM_TOKEN']}"}
        return httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=60)
    auth = (os.environ["BENCH_JOURNYX_USERNAME"], os.environ["BENCH_JOURNYX_API_KEY"])
    return httpx.AsyncClient(base_url=base_url, auth=auth, limits=limits, timeout=60)


# -- bulk reads -----------------------------------------------------------------------------------


@dataclass
class Holding:
    value: Decimal  # days (Zeitstrom) or hours (Journyx)
    where: str = ""  # the accrual id, for a Journyx write


async def read_all(api: Api) -> dict[Key, Holding]:
    """Every balance the vendor holds, by (employee id, type id)."""
    if api.vendor == "zeitstrom":  # the aggregate, unfiltered: every employee in one answer
        body = await api.send("GET", ZEITSTROM_AGGREGATE, params={"balance": "true"})
        return {
            (row["employee_id"], row["missing_type"]): Holding(Decimal(str(row["balance"])))
            for row in body["results"]
        }
    found: dict[Key, Holding] = {}
    url: str | None = JOURNYX_ACCRUALS
    params: dict[str, str] | None = {
        "$keys": "id,id_user,pname,hours_left,status_code",
        "$top": str(PAGE),
    }
    while url is not None:
        body = await api.send("GET", url, params=params)
        for accrual in body["results"]:
            if accrual.get("status_code") != "h" and accrual.get("hours_left") is not None:
                key = (accrual["id_user"], accrual["pname"])
                found[key] = Holding(Decimal(str(accrual["hours_left"])), accrual["id"])
        url, params = body.get("@nextLink"), None  # the link carries the query
    return found


# -- writes ---------------------------------------------------------------------------------------


@dataclass
class Tally:
    balances: int = 0
    unchanged: int = 0
    writes: int = 0
    blocked: int = 0
    missing: int = 0


async def post_credit_once(api: Api, body: dict[str, Any]) -> None:
    """POST a labelled credit; when its answer is lost, send it again only if the label is not
    booked (a POST that reached the ledger must not credit twice)."""
    while True:
        try:
            await api.send("POST", ZEITSTROM_TRANSACTIONS, json=body)
            return
        except (httpx.TransportError, httpx.HTTPStatusError) as error:
            if isinstance(error, httpx.HTTPStatusError) and error.response.status_code < 500:
                raise
        params = {"employee_ids": body["employee_id"], "limit": str(PAGE)}
        listed = await api.send("GET", ZEITSTROM_TRANSACTIONS, params=params)
        if any(tx["label"] == body["label"] for tx in listed["results"]):
            return


def plan(
    rows: Sequence[dict[str, str]],
    types: Sequence[tuple[str, str]],
    source: tuple[Api, dict[Key, Holding]],
    target: tuple[Api, dict[Key, Holding]],
    tally: Tally,
    run_id: str,
) -> Iterator[Callable[[], Awaitable[object]]]:
    """One write per balance that differs, made lazily (no task or list per row)."""
    (src, have), (dst, held) = source, target
    today = datetime.now(UTC).date().isoformat()
    for row in rows:
        per_day = Decimal(row["hours_per_day"])
        for source_type, target_type in types:
            given = have.get((row[src.vendor], source_type))
            current = held.get((row[dst.vendor], target_type))
            if given is None or current is None:
                tally.missing += 1
                continue
            tally.balances += 1
            # The source's unit to the target's: Zeitstrom days, Journyx hours.
            value = given.value * per_day if dst.vendor == "journyx" else given.value / per_day
            if value == current.value:
                tally.unchanged += 1
                continue
            if dst.vendor == "journyx":
                url, patch = f"{JOURNYX_ACCRUALS}/{current.where}", {"hours_left": float(value)}
                tally.writes += 1
                yield partial(dst.send, "PATCH", url, json=patch)
            elif value > current.value:
                employee = row["zeitstrom"]
                credit = {
                    "employee_id": employee,
                    "missing_type": target_type,
                    "date": today,
                    "amount": str(value - current.value),
                    "label": f"peer-script {run_id} {employee}/{target_type}",
                }
                tally.writes += 1
                yield partial(post_credit_once, dst, credit)
            else:
                tally.blocked += 1  # a credit cannot lower a ledger


async def sync(args: argparse.Namespace) -> dict[str, Any]:
    (source_vendor, source_url), (target_vendor, target_url) = args.source, args.target
    gate = asyncio.Semaphore(args.max_in_flight)
    bucket = TokenBucket(args.rate_limit) if args.rate_limit > 0 else None
    src = Api(source_vendor, client(source_vendor, source_url, args.max_in_flight), gate)
    dst = Api(target_vendor, client(target_vendor, target_url, args.max_in_flight), gate, bucket)
    with args.mapping.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    tally = Tally()
    try:
        have, held = await asyncio.gather(read_all(src), read_all(dst))
        jobs = plan(rows, args.type, (src, have), (dst, held), tally, uuid.uuid4().hex[:12])

        async def worker() -> None:
            for job in jobs:  # shared: each job is taken by one worker
                await job()

        await asyncio.gather(*(worker() for _ in range(args.max_in_flight)))
    finally:
        await src.http.aclose()
        await dst.http.aclose()
    return {
        **vars(tally),
        "requests": {source_vendor: dict(src.counts), target_vendor: dict(dst.counts)},
    }


def _system(text: str) -> tuple[str, str]:
    vendor, _, url = text.partition("=")
    if vendor not in {"zeitstrom", "journyx"} or not url:
        raise argparse.ArgumentTypeError(f"expected zeitstrom=URL or journyx=URL, got {text!r}")
    return vendor, url


def _type(text: str) -> tuple[str, str]:
    source, _, target = text.partition("=")
    if not source or not target:
        raise argparse.ArgumentTypeError(f"expected SOURCE_TYPE=TARGET_TYPE, got {text!r}")
    return source, target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--source", type=_system, required=True, help="VENDOR=URL")
    parser.add_argument("--target", type=_system, required=True, help="VENDOR=URL")
    parser.add_argument("--mapping", type=Path, required=True, help="the engine's employees.csv")
    parser.add_argument(
        "--type", type=_type, action="append", required=True, help="SOURCE_TYPE=TARGET_TYPE"
    )
    parser.add_argument("--rate-limit", type=float, default=0.0, help="target requests/s")
    parser.add_argument("--max-in-flight", type=int, default=16)
    args = parser.parse_args(argv)
    with open("/proc/self/statm") as statm:
        rss_before = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    cpu, wall = time.process_time(), time.perf_counter()
    result = asyncio.run(sync(args))
    result["wall"] = time.perf_counter() - wall
    result["cpu"] = time.process_time() - cpu
    result["rss_before"] = rss_before
    with open("/proc/self/status") as status:  # VmHWM: ru_maxrss inherits the parent's
        peak = next(line for line in status if line.startswith("VmHWM:"))
    result["peak_rss"] = int(peak.split()[1]) * 1024
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
