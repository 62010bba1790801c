"""`chatops employee offboard PERSON [--as USER] [--json]`: the leaver path without an
identity provider.

It does what a SCIM `active: false` does: deactivates the person in the directory (audited as
`directory.user.updated`), then runs the same `Offboarding` (requests cancelled, approvals
handed to their manager, grants removed, sessions ended, account disabled where the back end
can) and prints the report. A leaver `[jml.offboarding]` names (executives) waits for a second
person's approval instead, asked as `--as` (default `jml.onboard_as`). Exit 0 when every step
was done or the offboarding waits for that approval; 1 when the person is unknown or
something is left (the report says what and why); 3 when the database cannot be reached.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI imports this module to build its parser: keep that fast
    from chatbot.config import Settings


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    employee = sub.add_parser("employee", help="joiners and leavers")
    steps = employee.add_subparsers(dest="employee_command", required=True)
    offboard = steps.add_parser("offboard", help="take everything away from a leaver, now")
    offboard.add_argument("person", help="a name or an email from the directory")
    offboard.add_argument("--json", action="store_true", help="the report as JSON")
    offboard.add_argument(
        "--as", dest="who", help="who asks, when a second person must approve (executives)"
    )
    offboard.set_defaults(handler=cmd_offboard)
    from chatbot.jml import cli as jml_cli  # onboard and undo share `chatops employee`

    jml_cli.register_employee(steps)


async def cmd_offboard(settings: Settings, args: argparse.Namespace) -> int:
    import sys

    from chatbot import texts
    from chatbot.app import runtime
    from chatbot.cli_people import known as named
    from chatbot.directory import records
    from chatbot.directory.deactivate import deactivate

    async with runtime(settings) as rt:
        directory = rt.assistant.directory
        known = directory.find_any(args.person)
        if known is None:
            print(f"chatops: unknown person {args.person!r}", file=sys.stderr)
            return 1
        done = await deactivate(rt.store, known.name, "cli", "cli")
        if done is None:
            print(f"chatops: {known.name} is not in the directory", file=sys.stderr)
            return 1
        person_id, source = done.person_id, done.source
        await directory.refresh(rt.store)
        offboard = rt.assistant.jml.offboarding(rt.http)
        by = named(directory, args.who) if args.who else None
        report = await offboard.person(person_id, by)
    if report is None:
        print(f"chatops: {known.name} is not in the directory", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(report.as_detail(), ensure_ascii=False))
    elif report.waiting is not None:
        print(report.items[0].detail)
    else:
        print(texts.offboard_report(report))
    if source == records.CONFIG:
        print(f"chatops: {texts.offboard_config_person(known.name)}", file=sys.stderr)
    return 0 if report.complete or report.waiting is not None else 1
