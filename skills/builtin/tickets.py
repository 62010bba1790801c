"""ticket.create / status / update / close and change.close against a `TicketSystem`.

The same classes run on the sandbox, ServiceNow or Jira; the idempotency key of a create is
the action id, so a retried or redelivered action never opens two tickets.
"""

from __future__ import annotations

from collections.abc import Callable

from chatbot.types import Outcome
from skills.api import SkillContext, SkillError, SkillSpec
from skills.ports import Ticket, TicketSystem

MakeTickets = Callable[[SkillContext], TicketSystem]


def _line(t: Ticket) -> str:
    link = f" {t.url}" if t.url else ""
    return f"{t.id} [{t.state}, {t.priority}] {t.summary}{link}"


class _TicketSkill:
    def __init__(self, spec: SkillSpec, make: MakeTickets, sandbox: bool) -> None:
        self.spec, self._make, self._sandbox = spec, make, sandbox

    def _out(self, text: str, ok: bool = True) -> Outcome:
        return Outcome(ok, text, sandbox=self._sandbox)

    async def preview(self, ctx: SkillContext) -> Outcome:
        shown = ", ".join(f"{k} {v}" for k, v in ctx.slots.items())
        return self._out(f"Would run {self.spec.name} ({shown}).")


class TicketCreate(_TicketSkill):
    async def run(self, ctx: SkillContext) -> Outcome:
        key = f"chatops-{ctx.action_id}" if ctx.action_id else f"chatops-{ctx.principal.name}"
        ticket = await self._make(ctx).create(
            ctx.principal, ctx.slots["summary"], ctx.slots.get("priority", "medium"), key
        )
        return self._out(f"Opened {_line(ticket)}.")


class TicketStatus(_TicketSkill):
    async def preview(self, ctx: SkillContext) -> Outcome:
        return await self.run(ctx)

    async def run(self, ctx: SkillContext) -> Outcome:
        system = self._make(ctx)
        wanted = ctx.slots.get("ticket")
        if wanted:
            ticket = await system.get(wanted)
            if ticket is None:
                raise SkillError(f"There is no ticket {wanted}.")
            return self._out(_line(ticket))
        mine = await system.mine(ctx.principal)
        if not mine:
            return self._out("You have no open tickets.")
        return self._out("Your open tickets:\n" + "\n".join(f"- {_line(t)}" for t in mine))


class TicketUpdate(_TicketSkill):
    async def run(self, ctx: SkillContext) -> Outcome:
        priority = ctx.slots.get("priority")
        if not priority:
            raise SkillError("Say what to change, e.g. 'set INC0012345 to high priority'.")
        ticket = await self._make(ctx).set_priority(ctx.slots["ticket"], priority)
        return self._out(f"Updated {_line(ticket)}.")


class TicketClose(_TicketSkill):
    async def run(self, ctx: SkillContext) -> Outcome:
        ticket = await self._make(ctx).close(ctx.slots["ticket"], ctx.principal)
        return self._out(f"Resolved {_line(ticket)}.")


class ChangeClose(_TicketSkill):
    async def run(self, ctx: SkillContext) -> Outcome:
        change = ctx.slots["change"]
        state = await self._make(ctx).close_change(change, ctx.principal)
        return self._out(f"Change {change} is {state}.")
