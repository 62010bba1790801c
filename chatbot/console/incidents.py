"""Incidents: the open ones, each with its timeline, suspected changes, and the buttons of its
chat card (acknowledge, the remediations, resolve), pressed through the one path
(chatbot/console/presses.py): the same RBAC, governance and timeline lines as in chat."""

from __future__ import annotations

from starlette.responses import Response

from chatbot.console.frame import Context, Page
from chatbot.console.presses import press
from chatbot.errors import NotFound, UserError
from chatbot.incidents import desk, views
from chatbot.incidents.book import IncidentBook, incident_ref, parse_ref


def _book(ctx: Context) -> IncidentBook:
    return ctx.runtime.incidents or ctx.runtime.assistant.incidents.book


def _buttons(book: IncidentBook, incident_id: int, title: str, service: str, env: str):  # type: ignore[no-untyped-def]
    offered = desk.remedies(book.settings, title, service, env)
    return desk.card_buttons(incident_id, offered)


async def read(ctx: Context) -> Response:
    book = _book(ctx)
    wanted = ctx.query.get("state", "open")
    rows = await book.listing(open_only=wanted != "all", limit=100)
    return ctx.page(
        "incidents.html",
        "Incidents",
        rows=[(i, incident_ref(i.id or 0)) for i in rows],
        wanted=wanted,
        press_to="/incidents/press",
    )


async def read_one(ctx: Context) -> Response:
    book = _book(ctx)
    try:
        incident_id = parse_ref(str(ctx.params["ref"]))
        detail = await views.describe(book, incident_id)
    except (NotFound, UserError) as exc:
        return ctx.page("missing.html", "No such incident", 404, what=str(exc))
    found = detail.incident
    buttons = _buttons(book, incident_id, found.title, found.service, found.env)
    ref = incident_ref(incident_id)
    return ctx.page(
        "incident.html",
        f"Incident {ref}",
        detail=detail,
        ref=ref,
        buttons=buttons,
        press_to=f"/incidents/{ref}/press",
    )


pages = (
    Page("/incidents", "Incidents", read, {"press": press}),
    Page("/incidents/{ref}", "Incident", read_one, {"press": press}, nav=False),
)
