"""Errors raised by the sync engine (configuration, planning, guardrails).

    EngineError            base of every engine error
    ├── ConfigError        the configuration or mapping file is wrong: names the file, the key
    │                      and, for the CSV mapping, the line. CLI exit code 2.
    └── SetupError         the configuration is well-formed but cannot be used as is (a vendor
                           package that is not installed, a target that cannot be written).
                           CLI exit code 2.

A plan that breaks a guardrail is not an exception: the run report lists the violations and the
run stops before any write (CLI exit code 1).

Vendor failures keep their own tree (`adapters._core.errors.GatewayError`). No message here ever
contains a credential: configuration errors about credentials name the key, never the value.
"""

from __future__ import annotations

from pathlib import Path


class EngineError(Exception):
    """Base of the sync engine's own errors."""


class ConfigError(EngineError):
    """A configuration (TOML) or mapping (CSV) file is invalid.

    `file` is the offending file, `key` the dotted key (``systems.hr.credentials.token``) or CSV
    column, `line` the 1-based line for the CSV mapping.
    """

    def __init__(self, file: Path | str, key: str | None, problem: str, line: int | None = None):
        self.file = str(file)
        self.key = key
        self.line = line
        self.problem = problem
        where = self.file if line is None else f"{self.file}, line {line}"
        text = f"{where}: {key}: {problem}" if key else f"{where}: {problem}"
        super().__init__(text)


class SetupError(EngineError):
    """The configuration cannot be put to work (vendor not installed, target not writable...)."""
