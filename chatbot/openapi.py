"""The OpenAPI 3.1 document of the server's HTTP APIs, served at `/api/openapi.json`.

Each API declares its operations beside its routes (`operations = (...)`, in the module or a
sibling `*_openapi` module) with the `Operation` type below; `chatbot.server.API_OPERATIONS`
is the one list that collects them, and `document` turns that list into the document. A new
API (SCIM, webhooks) adds its operations to that list and is then described and fuzzed
(tests/fuzz) like the others.

Schemas say what the code accepts and answers, nothing more; the fuzz tests hold the code to
them (no 500, no answer outside the declared statuses and shapes).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Schema = Mapping[str, Any]

ERROR: Schema = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string"},
        "problems": {"type": "array", "items": {"type": "string"}},
    },
}
# Every operation may answer these: the edge guard's refusals of a body (bad JSON, too large).
EDGE_ANSWERS: Mapping[int, str] = {400: "the request is malformed", 413: "the body is too large"}


@dataclass(frozen=True, slots=True)
class Operation:
    """One HTTP operation: its path and method, what it takes and what it may answer.

    `responses` maps a status to (description, JSON schema of the body, or None for an error
    body); `body` is the request body schema per media type; `bearer` marks operations that
    need `Authorization: Bearer`.
    """

    method: str
    path: str
    operation_id: str
    summary: str
    tag: str
    responses: Mapping[int, tuple[str, Schema | None]]
    body: Mapping[str, Schema] = field(default_factory=dict)
    body_required: bool = True
    parameters: tuple[Schema, ...] = ()
    bearer: bool = False


def _response(description: str, schema: Schema | None) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": dict(schema or ERROR)}},
    }


def _operation(op: Operation) -> dict[str, Any]:
    answers = {**{s: (d, None) for s, d in EDGE_ANSWERS.items()}, **op.responses}
    out: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "tags": [op.tag],
        "responses": {str(s): _response(d, schema) for s, (d, schema) in sorted(answers.items())},
    }
    if op.parameters:
        out["parameters"] = [dict(p) for p in op.parameters]
    if op.body:
        out["requestBody"] = {
            "required": op.body_required,
            "content": {kind: {"schema": dict(schema)} for kind, schema in op.body.items()},
        }
    if op.bearer:
        out["security"] = [{"bearer": []}]
    return out


def document(operations: Iterable[Operation], version: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ChatOps assistant",
            "version": version,
            "description": "The web chat API and the admin API of `chatops serve`.",
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An admin API token whose SHA-256 is in [api_tokens.NAME]",
                }
            }
        },
    }


def path_parameter(name: str, description: str) -> Schema:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string"},
    }


def query_parameter(name: str, description: str, required: bool = False) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": {"type": "string"},
    }
