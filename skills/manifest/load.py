"""Reading a manifest: parse, validate, and report every problem with file, line and field.

A manifest is refused whole when anything is wrong; nothing of it is registered.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import ValidationError

from chatbot.errors import UserError
from skills.manifest import template
from skills.manifest.model import ManifestModel, StepModel

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
    }
)


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


def _yaml_line(root: Any, loc: Loc) -> int:
    node, line = root, (root.start_mark.line + 1 if root is not None else 1)
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            node = node.value[part] if part < len(node.value) else None
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def _field(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(manifest)"


def _semantic(model: ManifestModel, allowed_hosts: Iterable[str] | None) -> list[tuple[Loc, str]]:
    problems: list[tuple[Loc, str]] = []
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
            if parts.scheme not in ("http", "https") or not parts.hostname:
                problems.append(((*loc, "url"), "must be an absolute http(s) URL"))
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
        # Not in the query: URLs end up in logs (httpx logs each request line).
        fields += [(f"query.{k}", v, False) for k, v in step.query.items()]
        fields += [(f"headers.{k}", v, True) for k, v in step.headers.items()]
        fields += [("body", s, True) for s in template.strings(step.body)]
        for name, text, secret_ok in fields:
            floc = (*loc, *name.split(".", 1))
            key = name.split(".", 1)[-1].lower()
            literal = not any(r.startswith("secret.") for r in template.names(text))
            if name.startswith(("headers.", "query.")) and key in CREDENTIAL_NAMES and literal:
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


def parse_manifest(
    text: str, file: str = "<manifest>", allowed_hosts: Iterable[str] | None = None
) -> Manifest:
    """Validate a manifest's text; raise ManifestError listing every problem."""
    fmt = _format(file, text)
    try:
        if fmt == "toml":
            data, node = tomllib.loads(text), None
        else:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            data = yaml.safe_load(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError([f"{file}: not valid TOML ({exc})"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise ManifestError(
            [f"{file}{line}: not valid YAML ({getattr(exc, 'problem', exc)})"]
        ) from None
    if not isinstance(data, dict):
        raise ManifestError([f"{file}:1: the manifest must be a table of keys"])

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
