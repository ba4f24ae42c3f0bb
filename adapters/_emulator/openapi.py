"""The emulators' OpenAPI documents declare each operation's real request and response bodies.

FastAPI only knows the bodies of routes that declare pydantic parameters and return models; the
emulators read raw bodies (to answer bad input in the vendor's own words) and return
`JSONResponse`s, so their generated document said `{}` for almost every body, which makes a
schema-driven test (schemathesis, tests/adapters/test_emulators_openapi.py) meaningless.
`declare` fills the document in from the vendor's wire models (`adapters/<vendor>/models.py`,
the shapes the SDK parses) and drops FastAPI's generic 422, which no vendor answers in that
shape. Every vendor operation must be declared: an undeclared one raises when the document is
built.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

Body = type[BaseModel] | Mapping[str, Any]


@dataclass(frozen=True)
class Operation:
    """One operation's bodies: `request` (None: no body) and `responses` by status (a None
    body: the status answers without one, e.g. 204)."""

    responses: Mapping[int, Body | None]
    request: Body | None = None
    # Example values of parameters (name -> value), from the sample dataset: a generator then
    # also reaches the answers a random id never does (a user that exists).
    examples: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


def _schema(body: Body, components: dict[str, Any]) -> dict[str, Any]:
    if isinstance(body, Mapping):
        return dict(body)
    schema = body.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components.setdefault(body.__name__, schema)
    return {"$ref": f"#/components/schemas/{body.__name__}"}


def schema_of(body: Body, components: dict[str, Any]) -> dict[str, Any]:
    """A JSON schema for `body` (a model goes into `components`, referenced)."""
    return _schema(body, components)


def declare(
    app: FastAPI,
    operations: Mapping[tuple[str, str], Operation],
    models: Sequence[type[BaseModel]] = (),
) -> None:
    """Make `app`'s OpenAPI document declare `operations` ((METHOD, path) -> bodies);
    `models` go into its components too (for bodies that refer to them by name)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = generate()
        components = document.setdefault("components", {}).setdefault("schemas", {})
        for model in models:
            _schema(model, components)
        declared = {(m.lower(), p) for m, p in operations}
        for path, methods in document.get("paths", {}).items():
            for method in methods:
                if (method, path) not in declared:
                    raise KeyError(f"{method.upper()} {path}: no bodies declared (openapi.declare)")
        for (method, path), operation in operations.items():
            entry = document["paths"][path][method.lower()]
            if operation.request is not None:
                entry["requestBody"] = {
                    "required": True,
                    "content": {
                        "application/json": {"schema": _schema(operation.request, components)}
                    },
                }
            responses: dict[str, Any] = {}
            for status, body in operation.responses.items():
                answer: dict[str, Any] = {"description": operation.description or "success"}
                if body is not None:
                    answer["content"] = {"application/json": {"schema": _schema(body, components)}}
                responses[str(status)] = answer
            entry["responses"] = responses
            for parameter in entry.get("parameters", []):
                if parameter["name"] in operation.examples:
                    parameter["example"] = operation.examples[parameter["name"]]
            entry.update(operation.extra)
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
