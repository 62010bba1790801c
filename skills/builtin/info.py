"""help and whoami: they show only what the person may do (the pipeline passes that in)."""

from __future__ import annotations

from chatbot.types import Outcome
from skills.api import SkillContext
from skills.builtin.catalog import HELP, WHOAMI


def _catalog(ctx: SkillContext) -> str:
    lines = [
        f'- {spec.description} (e.g. "{spec.examples[0]}")'
        for spec in ctx.allowed
        if spec.examples and spec.name not in ("help", "whoami")
    ]
    return "\n".join(lines) if lines else "- nothing yet: ask an admin for a role"


class Help:
    spec = HELP

    async def preview(self, ctx: SkillContext) -> Outcome:
        return await self.run(ctx)

    async def run(self, ctx: SkillContext) -> Outcome:
        return Outcome(True, "Here is what I can do for you:\n" + _catalog(ctx))


class WhoAmI:
    spec = WHOAMI

    async def preview(self, ctx: SkillContext) -> Outcome:
        return await self.run(ctx)

    async def run(self, ctx: SkillContext) -> Outcome:
        person = ctx.principal
        roles = ", ".join(ctx.roles) or "none"
        origins = dict(person.role_sources)
        # Where each role came from (directory entry, group, company domain); roles that only
        # come through another role's `includes` are shown as included.
        shown = ", ".join(f"{r} ({origins.get(r, 'included')})" for r in ctx.roles) or roles
        extra = f"; manager: {person.manager}" if person.manager else ""
        return Outcome(
            True,
            f"You are {person.display_name} <{person.email}>; roles: {shown}{extra}; "
            f"time zone: {person.tz}. You may:\n" + _catalog(ctx),
        )
