"""The state store every process of a distributed run shares."""

from __future__ import annotations

from balance_gateway.gateway.config import Config
from balance_gateway.gateway.journal import Journal
from balance_gateway.gateway.store import open_state_store


def open_journal(config: Config) -> Journal:
    """The configuration's state store, writable (a worker records what it applies)."""
    return open_state_store(config, writable=True)
