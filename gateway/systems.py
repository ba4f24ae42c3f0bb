"""Building each configured system's adapter, with its credentials and request budget."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from contextlib import asynccontextmanager

import httpx

from balance_gateway.adapters._core.adapter import AdapterConfig, BalanceAdapter
from balance_gateway.adapters._core.registry import build_adapter, known_vendors
from balance_gateway.adapters._core.retry import RetryPolicy
from balance_gateway.adapters._core.secrets import scrub
from balance_gateway.gateway.budget import BudgetedTransport, RateBucket, TokenBucket, Traffic
from balance_gateway.gateway.config import Config, SystemConfig
from balance_gateway.gateway.errors import SetupError
from balance_gateway.gateway.pool import network_transport

# (system name, its configuration) -> the bucket its requests take tokens from (None: no limit).
BucketFactory = Callable[[str, SystemConfig], RateBucket | None]


def local_bucket(name: str, system: SystemConfig) -> RateBucket | None:
    """The default: a `TokenBucket` of the system's `requests_per_second`, in this process."""
    rate = system.requests_per_second
    return None if rate is None else TokenBucket(rate)


def systems_of(config: Config, sync_names: Collection[str] | None = None) -> list[str]:
    """The system names the given syncs (default: all) read or write, in name order."""
    syncs = [s for s in config.file.syncs if sync_names is None or s.name in sync_names]
    return sorted({name for s in syncs for name in (s.source, s.target)})


def build_systems(
    config: Config,
    names: Collection[str],
    *,
    transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
    retry: RetryPolicy | None = None,
    built: dict[str, BalanceAdapter] | None = None,
    traffic: dict[str, Traffic] | None = None,
    buckets: BucketFactory = local_bucket,
) -> dict[str, BalanceAdapter]:
    """One adapter per system in `names`, each behind its request budget.

    Every adapter's requests go through a `BudgetedTransport`: the system's token bucket
    (`requests_per_second`, adapting to the vendor's 429s) and one semaphore shared by all
    systems (`max_in_flight`). `transports` replaces the network for named systems (tests, the
    demo's in-process emulators). `retry` is the retry policy of every system (default: the
    SDK's), with the keys of a system's own `retry` table on top. Raises SetupError when a
    vendor package is not installed or the adapter refuses its configuration (a missing
    credential key: named, never its value).

    Each adapter goes into `built` (when given) as soon as it exists, so that a caller can close
    the ones built before a later one failed; `open_systems` does exactly that. `traffic`
    (when given) receives each system's live request counts (`Traffic`). `buckets` makes
    each system's token bucket (default: one in this process; a distributed run shares one
    through Redis, `gateway.distributed.bucket`).
    """
    in_flight = asyncio.Semaphore(config.file.concurrency.max_in_flight)
    installed = known_vendors()
    adapters: dict[str, BalanceAdapter] = {} if built is None else built
    for name in names:
        system = config.file.systems[name]
        if system.vendor not in installed:
            raise SetupError(
                f"system {name!r} uses vendor {system.vendor!r}, whose adapter is not installed "
                f"(installed: {', '.join(installed) or 'none'})"
            )
        inner = (transports or {}).get(name) or network_transport()
        transport = BudgetedTransport(inner, bucket=buckets(name, system), in_flight=in_flight)
        if traffic is not None:
            traffic[name] = transport.traffic
        adapter_config = AdapterConfig(
            system=name,
            base_url=system.base_url,
            credentials=dict(config.credentials.get(name, {})),
            options=dict(system.options),
            transport=transport,
            retry=retry if system.retry is None else system.retry.policy(retry),
            timeout=system.timeout_seconds,
        )
        try:
            adapters[name] = build_adapter(system.vendor, adapter_config)
        except (KeyError, ValueError, TypeError) as exc:
            text = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
            raise SetupError(scrub(f"system {name!r} ({system.vendor}): {text}")) from None
    return adapters


@asynccontextmanager
async def open_systems(
    config: Config,
    names: Collection[str],
    *,
    transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
    retry: RetryPolicy | None = None,
    traffic: dict[str, Traffic] | None = None,
    buckets: BucketFactory = local_bucket,
) -> AsyncIterator[dict[str, BalanceAdapter]]:
    """`build_systems` as an async context: every adapter built is closed on the way out,
    including those built before another one failed to build (the SetupError propagates)."""
    adapters: dict[str, BalanceAdapter] = {}
    try:
        build_systems(
            config,
            names,
            transports=transports,
            retry=retry,
            built=adapters,
            traffic=traffic,
            buckets=buckets,
        )
        yield adapters
    finally:
        await close_systems(adapters)


async def close_systems(adapters: Mapping[str, BalanceAdapter]) -> None:
    """Close every adapter, even when one fails to close."""
    results = await asyncio.gather(*(a.aclose() for a in adapters.values()), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, Exception):
            raise result
