"""`chatops employee onboard / undo` and `chatops reviews start / list / show / decide / remind`.

    chatops employee onboard PERSON [--start DATE] [--manager M] --as USER [--json]
    chatops employee undo PERSON [--request ID] --as USER [--json]
    chatops reviews start --resource R --as USER [--json]
    chatops reviews list [--json]
    chatops reviews show ID [--format md|csv|json]   (the campaign as evidence)
    chatops reviews decide ITEM keep|revoke --as USER
    chatops reviews remind

Onboarding asks, as USER, for what PERSON's bundles give and they lack (their manager
approves; a future --start date makes it a timed start). `decide` is the Keep / Revoke button
of the review card, pressed through the assistant. Exit 0 done, 1 refused or not found,
2 bad input, 3 database unreachable.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI imports this module to build its parser: keep that fast
    from chatbot.config import Settings


def register_employee(steps: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    onboard = steps.add_parser("onboard", help="give a joiner or mover their bundles' access")
    onboard.add_argument("person", help="a name or an email from the directory")
    onboard.add_argument("--start", help="start date (ISO); the access is granted then")
    onboard.add_argument("--manager", help="who approves, when the directory names nobody")
    onboard.add_argument("--as", dest="who", required=True, help="who asks (HR or IT)")
    onboard.add_argument("--json", action="store_true")
    onboard.set_defaults(handler=cmd_onboard)
    undo = steps.add_parser("undo", help="take back what an onboarding granted")
    undo.add_argument("person")
    undo.add_argument("--request", type=int, help="the onboarding request (default: latest)")
    undo.add_argument("--as", dest="who", required=True)
    undo.add_argument("--json", action="store_true")
    undo.set_defaults(handler=cmd_undo)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    reviews = sub.add_parser("reviews", help="access review campaigns")
    steps = reviews.add_subparsers(dest="reviews_command", required=True)
    start = steps.add_parser("start", help="ask a resource's owners about every grant of it")
    start.add_argument("--resource", required=True)
    start.add_argument("--as", dest="who", required=True)
    start.add_argument("--json", action="store_true")
    start.set_defaults(handler=cmd_start)
    listing = steps.add_parser("list", help="campaigns, newest first")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_list)
    show = steps.add_parser("show", help="one campaign with every decision (evidence)")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true", help="same as --format json")
    show.add_argument("--format", default="md", choices=("md", "csv", "json"))
    show.set_defaults(handler=cmd_show)
    decide = steps.add_parser("decide", help="keep or revoke one grant under review")
    decide.add_argument("item", type=int)
    decide.add_argument("decision", choices=("keep", "revoke"))
    decide.add_argument("--as", dest="who", required=True)
    decide.set_defaults(handler=cmd_decide)
    remind = steps.add_parser("remind", help="remind and escalate unanswered items now")
    remind.set_defaults(handler=cmd_remind)


async def cmd_onboard(settings: Settings, args: argparse.Namespace) -> int:
    from datetime import date, datetime

    from chatbot.adapters import shell
    from chatbot.app import runtime
    from chatbot.cli_people import known
    from chatbot.times import parse_since

    # A plain day starts at the joiner's midnight (Joiners.start_when); a time is that moment.
    moment = parse_since(args.start) if args.start else None
    start: date | datetime | None = moment
    if moment is not None and len(args.start.strip()) == 10:
        start = moment.date()
    async with runtime(settings) as rt:
        a = rt.assistant
        who = a.directory.find(known(a.directory, args.who))
        assert who is not None
        asked = await a.jml.joiners.onboard(
            who, args.person, start, shell.message(who.name), args.manager
        )
    if args.json:
        print(json.dumps(asked.as_json(), ensure_ascii=False))
    else:
        for reply in asked.replies:
            print(shell.render(reply))
    return 0


async def cmd_undo(settings: Settings, args: argparse.Namespace) -> int:
    from chatbot.app import runtime
    from chatbot.cli_people import known

    async with runtime(settings) as rt:
        a = rt.assistant
        by = known(a.directory, args.who)
        person = a.directory.find_any(args.person)
        name = person.name if person else args.person.strip().lower()
        rows = await a.jml.joiners.undo(name, by, args.request)
    if not rows:
        from chatbot.errors import NotFound

        raise NotFound(f"{name} has no onboarding request to undo")
    shown = [{"resource": r.resource, "state": r.state, "detail": r.detail} for r in rows]
    if args.json:
        print(json.dumps({"person": name, "items": shown}, ensure_ascii=False))
    else:
        for row in shown:
            print(f"{row['resource']}: {row['state']} ({row['detail']})")
    return 0 if all(r.state == "removed" for r in rows) else 1


async def cmd_start(settings: Settings, args: argparse.Namespace) -> int:
    from chatbot.app import runtime
    from chatbot.cli_people import known
    from chatbot.jml import views

    async with runtime(settings) as rt:
        a = rt.assistant
        by = known(a.directory, args.who)
        campaign = await a.jml.reviews.start(args.resource.strip(), by)
        shown = await views.campaign(rt.store, campaign.id or 0)
    if args.json:
        print(json.dumps(shown, ensure_ascii=False))
    else:
        print(views.markdown(shown))
    return 0


async def cmd_list(settings: Settings, args: argparse.Namespace) -> int:
    from chatbot.jml import views
    from chatbot.store.opening import open_store

    async with open_store(settings) as store:
        rows = await views.campaigns(store)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    elif not rows:
        print("No access review campaigns yet; start one with chatops reviews start --resource R")
    for row in [] if args.json else rows:
        print(
            f"#{row['id']} {row['kind']} {row['resource']} {row['state']}: "
            f"{row['decided']}/{row['items']} decided, {row['revoked']} revoked"
        )
    return 0


async def cmd_show(settings: Settings, args: argparse.Namespace) -> int:
    from chatbot.jml import views
    from chatbot.store.opening import open_store

    async with open_store(settings) as store:
        shown = await views.campaign(store, args.id)
    form = "json" if args.json else args.format
    if form == "json":
        print(json.dumps(shown, ensure_ascii=False))
    elif form == "csv":
        print(views.csv_text(shown), end="")
    else:
        print(views.markdown(shown))
    return 0


async def cmd_decide(settings: Settings, args: argparse.Namespace) -> int:
    from chatbot.adapters import shell
    from chatbot.app import runtime
    from chatbot.cli_people import known
    from chatbot.types import ButtonValue, ButtonVerb

    verb = ButtonVerb.REVIEW_KEEP if args.decision == "keep" else ButtonVerb.REVIEW_REVOKE
    async with runtime(settings) as rt:
        who = known(rt.assistant.directory, args.who)
        press = str(ButtonValue(verb, str(args.item)))
        replies = await rt.assistant.handle(shell.message(who, press=press))
    for reply in replies:
        print(shell.render(reply))
    return 1 if any(r.kind == "error" for r in replies) else 0


async def cmd_remind(settings: Settings, args: argparse.Namespace) -> int:
    from chatbot.app import runtime

    async with runtime(settings) as rt:
        nudged = await rt.assistant.jml.reviews.remind()
    print(f"{nudged} review item(s) reminded or escalated")
    return 0
