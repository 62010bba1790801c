"""`chatops schedules list [--as NAME] [--json]` and `chatops schedules cancel ID --as NAME`:
timed actions waiting for their time, from a terminal (the chat says "what is scheduled")."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the CLI imports this module to build its parser: keep that fast
    from chatbot.config import Settings


def register(sub: Any) -> None:
    """Add `schedules` to the `chatops` subcommands."""
    schedules = sub.add_parser("schedules", help="timed actions waiting for their time")
    inner = schedules.add_subparsers(dest="schedules_command", required=True)
    listing = inner.add_parser("list", help="scheduled actions, soonest first")
    listing.add_argument("--as", dest="who", default="", help="only this person's")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.set_defaults(handler=cmd_list)
    cancel = inner.add_parser("cancel", help="cancel a scheduled action of your own")
    cancel.add_argument("id", type=int)
    cancel.add_argument("--as", dest="who", required=True, help="the requester")
    cancel.set_defaults(handler=cmd_cancel)


async def cmd_list(settings: Settings, args: argparse.Namespace) -> int:
    from chatbot.cli_people import person
    from chatbot.light import governance
    from chatbot.schedules import Schedules
    from chatbot.store.opening import open_store

    who = person(settings, args.who) if args.who else None
    # The store and the approvals desk only: a listing never loads the language model.
    async with open_store(settings) as store, governance(settings, store) as approvals:
        waiting = await Schedules(approvals).waiting(who)
    for item in waiting:
        if args.json:
            print(json.dumps(item.as_json(), ensure_ascii=False))
        else:
            print(f"#{item.id} {item.shown} {item.requester}: {item.what.rstrip('?')}")
    if not waiting and not args.json:
        print("Nothing is scheduled.")
    return 0


async def cmd_cancel(settings: Settings, args: argparse.Namespace) -> int:
    from chatbot.app import runtime
    from chatbot.cli_people import person
    from chatbot.governance.actions import State

    who = person(settings, args.who)
    async with runtime(settings) as rt:
        principal = rt.assistant.directory.find(who)
        assert principal is not None
        before = await rt.assistant.approvals.load(args.id)
        said = await rt.assistant.schedules.cancel(principal, args.id)
        after = await rt.assistant.approvals.load(args.id)
    done = (
        before is not None
        and before.state == State.SCHEDULED
        and after is not None
        and after.state == State.CANCELLED
    )
    print(said, file=sys.stdout if done else sys.stderr)
    return 0 if done else 1
