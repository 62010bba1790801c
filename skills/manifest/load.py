"""Reading a manifest: parse, validate, and report every problem with file, line and field.

A manifest is refused whole when anything is wrong; nothing of it is registered.

Hostile input is bounded before it costs anything: at most `LIMITS.bytes` of text, YAML
without anchors or aliases (the "billion laughs" bomb), nesting at most `LIMITS.depth` deep,
and counts of keywords, examples, slots and steps capped in the model. Parsing is CPU work,
so async callers run `parse_manifest` in a worker thread (`asyncio.to_thread`).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from chatbot.errors import UserError
from skills.connectors.base import path_problem
from skills.connectors.secrets import scope_key
from skills.manifest import template
from skills.manifest.model import LIMITS, ManifestModel, StepModel

Loc = tuple[str | int, ...]
# Header and query names that carry credentials: their value must come from {secret.NAME}, so a
# manifest (stored, versioned, shown by `skills show`) never holds a usable credential.
CREDENTIAL_NAMES = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "api-key",
        "x-auth-token",
        "api_key",
        "apikey",
        "access_token",
        "token",
        "private-token",
        "x-vault-token",
        "cookie",
        "set-cookie",
    }
)
# Names that say "credential" whatever system they belong to: X-Auth-Token, X-Api-Key,
# X-Vault-Token, client_secret, new_password, ... (idempotency keys are not credentials).
CREDENTIAL_LIKE = re.compile(
    r"(?i)^(?!.*idempotency)(x-.*-(token|key|secret)|.*api[_-]?key.*|.*(passw(or)?d|passwd|pwd"
    r"|secret|token|credential|private[_-]?key|cookie|session[_-]?id).*)$"
)


def _credential_name(name: str) -> bool:
    return name.lower() in CREDENTIAL_NAMES or bool(CREDENTIAL_LIKE.match(name))


class ManifestError(UserError):
    """Every reason a manifest was refused, each as `file:line: field: what is wrong`."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("manifest refused:\n  " + "\n  ".join(self.problems))


@dataclass(frozen=True, slots=True)
class Manifest:
    model: ManifestModel
    source: str
    format: str  # "toml" or "yaml"
    file: str


def _format(file: str, text: str) -> str:
    if file.endswith((".yaml", ".yml")):
        return "yaml"
    if file.endswith(".toml"):
        return "toml"
    return "yaml" if text.lstrip().startswith(("---", "name:")) else "toml"


def _toml_line(text: str, loc: Loc) -> int:
    """The line of the deepest key of `loc` we can find, searching forward from its parent."""
    lines, start, table = text.splitlines(), 0, ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            header = re.compile(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]")
            hits = [n for n in range(start, len(lines)) if header.match(lines[n])]
            if part < len(hits):
                start = hits[part]
            continue
        table = f"{table}.{part}" if table and isinstance(loc[i - 1], str) and i else str(part)
        key = re.compile(
            rf'^\s*(\[+\s*)?([\w.-]*\.)?"?{re.escape(str(part))}"?\s*(=|\]|\.)|[{{,]\s*{re.escape(str(part))}\s*='
        )
        found = next((n for n in range(start, len(lines)) if key.search(lines[n])), None)
        if found is None:
            break
        start = found
    return start + 1


def _field(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(manifest)"


def _placeholders_as_text(template_text: str) -> str:
    """The template with each placeholder as plain text: what the literal part looks like."""
    return template.PLACEHOLDER.sub("x", template_text)


def _body_credentials(body: Any, loc: Loc = ()) -> list[tuple[Loc, str]]:
    """Body fields named like a credential whose value is written in the manifest."""
    found: list[tuple[Loc, str]] = []
    if isinstance(body, dict):
        for key, value in body.items():
            literal = (isinstance(value, str) and value.strip() and not template.names(value)) or (
                isinstance(value, int | float) and not isinstance(value, bool)
            )
            if _credential_name(str(key)) and literal:
                what = "a credential must come from {secret.NAME} or a slot, not the manifest"
                found.append(((*loc, str(key)), what))
            found += _body_credentials(value, (*loc, str(key)))
    elif isinstance(body, list | tuple):
        for i, value in enumerate(body):
            found += _body_credentials(value, (*loc, i))
    return found


def _reserved_problem(name: str) -> str | None:
    """A manifest's secret scope is its name; a connector's scope is not for borrowing."""
    from skills.connectors.factory import available  # the connectors, imported only when needed

    taken = {scope_key(kind): kind for kind in available()}
    owner = taken.get(scope_key(name))
    if owner is None:
        return None
    return f"{name} is the secret scope of the {owner} connector; pick another name"


def _bundle_problems(model: ManifestModel) -> list[tuple[Loc, str]]:
    """A bundle nobody can match, one group granted twice, a back end no installed
    connector provides, a name that is not a plain word: each at its key."""
    from chatbot.config import one_bundle_problem
    from skills.connectors.factory import available
    from skills.connectors.registry import implementing
    from skills.ports import IdentityProvider

    backends = ("sandbox", *implementing(IdentityProvider, available()))
    problems: list[tuple[Loc, str]] = []
    for name, bundle in model.bundles.items():
        if not re.fullmatch(r"[a-z][a-z0-9_-]{0,59}", name):
            problems.append((("bundles", name), "name it in lower-case letters, digits, - or _"))
        wrong = one_bundle_problem(name, bundle)
        if wrong is not None:
            key, what = wrong
            problems.append((tuple(int(p) if p.isdigit() else p for p in key.split(".")), what))
        for index, item in enumerate(bundle.items):
            if item.backend not in backends:
                what = f"unknown back end {item.backend!r}; use {', '.join(backends)}"
                problems.append((("bundles", name, "items", index, "backend"), what))
    return problems


def _semantic(model: ManifestModel, allowed_hosts: Iterable[str] | None) -> list[tuple[Loc, str]]:
    problems = _bundle_problems(model) if model.bundles else []
    reserved = _reserved_problem(model.name)
    if reserved is not None:
        problems.append((("name",), reserved))
    slots = {s.name for s in model.slots}
    if len(slots) != len(model.slots):
        problems.append((("slots",), "two slots have the same name"))
    secrets = set(model.secrets)
    hosts = None if allowed_hosts is None else {h.lower() for h in allowed_hosts}
    where = "action" if model.action is not None else "steps"
    seen: list[str] = []
    all_steps: list[tuple[Loc, StepModel]] = [
        ((where,) if model.action is not None else (where, i), s)
        for i, s in enumerate(model.all_steps())
    ]
    if model.rollback is not None:
        all_steps.append((("rollback",), model.rollback))
    for loc, step in all_steps:
        if step.name in seen and loc[0] != "rollback":
            problems.append(((*loc, "name"), f"another step is also named {step.name!r}"))
        known = slots | {"requester.name", "requester.email", "action_id"}
        known |= {f"secret.{s}" for s in secrets}
        fields: list[tuple[str, str, bool]] = []
        if step.url:
            parts = urlsplit(step.url)
            url_path = _placeholders_as_text(parts.path)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                problems.append(((*loc, "url"), "must be an absolute http(s) URL"))
            elif "@" in parts.netloc:
                problems.append(
                    ((*loc, "url"), "must not hold a user or password; use {secret.NAME}")
                )
            elif (url_problem := path_problem(url_path)) is not None:
                problems.append(((*loc, "url"), f"its path {url_problem}"))
            elif "{" in parts.netloc or "{" in parts.scheme:
                problems.append(((*loc, "url"), "the scheme and host must be literal text"))
            elif hosts is not None and parts.hostname.lower() not in hosts:
                shown = ", ".join(sorted(hosts)) or "none"
                problems.append(
                    (
                        (*loc, "url"),
                        f"host {parts.hostname} is not in skills.allowed_hosts ({shown})",
                    )
                )
            fields.append(("url", step.url, False))
        if step.path:
            fields.append(("path", step.path, False))
            problem = path_problem(_placeholders_as_text(step.path))
            if problem is None and not step.path.startswith("/"):
                problem = "must start with /"
            if problem is None and re.search(r"[?#]", step.path):
                problem = "must not hold a query or fragment; put parameters under query"
            if problem is not None:
                problems.append(((*loc, "path"), f"{problem} (a path on the connector)"))
        problems += [((*loc, "body", *where), what) for where, what in _body_credentials(step.body)]
        # Not in the query: URLs end up in logs (httpx logs each request line).
        fields += [(f"query.{k}", v, False) for k, v in step.query.items()]
        fields += [(f"headers.{k}", v, True) for k, v in step.headers.items()]
        fields += [("body", s, True) for s in template.strings(step.body)]
        for name, text, secret_ok in fields:
            floc = (*loc, *name.split(".", 1))
            key = name.split(".", 1)[-1].lower()
            literal = not any(r.startswith("secret.") for r in template.names(text))
            if name.startswith(("headers.", "query.")) and _credential_name(key) and literal:
                problems.append(
                    (floc, "a credential must come from {secret.NAME}, not the manifest")
                )
            if template.stray_braces(text):
                problems.append((floc, "has a brace that is not a {placeholder}"))
            for ref in template.names(text):
                step_ref = ref.startswith("steps.") and ref.split(".")[1] in seen
                if ref.startswith("secret.") and not secret_ok and ref in known:
                    problems.append((floc, f"{{{ref}}}: secrets may go in headers or body only"))
                elif ref not in known and not step_ref:
                    problems.append((floc, f"{{{ref}}} is not a slot, earlier step or secret"))
        seen.append(step.name)
    for ref in template.names(model.reply):
        if ref.startswith("secret."):
            problems.append((("reply",), f"{{{ref}}}: a reply never shows a secret"))
        elif ref not in slots | {"requester.name", "action_id"} and not (
            ref.startswith("steps.") and ref.split(".")[1] in seen
        ):
            problems.append((("reply",), f"{{{ref}}} is not a slot or step result"))
    return problems


def _load_yaml(text: str, file: str) -> tuple[Any, Any]:
    """Parse YAML text (bounded); PyYAML is imported here, when a manifest is YAML."""
    from skills.manifest import yaml_text

    try:
        return yaml_text.load_yaml(text)
    except yaml_text.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise ManifestError(
            [f"{file}{line}: not valid YAML ({getattr(exc, 'problem', exc)})"]
        ) from None


def _yaml_line(root: Any, loc: Loc) -> int:
    from skills.manifest import yaml_text  # already imported: the manifest was YAML

    return yaml_text.yaml_line(root, loc)


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list | tuple):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def parse_manifest(
    text: str, file: str = "<manifest>", allowed_hosts: Iterable[str] | None = None
) -> Manifest:
    """Validate a manifest's text; raise ManifestError listing every problem."""
    if len(text.encode("utf-8")) > LIMITS.bytes:
        raise ManifestError([f"{file}: over {LIMITS.bytes // 1024} KB; a manifest is smaller"])
    fmt = _format(file, text)
    try:
        if fmt == "toml":
            data, node = tomllib.loads(text), None
        else:
            node, data = _load_yaml(text, file)
    except RecursionError:
        raise ManifestError([f"{file}: nested deeper than {LIMITS.depth} levels"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError([f"{file}: not valid TOML ({exc})"]) from None
    if not isinstance(data, dict):
        raise ManifestError([f"{file}:1: the manifest must be a table of keys"])
    if _depth(data) > LIMITS.depth:
        raise ManifestError([f"{file}: nested deeper than {LIMITS.depth} levels"])

    def at(loc: Loc) -> str:
        line = _toml_line(text, loc) if fmt == "toml" else _yaml_line(node, loc)
        return f"{file}:{line}: {_field(loc)}"

    try:
        model = ManifestModel(**data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not str(p).startswith(("function-", "tagged")))
            what = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            problems.append(f"{at(loc)}: {what.removeprefix('Value error, ')}")
        raise ManifestError(problems) from None
    semantic = _semantic(model, allowed_hosts)
    if semantic:
        raise ManifestError([f"{at(loc)}: {what}" for loc, what in semantic])
    return Manifest(model, text, fmt, file)


def load_manifest(path: str | Path, allowed_hosts: Iterable[str] | None = None) -> Manifest:
    try:
        text = Path(path).read_text("utf-8")
    except FileNotFoundError:
        raise ManifestError([f"{path}: file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError([f"{path}: cannot be read ({type(exc).__name__})"]) from None
    return parse_manifest(text, str(path), allowed_hosts)
