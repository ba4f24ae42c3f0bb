"""Distributed runs: a sync planned here, its writes applied by Celery workers, Redis between.

    coordinator (`sync --distributed`)          Redis                  workers (`worker`)
    plan, guardrails, confirm  --- work units -->  queue  --- unit -->  apply_rows: intent,
    follow progress            <-- results ------ results <----------   write, outcome
    verify, report                            token buckets <-------->  (every process's
                                                                          requests)

A work unit is one sync's planned writes for a batch of employees (`[distributed]
batch_size`), sent as JSON. Workers journal every operation in the shared state store; the
coordinator verifies once every unit of a wave is done. Units are acknowledged late and are safe
to deliver twice (`Engine.apply_rows`). See docs/distributed.md.

Importing this package needs nothing optional; its modules import Celery and redis-py
(the `scale` extra), so the CLI imports them only for `sync --distributed` and `worker`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from balance_gateway.gateway.config import Config, DistributedConfig
from balance_gateway.gateway.errors import ConfigError


def distributed_settings(config: Config) -> DistributedConfig:
    """The `[distributed]` section; ConfigError naming the file when there is none."""
    settings = config.file.distributed
    if settings is None:
        raise ConfigError(
            config.path,
            "distributed",
            "no [distributed] section: add one naming the Redis broker, e.g. broker = "
            '"redis://127.0.0.1:6379/0" (see docs/distributed.md)',
        )
    return settings


def broker_label(url: str) -> str:
    """The broker URL without its credentials, for messages."""
    parts = urlsplit(url)
    where = parts.hostname or parts.path or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{where}{port}{parts.path if parts.hostname else ''}"
