"""vpn.reset on a sandbox VPN: sessions per person kept in the skill's store.

The sandbox starts each person with the sessions a typical employee has (laptop and phone),
so the demo shows a real change: a reset ends them, a second reset finds none.
"""

from __future__ import annotations

from chatbot.types import Outcome
from skills.api import SkillContext
from skills.builtin.catalog import VPN_RESET

_STARTING_SESSIONS = ("laptop", "phone")


class SandboxVpnReset:
    spec = VPN_RESET

    async def _sessions(self, ctx: SkillContext) -> list[str]:
        return list(await ctx.kv.get(f"sessions:{ctx.target}", list(_STARTING_SESSIONS)))

    async def preview(self, ctx: SkillContext) -> Outcome:
        sessions = await self._sessions(ctx)
        what = ", ".join(sessions) or "no open sessions"
        return Outcome(True, f"Would end {ctx.target}'s VPN sessions ({what}).", sandbox=True)

    async def run(self, ctx: SkillContext) -> Outcome:
        sessions = await self._sessions(ctx)
        await ctx.kv.put(f"sessions:{ctx.target}", [])
        resets = int(await ctx.kv.get(f"resets:{ctx.target}", 0)) + 1
        await ctx.kv.put(f"resets:{ctx.target}", resets)
        if sessions:
            ended = f"ended {len(sessions)} session(s): {', '.join(sessions)}"
        else:
            ended = "there were no open sessions"
        summary = f"VPN reset for {ctx.target}: {ended}. The next login starts a fresh session."
        return Outcome(True, summary, {"ended": str(len(sessions))}, sandbox=True)
