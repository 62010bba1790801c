"""A manifest's problems, placed at the manifest fields they name.

skills.manifest reports each problem as `file:line: field: what is wrong` (pydantic's and
its own checks alike); the console shows them next to the manifest, each under the field it
names and the line it is on, so an admin sees where to fix instead of reading a log line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PROBLEM = re.compile(
    r"^(?P<file>[^:\n]*?)(?::(?P<line>\d+))?: (?:(?P<field>[\w.\[\]-]+): )?(?P<what>.*)$"
)
MANIFEST_FIELD = "manifest"


@dataclass(frozen=True, slots=True)
class Problem:
    field: str  # the manifest field ("examples", "slots[0].type"), or "" for the whole text
    line: int | None
    what: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else ""
        field = f"{self.field}" if self.field else "the manifest"
        return f"{field}{f' ({where})' if where else ''}: {self.what}"


def placed(problems: tuple[str, ...] | list[str]) -> list[Problem]:
    found = []
    for text in problems:
        match = PROBLEM.match(text.strip())
        if match is None:
            found.append(Problem("", None, text.strip()))
            continue
        line = int(match["line"]) if match["line"] else None
        found.append(Problem(match["field"] or "", line, match["what"]))
    return found


def top_field(problem: Problem) -> str:
    """The top-level manifest key a problem is about: `slots` for `slots[0].type`."""
    return re.split(r"[.\[]", problem.field, maxsplit=1)[0] if problem.field else ""
