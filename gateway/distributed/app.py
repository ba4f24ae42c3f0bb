"""The Celery app of a configuration's `[distributed]` section (needs the `scale` extra).

Units are acknowledged only once applied (`task_acks_late`), and put back in the queue when the
worker process running one dies (`task_reject_on_worker_lost`); a worker takes one unit at a
time (prefetch 1), so a dead worker holds back no more than the unit it was applying. A worker
killed outright (its machine gone) cannot reject anything: Redis delivers its unit again once
`visibility_timeout_seconds` have passed without an acknowledgement.
"""

from __future__ import annotations

from celery import Celery
from redis.asyncio import Redis
from redis.exceptions import RedisError

from balance_gateway.gateway.config import Config, DistributedConfig
from balance_gateway.gateway.distributed import broker_label
from balance_gateway.gateway.errors import SetupError

APPLY_UNIT = "balance_gateway.apply_unit"


def celery_app(settings: DistributedConfig) -> Celery:
    """A Celery app on `settings.broker` (broker and result store), JSON messages only."""
    app = Celery(
        "balance_gateway", broker=settings.broker, backend=settings.broker, set_as_current=False
    )
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=settings.queue,
        # JSON only: a pickled message from whoever can reach Redis would run their code.
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_accept_content=["json"],
        broker_transport_options={
            "visibility_timeout": settings.visibility_timeout_seconds,
            # Workers look for units whose visibility timeout passed this often (kombu's
            # default sweep is every 100 s, far too slow for a short timeout).
            "unacked_restore_interval": _restore_interval(settings.visibility_timeout_seconds),
            "unacked_restore_throttle": 1,
        },
        result_backend_transport_options={
            "visibility_timeout": settings.visibility_timeout_seconds
        },
        broker_connection_retry_on_startup=True,
        result_expires=7 * 24 * 3600,
        # The engine logs what matters (structlog); Celery's root logger set-up would fight it.
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        # Not a time limit on units: a unit cut short mid-write would leave intents behind.
        task_time_limit=None,
        worker_send_task_events=False,
    )
    return app


def _restore_interval(visibility_timeout: float) -> float:
    """A quarter of the visibility timeout, between 1 and 10 seconds."""
    return min(10.0, max(1.0, visibility_timeout / 4))


async def check_broker(redis: Redis, config: Config, settings: DistributedConfig) -> None:
    """SetupError naming the broker (never its password) when Redis does not answer."""
    try:
        await redis.ping()
    except RedisError as exc:
        raise SetupError(
            f"cannot reach the Redis broker {broker_label(settings.broker)} ([distributed] "
            f"broker in {config.path}): {type(exc).__name__}; start Redis or fix the URL"
        ) from None
