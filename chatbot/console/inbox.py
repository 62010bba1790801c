"""Inbox: approvals waiting for me (and, for admins, everyone's), scheduled actions with
cancel, and running actions with the last progress they reported.

Every button here is a press through the one path (chatbot/console/presses.py): the same
voting, start gate and audit as a click in chat. Cancelling a timed action is the
requester's own right, as in chat, so only their rows carry the button.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import col, select
from starlette.responses import Response

from chatbot.console.frame import Context, Page
from chatbot.console.presses import press
from chatbot.governance import actions
from chatbot.governance.actions import State
from chatbot.store.tables import Action
from chatbot.types import Button, ButtonStyle, ButtonValue, ButtonVerb

RUNNING_SHOWN = 100


@dataclass(frozen=True, slots=True)
class Waiting:
    id: int
    what: str
    requester: str
    approvers: str
    votes: str
    needed: int
    expires: str


@dataclass(frozen=True, slots=True)
class Running:
    id: int
    what: str
    requester: str
    since: str
    progress: str


def _shown(ctx: Context, at: datetime | None) -> str:
    """A time in the viewer's own time zone, with the zone named."""
    if at is None:
        return "-"
    try:
        zone = ZoneInfo(ctx.viewer.principal.tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M ") + str(zone)


async def _everyone(ctx: Context) -> list[Waiting]:
    approvals = ctx.runtime.assistant.approvals
    found = []
    async with ctx.runtime.store.read() as tx:
        for action in await actions.waiting_for_approval(tx):
            votes = await actions.approvals(tx, action.id or 0)
            found.append(
                Waiting(
                    action.id or 0,
                    approvals.what(action),
                    action.requester,
                    ", ".join(approvals.finish.approvers(action)) or "nobody can",
                    ", ".join(votes) or "none yet",
                    action.approvals_needed,
                    _shown(ctx, action.expires_at),
                )
            )
    return found


async def _running(ctx: Context) -> list[Running]:
    approvals = ctx.runtime.assistant.approvals
    query = select(Action).where(col(Action.state) == State.RUNNING).order_by(col(Action.id))
    async with ctx.runtime.store.read() as tx:
        rows = list((await tx.exec(query.limit(RUNNING_SHOWN))).all())
    progress = ctx.console.progress
    return [
        Running(
            a.id or 0,
            approvals.what(a),
            a.requester,
            _shown(ctx, a.updated_at),
            progress.get(a.id or 0, "started; no progress reported yet"),
        )
        for a in rows
    ]


def unschedule(action_id: int) -> Button:
    value = ButtonValue.action(ButtonVerb.UNSCHEDULE, action_id)
    return Button("Cancel", str(value), ButtonStyle.DANGER)


async def read(ctx: Context) -> Response:
    assistant = ctx.runtime.assistant
    mine = await assistant.approvals.inbox(ctx.viewer.principal)
    everyone = await _everyone(ctx) if ctx.viewer.may_act else []
    scheduled = await assistant.schedules.waiting(None)
    return ctx.page(
        "inbox.html",
        "Inbox",
        mine=mine,
        everyone=everyone,
        scheduled=[
            (s, unschedule(s.id) if s.requester == ctx.viewer.name else None) for s in scheduled
        ],
        running=await _running(ctx),
        press_to="/inbox/press",
    )


pages = (Page("/inbox", "Inbox", read, {"press": press}),)
