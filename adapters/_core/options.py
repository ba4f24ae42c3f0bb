"""A vendor's `[systems] options` table, typed: each `adapters/<vendor>/adapter.py` declares
`class Options(AdapterOptions)`, which the configuration validates at load time (an unknown
key or a wrong value is a `ConfigError` naming `systems.<name>.options.<key>`) and the adapter
reads with `parse_options` (a `ValueError` naming the option, for a caller of the SDK)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

CredentialSets = tuple[tuple[str, ...], ...]


class AdapterOptions(BaseModel):
    """The base of every adapter's `Options`: unknown keys refused, values immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def credential_sets(self, default: CredentialSets) -> CredentialSets:
        """The alternative sets of credential keys a system with these options needs (the
        adapter's `CREDENTIAL_KEYS`, `default`, unless an option names keys of its own)."""
        return default


Options = TypeVar("Options", bound=AdapterOptions)


def option_error(exc: ValidationError) -> str:
    """`option <key>: <problem>` for the first error (never the value: it may be anything)."""
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "options"
    return f"option {where}: {error['msg'].removeprefix('Value error, ')}"


def parse_options(model: type[Options], options: Mapping[str, Any] | AdapterOptions) -> Options:
    """`options` as `model`; `ValueError` naming the option that is wrong."""
    if isinstance(options, model):
        return options
    raw = options.model_dump() if isinstance(options, AdapterOptions) else dict(options)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ValueError(option_error(exc)) from None
