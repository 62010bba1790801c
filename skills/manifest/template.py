"""Templates safe by construction: each value is encoded for where it goes.

    {slot}  {requester.name}  {requester.email}  {action_id}  {secret.KEY}  {steps.NAME.a.b}

- URL path: each value percent-encoded as one segment (a `/` or `?` in a value stays data);
  a value that is empty, `.` or `..` is refused, and the rendered path is checked again
  (percent-decoded) by `path_problem`, so no value can add or remove a segment. Scheme and
  host are literal text, never a value, and must be in `skills.allowed_hosts`.
- Query: values handed to httpx, which encodes them.
- JSON body: a string that is exactly one placeholder becomes that value as a JSON value;
  otherwise values are pasted into the string, and the whole body is serialized as JSON.
- Headers: a value with CR or LF is refused (no header injection), and so is one with
  characters other than ASCII (HTTP cannot carry them; put such values in the body).
- There is no shell and no expression language: a placeholder is a name, nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from skills.api import SkillError
from skills.connectors.base import path_problem

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.-]*)\}")
ANY_BRACE = re.compile(r"[{}]")


def names(template: str) -> list[str]:
    return PLACEHOLDER.findall(template)


def stray_braces(template: str) -> bool:
    """True when braces remain that are not a well-formed placeholder."""
    return bool(ANY_BRACE.search(PLACEHOLDER.sub("", template)))


def lookup(values: Mapping[str, Any], name: str) -> Any:
    """`steps.open.result.number` walks into nested JSON (list items by index)."""
    if name in values:
        return values[name]
    head, _, rest = name.partition(".")
    current: Any = values.get(head)
    for part in rest.split(".") if rest else ():
        if isinstance(current, Mapping):
            current = current.get(part)
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            current = None
    if current is None:
        raise SkillError(f"the template value {{{name}}} is empty; nothing was sent")
    return current


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def render_text(template: str, values: Mapping[str, Any]) -> str:
    return PLACEHOLDER.sub(lambda m: _text(lookup(values, m.group(1))), template)


def _segment(name: str, values: Mapping[str, Any]) -> str:
    value = _text(lookup(values, name))
    if value.strip() in ("", ".", ".."):
        raise SkillError(
            f"the value {value!r} for {{{name}}} cannot go in a URL path; nothing was sent"
        )
    return quote(value, safe="")


def render_path(template: str, values: Mapping[str, Any]) -> str:
    """The path with every value encoded as data inside its segment; SkillError when the
    result would leave the path (a `..` made of two values, say)."""
    rendered = PLACEHOLDER.sub(lambda m: _segment(m.group(1), values), template)
    path = rendered.split("://", 1)[1].partition("/")[2] if "://" in template else rendered
    problem = path_problem(path if "://" not in template else "/" + path)
    if problem is not None:
        raise SkillError(f"the path {problem} once filled in; nothing was sent")
    return rendered


def render_header(name: str, template: str, values: Mapping[str, Any]) -> str:
    value = render_text(template, values)
    if "\r" in value or "\n" in value:
        raise SkillError(f"the value for header {name} contains a line break; nothing was sent")
    if not value.isascii():
        raise SkillError(
            f"the value for header {name} has characters other than ASCII, which a header "
            "cannot carry; nothing was sent"
        )
    return value


def render_json(template: Any, values: Mapping[str, Any]) -> Any:
    if isinstance(template, str):
        whole = PLACEHOLDER.fullmatch(template)
        return lookup(values, whole.group(1)) if whole else render_text(template, values)
    if isinstance(template, Mapping):
        return {str(k): render_json(v, values) for k, v in template.items()}
    if isinstance(template, list | tuple):
        return [render_json(v, values) for v in template]
    return template


def strings(template: Any) -> list[str]:
    """Every string inside a JSON template (to validate its placeholders)."""
    if isinstance(template, str):
        return [template]
    if isinstance(template, Mapping):
        return [s for v in template.values() for s in strings(v)]
    if isinstance(template, list | tuple):
        return [s for v in template for s in strings(v)]
    return []
