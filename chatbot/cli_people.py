"""Who a command acts as: the person `--as` names, checked against the settings or the
directory, or the operating-system user for skill administration. Used by every `chatops`
subcommand that takes `--as`."""

from __future__ import annotations

import argparse
import getpass
from typing import TYPE_CHECKING

from chatbot.errors import UserError

if TYPE_CHECKING:  # the CLI imports this module to build its parser: keep that fast
    from chatbot.config import Settings
    from chatbot.identity import Directory
    from skills.admin import Actor


def person(settings: Settings, who: str) -> str:
    """The name of a person the settings know, by name or email."""
    name = who.strip().lower()
    if name in settings.people or any(p.email == name for p in settings.people.values()):
        return name
    known_names = ", ".join(settings.people) or "nobody"
    raise UserError(f"unknown person {who!r}; the directory knows: {known_names}")


def known(directory: Directory, who: str) -> str:
    """The person `--as` names, by name or email, from the directory in the database (so
    people provisioned over SCIM can be tried from a terminal); their name."""
    principal = directory.find_any(who)
    if principal is None:
        raise UserError(
            f"unknown person {who!r}; give a name or an email from the directory, "
            "e.g. --as alice or --as alice@example.com"
        )
    return principal.name


def admin(settings: Settings, args: argparse.Namespace) -> Actor:
    """The CLI acts as the named admin, or as the operating-system user running it."""
    from skills.admin import Actor

    who = args.who or getpass.getuser()
    if args.who:
        person(settings, args.who)
    return Actor(who, "cli", "terminal")
