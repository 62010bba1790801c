"""password.reset, account.unlock, vpn.reset (real back ends) and access.request.

Written against `IdentityProvider`, so the same skill runs on the sandbox or on Okta. Access is
granted after approval (the pipeline's policy asks for it) and recorded as a due-time row in the
skill's store; `skills.revoker` removes the membership when the duration ends.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from chatbot.times import Zone, say
from chatbot.types import Outcome, utcnow
from skills.api import SkillContext, SkillError, SkillSpec
from skills.ports import IdentityProvider

MakeIdentity = Callable[[SkillContext], IdentityProvider]
UNITS = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
MAX_DURATION = timedelta(days=30)


def parse_duration(text: str) -> timedelta:
    m = re.fullmatch(r"\s*(\d+)\s*(m|min|h|d|w)\s*", text.lower())
    if not m:
        raise SkillError(f"I can't read the duration {text!r}; say e.g. 30m, 8h or 2d.")
    span = timedelta(seconds=int(m.group(1)) * UNITS[m.group(2)])
    if not timedelta(0) < span <= MAX_DURATION:
        raise SkillError("Access can be granted for up to 30 days.")
    return span


class AccountAction:
    """One identity-provider call on the target person (vpn.reset, password.reset, unlock)."""

    VERBS = {
        "vpn.reset": "end_sessions",
        "password.reset": "reset_password",
        "account.unlock": "unlock",
    }
    WORDS = {
        "vpn.reset": "end every VPN session of",
        "password.reset": "reset the password of",
        "account.unlock": "unlock the account of",
    }

    DONE = {
        "vpn.reset": "Ended every VPN session of",
        "password.reset": "Reset the password of",
        "account.unlock": "Unlocked the account of",
    }

    def __init__(self, spec: SkillSpec, make: MakeIdentity, sandbox: bool) -> None:
        self.spec, self._make, self._sandbox = spec, make, sandbox

    async def preview(self, ctx: SkillContext) -> Outcome:
        return Outcome(
            True, f"Would {self.WORDS[self.spec.name]} {ctx.target}.", sandbox=self._sandbox
        )

    async def run(self, ctx: SkillContext) -> Outcome:
        backend = self._make(ctx)
        done = await getattr(backend, self.VERBS[self.spec.name])(ctx.target)
        text = f"{self.DONE[self.spec.name]} {ctx.target}: {done}."
        return Outcome(True, text, sandbox=self._sandbox)


class AccessRequest:
    def __init__(self, spec: SkillSpec, make: MakeIdentity, sandbox: bool) -> None:
        self.spec, self._make, self._sandbox = spec, make, sandbox

    async def preview(self, ctx: SkillContext) -> Outcome:
        span = parse_duration(ctx.slots.get("duration", "8h"))
        text = f"Would give {ctx.target} access to {ctx.slots['resource']} for {span}."
        return Outcome(True, text, sandbox=self._sandbox)

    async def run(self, ctx: SkillContext) -> Outcome:
        resource, span = ctx.slots["resource"], parse_duration(ctx.slots.get("duration", "8h"))
        done = await self._make(ctx).add_to_group(ctx.target, resource)
        due = utcnow() + span
        await ctx.kv.put(
            f"grant:{resource}:{ctx.target}",
            {
                "resource": resource,
                "user": ctx.target,
                "due": due.isoformat(),
                "action_id": ctx.action_id,
            },
        )
        # On the requester's clock (the directory's zone, else the configured default),
        # named, since the person it is for may read another.
        when = say(due, Zone(ctx.principal.tz or "UTC", own=False))
        text = f"{ctx.target} has access to {resource} until {when} ({done}); it is then revoked."
        return Outcome(True, text, {"revoke_at": due.isoformat()}, sandbox=self._sandbox)

    def identity(self, ctx: SkillContext) -> IdentityProvider:
        """The back end grants go through (offboarding ends sessions and disables there)."""
        return self._make(ctx)

    async def revoke(self, ctx: SkillContext, login: str, resource: str) -> str:
        """Called by the revoker when a grant's time is up, and by offboarding."""
        return await self._make(ctx).remove_from_group(login, resource)


class AccessRevoke:
    """access.revoke: the opposite of access.request, through the same identity back end.
    Removes the membership and the due-time row the grant left, so the revoker has nothing
    left to do; with no grant on record it says so and changes nothing."""

    def __init__(self, spec: SkillSpec, make: MakeIdentity, sandbox: bool) -> None:
        self.spec, self._make, self._sandbox = spec, make, sandbox

    async def preview(self, ctx: SkillContext) -> Outcome:
        resource = ctx.slots["resource"]
        grant = await ctx.kv.get(f"grant:{resource}:{ctx.target}")
        if grant is None:
            return Outcome(True, _no_grant(ctx.target, resource), sandbox=self._sandbox)
        text = f"Would remove the access of {ctx.target} to {resource}."
        return Outcome(True, text, sandbox=self._sandbox)

    async def run(self, ctx: SkillContext) -> Outcome:
        resource = ctx.slots["resource"]
        key = f"grant:{resource}:{ctx.target}"
        if await ctx.kv.get(key) is None:
            return Outcome(True, _no_grant(ctx.target, resource), sandbox=self._sandbox)
        done = await self._make(ctx).remove_from_group(ctx.target, resource)
        await ctx.kv.delete(key)
        text = f"Removed the access of {ctx.target} to {resource} ({done})."
        return Outcome(True, text, sandbox=self._sandbox)


def _no_grant(user: str, resource: str) -> str:
    return f"{user} has no access to {resource} granted through me, so there is none to remove."
