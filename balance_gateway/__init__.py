"""balance-gateway: keep time-off and time-bank balances in step between HR systems.

The installed package is this one namespace. Its sub-packages are the repository's top-level
folders (the repository keeps that layout; see the note in `pyproject.toml`):

- `balance_gateway.canonical`: the canonical balance model (no I/O);
- `balance_gateway.adapters.<vendor>`: one vendor's SDK, adapter and emulator;
- `balance_gateway.gateway`: the sync engine and the `balance-gateway` command;
- `balance_gateway.contracts`: the contract suites and the pytest plugin.
"""

__version__ = "0.2.0"

__all__ = ["__version__"]
