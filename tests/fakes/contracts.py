"""Vendor contracts in the fakes: every request a connector sends, and every answer a fake
plays back, is checked against the vendor's own OpenAPI document (`../shared/contracts/`).

Without this a fake only agrees with our reading of the docs; with it, a request the real
system would refuse (an unknown path, a missing body field, a wrong type) fails the test, and
so does a fake answer the real system could never send.

    contract("okta-management", "https://acme.okta.com")  -> Contract
    Contract.check(request, response)                       -> AssertionError naming the field

The folder is found beside the repository (`../shared/contracts`, as CI lays it out), or at
`CHATOPS_CONTRACTS_DIR`. When it is missing the tests fail with a message saying so, rather
than silently validating nothing.
"""

from __future__ import annotations

import functools
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from jsonschema import Draft202012Validator
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.exceptions import OpenAPIError
from werkzeug.datastructures import Headers, ImmutableMultiDict

REPO = Path(__file__).resolve().parents[2]
PATCH_TYPES = ("strategic-merge-patch", "merge-patch", "json-patch", "apply-patch")
PATCH_JSON = {f"application/{t}+json": json.loads for t in PATCH_TYPES}
ENV = "CHATOPS_CONTRACTS_DIR"


def contracts_dir() -> Path:
    """The contracts folder: $CHATOPS_CONTRACTS_DIR, else `shared/contracts` beside the repo."""
    if os.environ.get(ENV):
        found = Path(os.environ[ENV])
        if not (found / "README.md").is_file():
            raise AssertionError(f"{ENV}={found} holds no vendor contracts (no README.md)")
        return found
    for parent in REPO.parents:  # ../shared in CI; a worktree may sit one level deeper
        if (parent / "shared" / "contracts" / "README.md").is_file():
            return parent / "shared" / "contracts"
    raise AssertionError(
        f"vendor contracts not found: expected {REPO.parent / 'shared' / 'contracts'} "
        f"(clone the shared folder beside the repository) or set {ENV}"
    )


@functools.cache
def _doc(name: str) -> dict[str, Any]:
    return json.loads((contracts_dir() / f"{name}.json").read_text("utf-8"))


@functools.cache
def _spec(name: str, base_url: str) -> OpenAPI:
    doc = dict(_doc(name))
    doc["servers"] = [{"url": base_url}]
    return OpenAPI.from_dict(doc, config=Config(extra_media_type_deserializers=PATCH_JSON))


@functools.cache
def payload_schema(name: str) -> Draft202012Validator:
    """A webhook payload schema from `payloads/` (JSON Schema 2020-12)."""
    path = contracts_dir() / "payloads" / f"{name}.schema.json"
    return Draft202012Validator(json.loads(path.read_text("utf-8")))


class OpenAPIRequest:
    """httpx.Request as openapi-core reads a request (the README's recipe)."""

    def __init__(self, request: httpx.Request) -> None:
        url = request.url
        self.host_url, self.path = f"{url.scheme}://{url.netloc.decode()}", url.path
        self.method, self.body = request.method.lower(), request.read() or None
        self.content_type = request.headers.get("content-type", "")
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(url.params.multi_items()),
            header=Headers(request.headers.multi_items()),
            cookie=ImmutableMultiDict(),
        )


class OpenAPIResponse:
    def __init__(self, response: httpx.Response) -> None:
        self.data = response.read() or None
        self.status_code = response.status_code
        self.content_type = response.headers.get("content-type", "application/json")
        self.headers = Headers(response.headers.multi_items())


@dataclass(frozen=True)
class Contract:
    """One vendor document served at `base_url` (the bare host, or Slack's `/api`)."""

    name: str
    base_url: str
    # Statuses a vendor sends for any operation although the document lists them for few
    # (rate limits, outages): their bodies are not checked against an operation.
    transient: tuple[int, ...] = (429, 500, 502, 503, 504)
    # The vendor's general error body, for a 4xx the document does not list per operation
    # (GitHub documents 422 and friends on one "troubleshooting" page, not per operation).
    errors: dict[str, Any] | None = None

    def check_request(self, request: httpx.Request, skip: tuple[str, ...] = ()) -> None:
        try:
            _spec(self.name, self.base_url).validate_request(OpenAPIRequest(request))
        except OpenAPIError as exc:
            why = _why(exc)
            if any(s in why for s in skip):
                return
            raise AssertionError(
                f"{self.name}: {request.method} {request.url} breaks the contract: {why}"
            ) from None

    def check_response(self, request: httpx.Request, response: httpx.Response) -> None:
        if response.status_code in self.transient:
            return
        if response.status_code == 204:  # RFC 9110 6.4.5: a 204 has no content to check
            assert not response.content, f"{self.name}: a 204 answer with a body"
            return
        status = response.status_code
        if (
            not response.content
            and self._operation(request).get("responses", {}).get(str(status), {}).get("content")
            == {}
        ):
            return  # documented as bodiless (`content: {}`), which openapi-core misreads
        if status >= 400 and self.errors is not None and not self._documents(request, status):
            Draft202012Validator(self.errors).validate(response.json())
            return
        try:
            _spec(self.name, self.base_url).validate_response(
                OpenAPIRequest(request), OpenAPIResponse(response)
            )
        except OpenAPIError as exc:
            raise AssertionError(
                f"{self.name}: the fake's {response.status_code} answer to {request.method} "
                f"{request.url.path} breaks the contract: {_why(exc)}"
            ) from None

    def _operation(self, request: httpx.Request) -> dict[str, Any]:
        for path, item in _doc(self.name)["paths"].items():
            pattern = "^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(path)) + "$"
            if re.match(pattern, request.url.path):
                return dict(item.get(request.method.lower(), {}))
        return {}

    def _documents(self, request: httpx.Request, status: int) -> bool:
        return str(status) in self._operation(request).get("responses", {})


def _why(exc: BaseException) -> str:
    """The innermost schema errors, which name the field (openapi-core nests them)."""
    parts = [str(exc)]
    cause: Any = exc.__cause__
    while cause is not None:
        parts.append(str(cause))
        for inner in getattr(cause, "schema_errors", ()) or ():
            parts.append(f"{'/'.join(map(str, inner.path))}: {inner.message}")
        cause = cause.__cause__
    return " <- ".join(dict.fromkeys(p for p in parts if p))


def contract(name: str, base_url: str) -> Contract:
    return Contract(name, base_url)


def example(name: str, schema: str, **overrides: Any) -> dict[str, Any]:
    """The smallest valid instance of `components.schemas[schema]`, with `overrides` merged in.

    Fakes answer with whole documented objects (every required field present), so a change
    that starts reading a field the vendor does not promise shows up here.
    """
    doc = _doc(name)
    built = _instance(doc, doc["components"]["schemas"][schema], depth=0)
    return _merge(built, overrides)


def _instance(doc: dict[str, Any], schema: dict[str, Any], depth: int) -> Any:
    if "$ref" in schema:
        target: Any = doc
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return _instance(doc, target, depth + 1)
    for key in ("allOf",):
        if key in schema:
            merged: dict[str, Any] = {}
            for part in schema[key]:
                value = _instance(doc, part, depth + 1)
                if isinstance(value, dict):
                    merged.update(value)
            return merged
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return _instance(doc, schema[key][0], depth + 1)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "object")
    kind = next(k for k in kind if k != "null") if isinstance(kind, list) else kind
    if kind == "object":
        props = schema.get("properties", {})
        return {k: _instance(doc, props.get(k, {}), depth + 1) for k in schema.get("required", [])}
    if kind == "array":
        return []
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "boolean":
        return False
    fmt = schema.get("format", "")
    return {
        "date-time": "2026-01-01T00:00:00Z",
        "uri": "https://example.com/x",
        "email": "someone@example.com",
    }.get(fmt, "x")


def _merge(base: Any, extra: Any) -> Any:
    if isinstance(base, dict) and isinstance(extra, dict):
        return {**base, **{k: _merge(base.get(k), v) for k, v in extra.items()}}
    return extra
