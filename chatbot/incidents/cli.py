"""`chatops incidents ...` and `chatops kpi`: the on-call engineer's and the lead's view."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the CLI imports this module to build its parser: keep that fast
    from chatbot.config import Settings


def register(sub: Any) -> None:
    incidents = sub.add_parser("incidents", help="incidents from alerts, and their postmortem")
    verbs = incidents.add_subparsers(dest="incidents_command", required=True)
    listing = verbs.add_parser("list", help="open incidents (--all for every one)")
    listing.add_argument("--all", action="store_true", help="resolved and closed ones too")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.set_defaults(handler=_list)
    show = verbs.add_parser("show", help="one incident with its timeline and suspected changes")
    show.add_argument("id", help="INC-12 or 12")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=_show)
    for verb, state in (
        ("ack", "acknowledged"),
        ("mitigate", "mitigated"),
        ("resolve", "resolved"),
        ("close", "closed"),
    ):
        cmd = verbs.add_parser(verb, help=f"mark an incident {state}")
        cmd.add_argument("id", help="INC-12 or 12")
        cmd.add_argument("--as", dest="who", required=True, help="who is acting")
        cmd.set_defaults(handler=_move, state=state)
    post = verbs.add_parser("postmortem", help="a Markdown postmortem from the record")
    post.add_argument("id", help="INC-12 or 12")
    post.set_defaults(handler=_postmortem)
    kpi = sub.add_parser("kpi", help="MTTA, MTTR, change failure rate, automation, ...")
    kpi.add_argument("--since", default="30d", help="ISO date, 'yesterday' or '7d' (default 30d)")
    kpi.add_argument("--json", action="store_true")
    kpi.set_defaults(handler=_kpi)


async def _list(settings: Settings, args: argparse.Namespace) -> int:
    from chatbot.incidents.service import open_book

    async with open_book(settings) as book:
        found = await book.listing(open_only=not args.all)
    from chatbot.incidents.views import incident_json, incident_line

    for incident in found:
        print(json.dumps(incident_json(incident)) if args.json else incident_line(incident))
    if not found and not args.json:
        print("No open incidents." if not args.all else "No incidents.")
    return 0


async def _show(settings: Settings, args: argparse.Namespace) -> int:
    from chatbot.incidents.book import parse_ref
    from chatbot.incidents.service import open_book
    from chatbot.incidents.views import describe

    async with open_book(settings) as book:
        detail = await describe(book, parse_ref(args.id))
    print(json.dumps(detail.as_json(), indent=2) if args.json else detail.text())
    return 0


async def _move(settings: Settings, args: argparse.Namespace) -> int:
    from chatbot.incidents.book import IncidentState, incident_ref, parse_ref
    from chatbot.incidents.service import open_book, person

    async with open_book(settings) as book:
        who = await person(settings, book, args.who)
        incident = await book.move(parse_ref(args.id), IncidentState(args.state), who)
    assert incident.id is not None
    print(f"{incident_ref(incident.id)} is now {incident.state}.")
    return 0


async def _postmortem(settings: Settings, args: argparse.Namespace) -> int:
    from chatbot.incidents.book import parse_ref
    from chatbot.incidents.postmortem import render
    from chatbot.incidents.service import open_book
    from chatbot.incidents.views import describe

    async with open_book(settings) as book:
        detail = await describe(book, parse_ref(args.id))
    print(render(detail.incident, detail.alerts, detail.events, detail.changes))
    return 0


async def _kpi(settings: Settings, args: argparse.Namespace) -> int:
    from chatbot.incidents import kpi
    from chatbot.incidents.service import open_store
    from chatbot.incidents.views import kpi_text
    from chatbot.times import parse_since

    since = parse_since(args.since)
    async with open_store(settings) as store:
        result = await kpi.report(store, since, settings.incidents.change_lookback_minutes)
    print(json.dumps(result.as_json(), indent=2) if args.json else kpi_text(result))
    return 0
