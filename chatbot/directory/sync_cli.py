"""`chatops directory sync [--json]`: pull people, groups and managers from the identity
provider now (`[identity.sync] source`), as the `directory.sync` job does on its schedule, and
print what changed. Exit 0 when done, 1 when the provider refused or could not be reached,
2 when sync is not configured, 3 when the database cannot be reached."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI imports this module to build its parser: keep that fast
    from chatbot.config import Settings


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    directory = sub.add_parser("directory", help="the directory of people and groups")
    steps = directory.add_subparsers(dest="directory_command", required=True)
    sync = steps.add_parser("sync", help="pull people, groups and managers from the provider")
    sync.add_argument("--json", action="store_true", help="the report as JSON")
    sync.set_defaults(handler=cmd_sync)


async def cmd_sync(settings: Settings, args: argparse.Namespace) -> int:
    import sys

    from chatbot import texts
    from chatbot.app import runtime
    from chatbot.directory.sync import sync_now
    from chatbot.errors import UserError
    from skills.api import SkillError

    if not settings.identity.sync.source:
        raise UserError(texts.SYNC_OFF)
    async with runtime(settings) as rt:
        try:
            report = await sync_now(rt)
        except SkillError as exc:
            print(f"chatops: directory sync: {exc}", file=sys.stderr)
            return 1
    assert report is not None
    print(json.dumps(report.as_json()) if args.json else texts.sync_report(report))
    return 0
