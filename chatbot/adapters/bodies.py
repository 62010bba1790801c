"""Request bodies as every endpoint reads them: strict JSON, one parser for all.

Python's `json` accepts what no client of ours sends and what breaks later stages: `1e999`
becomes infinity, `NaN` is a number, ten thousand `[` raise RecursionError (a 500), a lone
surrogate (`"\\ud800"`) is a string the database cannot encode, and a 100,000-digit integer
costs seconds. `parse_json` refuses all of them with a `BadBody` that says what is wrong, so an
endpoint answers 400 and never 500 to its input.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_DEPTH = 32
MAX_INT_DIGITS = 30


class BadBody(ValueError):
    """The body cannot be used; `status` is the HTTP status to answer with."""

    def __init__(self, text: str, status: int = 400) -> None:
        super().__init__(text)
        self.status, self.text = status, text


def _constant(name: str) -> Any:
    raise BadBody(f"{name} is not a JSON number; send a finite number")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadBody(f"the number {text[:20]} is too large; send a finite number")
    return value


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise BadBody(f"a number with {len(text)} digits is too long")
    return int(text)


def _check(value: Any) -> None:
    """Depth and text of a parsed value, without recursion (the input chose the depth)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise BadBody(f"the JSON is nested more than {MAX_DEPTH} levels deep")
            children = list(item.items()) if isinstance(item, dict) else item
            for child in children:
                if isinstance(child, tuple):  # a key and its value
                    _text(child[0])
                    stack.append((child[1], depth + 1))
                else:
                    stack.append((child, depth + 1))
        elif isinstance(item, str):
            _text(item)


def _text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadBody("the JSON holds a string that is not valid Unicode") from None


def decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadBody("the body is not UTF-8 text") from None


def parse_json(raw: bytes | str) -> Any:
    """The JSON value in `raw`, or BadBody (status 400) saying what is wrong with it."""
    text = decode(raw) if isinstance(raw, bytes) else raw
    try:
        value = json.loads(text, parse_constant=_constant, parse_float=_float, parse_int=_int)
    except BadBody:
        raise
    except RecursionError:
        raise BadBody(f"the JSON is nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:
        raise BadBody(f"the body is not JSON ({exc})") from None
    _check(value)
    return value


def parse_object(raw: bytes | str, empty_ok: bool = True) -> dict[str, Any]:
    """A JSON object (an empty body counts as `{}` when `empty_ok`)."""
    if empty_ok and not raw:
        return {}
    value = parse_json(raw)
    if not isinstance(value, dict):
        raise BadBody("the body must be a JSON object")
    return value
