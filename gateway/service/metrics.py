"""Prometheus metrics of the service (`GET /metrics`, text format 0.0.4).

    balance_gateway_runs_total{sync,trigger,outcome}        runs this process made or tried
        outcome: succeeded | partial | stopped (the journal's run status), or error (the run
        could not start or crashed) | locked (another process held the state store)
    balance_gateway_operations_total{sync,kind,status}      operations of those runs
    balance_gateway_vendor_requests_total{system,code}      HTTP requests to each system, by
        status code ("error": no answer: connect error, timeout)
    balance_gateway_vendor_rate_limited_total{system}       of those, answered 429
    balance_gateway_last_success_timestamp_seconds{sync}    end of the sync's latest succeeded
        run, read from the journal at scrape time (so CLI runs and earlier processes count)
    balance_gateway_next_run_timestamp_seconds{sync}        the sync's next scheduled run
    balance_gateway_run_in_progress                          1 while a run holds the state store

Requests are counted by a transport under each system's adapter (`MeteredTransport`), so every
request counts: logins, pages, read-backs, retries.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from datetime import datetime

import httpx
from prometheus_client import (
    CollectorRegistry,
    Counter,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from balance_gateway.gateway.journal import RunRecord, RunStatus
from balance_gateway.gateway.pool import network_transport
from balance_gateway.gateway.results import RunReport

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class MeteredTransport(httpx.AsyncBaseTransport):
    """Sends through `inner` and counts each answer (or its absence) for `system`."""

    def __init__(self, inner: httpx.AsyncBaseTransport, system: str, metrics: Metrics) -> None:
        self.inner = inner
        self.system = system
        self.metrics = metrics

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await self.inner.handle_async_request(request)
        except httpx.TransportError:
            self.metrics.requests.labels(system=self.system, code="error").inc()
            raise
        self.metrics.requests.labels(system=self.system, code=str(response.status_code)).inc()
        if response.status_code == 429:
            self.metrics.rate_limited.labels(system=self.system).inc()
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


class _StateCollector(Collector):
    """Gauges computed at scrape time: from the journal, the scheduler and the service."""

    def __init__(
        self,
        runs: Callable[[], list[RunRecord]],
        next_runs: Callable[[], Mapping[str, datetime]],
        in_progress: Callable[[], bool],
        syncs: Collection[str],
    ) -> None:
        self._runs = runs
        self._next_runs = next_runs
        self._in_progress = in_progress
        self._syncs = list(syncs)

    def collect(self) -> Iterator[Metric]:
        last = GaugeMetricFamily(
            "balance_gateway_last_success_timestamp_seconds",
            "End of the sync's latest succeeded run (Unix time), from the journal.",
            labels=["sync"],
        )
        latest: dict[str, float] = {}
        for run in self._runs():  # newest first
            if run.status is not RunStatus.SUCCEEDED or run.finished_at is None:
                continue
            for name in run.syncs:
                latest.setdefault(name, run.finished_at.timestamp())
        for name in self._syncs:
            if name in latest:
                last.add_metric([name], latest[name])
        yield last
        upcoming = GaugeMetricFamily(
            "balance_gateway_next_run_timestamp_seconds",
            "When the sync runs next on its schedule (Unix time).",
            labels=["sync"],
        )
        for name, when in sorted(self._next_runs().items()):
            upcoming.add_metric([name], when.timestamp())
        yield upcoming
        yield GaugeMetricFamily(
            "balance_gateway_run_in_progress",
            "1 while a run of this service holds the state store.",
            value=1.0 if self._in_progress() else 0.0,
        )


class Metrics:
    """The service's metrics, in a registry of their own (one per app, so tests do not mix)."""

    def __init__(self) -> None:
        # No `*_created` series beside each counter: they double the output and no dashboard
        # of ours reads them (prometheus_client's switch is process-wide; so is the service).
        disable_created_metrics()  # type: ignore[no-untyped-call]  # untyped upstream
        self.registry = CollectorRegistry(auto_describe=True)
        self.runs = Counter(
            "balance_gateway_runs",
            "Runs made or tried by this service, by sync, trigger and outcome.",
            ["sync", "trigger", "outcome"],
            registry=self.registry,
        )
        self.operations = Counter(
            "balance_gateway_operations",
            "Operations of this service's runs, by sync, kind and journal status.",
            ["sync", "kind", "status"],
            registry=self.registry,
        )
        self.requests = Counter(
            "balance_gateway_vendor_requests",
            "HTTP requests to each configured system, by status code (error: no answer).",
            ["system", "code"],
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "balance_gateway_vendor_rate_limited",
            "Requests to each configured system answered 429 (rate limited).",
            ["system"],
            registry=self.registry,
        )

    def watch(
        self,
        runs: Callable[[], list[RunRecord]],
        next_runs: Callable[[], Mapping[str, datetime]],
        in_progress: Callable[[], bool],
        syncs: Collection[str],
    ) -> None:
        """Add the scrape-time gauges (call once)."""
        self.registry.register(_StateCollector(runs, next_runs, in_progress, syncs))

    def transports(
        self,
        systems: Collection[str],
        inner: Callable[[str], httpx.AsyncBaseTransport] | None = None,
    ) -> dict[str, httpx.AsyncBaseTransport]:
        """A fresh counting transport per system for one engine call, over `inner(system)`
        (default: the network); the adapters close them when the call ends."""
        make = inner or (lambda _system: network_transport())
        return {name: MeteredTransport(make(name), name, self) for name in systems}

    def count_run(self, sync: str, trigger: str, outcome: str) -> None:
        self.runs.labels(sync=sync, trigger=trigger, outcome=outcome).inc()

    def count_report(self, sync: str, trigger: str, report: RunReport, outcome: str) -> None:
        """Count a finished run and its operations."""
        self.count_run(sync, trigger, outcome)
        for result in report.results:
            self.operations.labels(
                sync=result.row.sync, kind=result.kind.value, status=result.status.value
            ).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
