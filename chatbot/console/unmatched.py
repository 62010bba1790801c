"""Requests nobody could serve: the IT requests no skill fitted, grouped by similarity
(chatbot/insights/unmatched.py), each group with a "Draft a skill" button that opens the
add-a-skill form prefilled with a manifest drafted from it (chatbot/insights/draft.py): how
the catalog grows from what people ask. The draft is never added by the button itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.responses import Response

from chatbot.console.frame import Context, Page
from chatbot.console.kpis import DEFAULT_RANGE
from chatbot.errors import UserError
from chatbot.insights.draft import draft_manifest
from chatbot.insights.period import RANGES, Period
from chatbot.insights.unmatched import Group, unmatched_groups

GROUPS_SHOWN = 20
EXAMPLES_SHOWN = 6


@dataclass(frozen=True, slots=True)
class Shown:
    group: Group
    draft: str


async def read(ctx: Context) -> Response:
    wanted = ctx.query.get("range", DEFAULT_RANGE)
    if wanted not in RANGES:
        problem = UserError(f"{wanted!r} is not a range here; choose one of {', '.join(RANGES)}")
        return ctx.page(
            "unmatched.html",
            "Requests nobody could serve",
            400,
            problem=str(problem),
            ranges=RANGES,
            wanted=DEFAULT_RANGE,
            groups=[],
            examples_shown=EXAMPLES_SHOWN,
        )
    period = Period.last(RANGES[wanted])
    found = await unmatched_groups(ctx.runtime.store, period.since, period.until, GROUPS_SHOWN)
    taken = [s.name for s in ctx.runtime.assistant.registry.specs()]
    groups = [Shown(g, draft_manifest(g, taken) if ctx.viewer.may_act else "") for g in found]
    return ctx.page(
        "unmatched.html",
        "Requests nobody could serve",
        problem="",
        ranges=RANGES,
        wanted=wanted,
        groups=groups,
        examples_shown=EXAMPLES_SHOWN,
    )


pages = (Page("/unmatched", "Unserved requests", read),)
