"""Optional parts of the install, and the message a user gets when one is missing.

The SDKs and the sync engine need only the base install. The emulators (and everything built on
them: `emulate`, `demo`, the contract suites' emulator checks, the pytest plugin's emulator
fixtures) need the server stack of the `emulators` extra. The service (`serve`: HTTP API,
dashboard, metrics, schedules) needs the `service` extra.
"""

from __future__ import annotations

import importlib.util

# import name -> distribution, for the message
EMULATOR_STACK: dict[str, str] = {"fastapi": "fastapi", "uvicorn": "uvicorn", "jwt": "pyjwt"}
EMULATORS_INSTALL = "pip install 'balance-gateway[emulators]'"


class MissingExtraError(ImportError):
    """A part of balance-gateway needs an optional extra that is not installed."""


def missing_modules(modules: dict[str, str]) -> list[str]:
    """The distributions (of `modules`: import name -> distribution) that cannot be imported."""
    missing = []
    for name, distribution in modules.items():
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):  # a module set to None in sys.modules, or broken
            found = False
        if not found:
            missing.append(distribution)
    return missing


def require_emulators(what: str = "the emulators") -> None:
    """Raise `MissingExtraError` (saying what to install) unless the emulators can run."""
    missing = missing_modules(EMULATOR_STACK)
    if missing:
        raise MissingExtraError(
            f"{what}: the emulators' server stack is not installed "
            f"({', '.join(missing)} missing): {EMULATORS_INSTALL}"
        )


# `balance-gateway serve`: the HTTP service, its dashboard, metrics and cron schedules.
SERVICE_STACK: dict[str, str] = {
    "fastapi": "fastapi",
    "uvicorn": "uvicorn",
    "jinja2": "jinja2",
    "multipart": "python-multipart",
    "cronsim": "cronsim",
    "prometheus_client": "prometheus-client",
}
SERVICE_INSTALL = "pip install 'balance-gateway[service]'"


def require_service(what: str = "balance-gateway serve") -> None:
    """Raise `MissingExtraError` (saying what to install) unless the service can run."""
    missing = missing_modules(SERVICE_STACK)
    if missing:
        raise MissingExtraError(
            f"{what} needs the service's server stack ({', '.join(missing)} not installed): "
            f"{SERVICE_INSTALL}"
        )


# `balance-gateway sync --distributed` and `balance-gateway worker`: Celery on Redis.
DISTRIBUTED_STACK: dict[str, str] = {"celery": "celery", "redis": "redis"}
SCALE_INSTALL = "pip install 'balance-gateway[scale]'"


def require_distributed(what: str = "distributed runs") -> None:
    """Raise `MissingExtraError` (saying what to install) unless Celery and Redis can run."""
    missing = missing_modules(DISTRIBUTED_STACK)
    if missing:
        raise MissingExtraError(
            f"{what} need Celery and Redis ({', '.join(missing)} not installed): {SCALE_INSTALL}"
        )
