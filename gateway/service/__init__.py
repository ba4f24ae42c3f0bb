"""`balance-gateway serve`: the sync engine as a long-running service.

One process (FastAPI on uvicorn) that
- runs each sync on its `schedule` (cron, `gateway.service.scheduler`), one run at a time per
  state store (the run lock of `gateway.lock`), and keeps going when a run fails;
- serves the HTTP API (`gateway.service.api`, OpenAPI at `/openapi.json`): systems, the unified
  balance read in the canonical model, drift, the journal's runs, plan and apply, health and
  Prometheus metrics (`gateway.service.metrics`);
- serves a server-rendered dashboard at `/` (`gateway.service.dashboard`);
- authenticates callers with bearer tokens named in `[service]` (`gateway.service.auth`).

    config + tokens -> GatewayService (engine calls, plan store, metrics) <- Scheduler
                                      ^                    ^
                                   api routes         dashboard pages

It needs the `service` extra (FastAPI, uvicorn, Jinja2, cronsim, prometheus-client): importing
this package without it raises `MissingExtraError`, whose message says what to install.
"""

from balance_gateway.adapters._core.extras import require_service

require_service()

# The service's modules import FastAPI: they come after the check on purpose.

from balance_gateway.gateway.service.app import create_app
from balance_gateway.gateway.service.core import GatewayService
from balance_gateway.gateway.service.scheduler import Clock, Scheduler, SystemClock
from balance_gateway.gateway.service.settings import Role, ServiceSettings, load_service_settings

__all__ = [
    "Clock",
    "GatewayService",
    "Role",
    "Scheduler",
    "ServiceSettings",
    "SystemClock",
    "create_app",
    "load_service_settings",
]
