"""`chatops connectors list [--json]` and `chatops connectors check NAME`.

`check` builds the connector exactly as the server would (settings section, secrets) and makes
one harmless read against the configured system, then says what it found: the quickest way
to tell a wrong URL from a wrong credential from a missing permission, before a person meets
it in chat. Exit 0 when the read worked, 1 when the system refused or could not be reached,
2 when the configuration is wrong.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(sub: Any) -> None:
    """Add `connectors` to the `chatops` command (sub: the argparse subparsers object)."""
    parser = sub.add_parser("connectors", help="the back ends: list them, test a connection")
    verbs = parser.add_subparsers(dest="connectors_command", required=True)
    listing = verbs.add_parser("list", help="every installed connector and what it serves")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.set_defaults(handler=list_connectors)
    check = verbs.add_parser("check", help="one harmless read against a configured back end")
    check.add_argument("name", help="the [connectors.NAME] section, e.g. github")
    check.set_defaults(handler=check_connector)


async def list_connectors(settings: Any, args: argparse.Namespace) -> int:
    from skills.connectors.factory import available

    for name, cls in sorted(available().items()):
        ports = ", ".join(p.__name__ for p in cls.ports)
        row = {
            "name": name,
            "system": cls.title or name,
            "ports": [p.__name__ for p in cls.ports],
            "configured": name in settings.connectors,
        }
        if args.json:
            print(json.dumps(row))
        else:
            mark = "configured" if row["configured"] else "not configured"
            print(f"{name:14} {row['system']:22} {ports:28} {mark}")
    return 0


async def check_connector(settings: Any, args: argparse.Namespace) -> int:
    import asyncio

    import httpx

    from skills.api import SkillError
    from skills.connectors.factory import available, connector
    from skills.connectors.secrets import load_secrets

    known = available()
    if args.name not in known:
        names = ", ".join(sorted(known))
        print(f"chatops: no connector {args.name!r}; installed: {names}", file=sys.stderr)
        return 1
    secrets = load_secrets(settings.secrets_file)
    make = connector(args.name, settings.connectors, secrets, asyncio.sleep, known)
    async with httpx.AsyncClient() as http:
        try:
            found = await make(http).check()
        except SkillError as exc:
            print(f"chatops: {args.name}: {exc}", file=sys.stderr)
            return 1
        except NotImplementedError:
            print(f"chatops: {args.name}: this connector has no check", file=sys.stderr)
            return 1
    print(f"{args.name}: {found}")
    return 0
