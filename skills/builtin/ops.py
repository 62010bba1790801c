"""service.restart, deploy/rollback on a real pipeline, kb.search, oncall.who and handoff.

Each is written against one port (skills.ports); which system stands behind it is settings.
Real deploys keep the version history in the skill's store, so a rollback knows what ran
before even when the CI system does not.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from chatbot.types import Outcome, utcnow
from skills.api import SkillContext, SkillError, SkillSpec
from skills.ports import Desk, KnowledgeBase, OnCall, Orchestrator, Pipeline


class _Ported:
    def __init__(self, spec: SkillSpec, make: Callable[[SkillContext], Any], sandbox: bool) -> None:
        self.spec, self._make, self._sandbox = spec, make, sandbox

    def _out(self, text: str, ok: bool = True) -> Outcome:
        return Outcome(ok, text, sandbox=self._sandbox)


class ServiceRestart(_Ported):
    async def preview(self, ctx: SkillContext) -> Outcome:
        return self._out(f"Would restart {ctx.slots['service']} in {ctx.slots['env']} (rolling).")

    async def run(self, ctx: SkillContext) -> Outcome:
        service, env = ctx.slots["service"], ctx.slots["env"]
        orchestrator: Orchestrator = self._make(ctx)
        done = await orchestrator.restart(service, env, ctx.progress)
        return self._out(f"Restarted {service} in {env}: {done}.")


class KbSearch(_Ported):
    async def preview(self, ctx: SkillContext) -> Outcome:
        return await self.run(ctx)

    async def run(self, ctx: SkillContext) -> Outcome:
        kb: KnowledgeBase = self._make(ctx)
        found = await kb.search(ctx.slots["query"])
        if not found:
            return self._out(f"No article matches {ctx.slots['query']!r}.")
        lines = [f"- {a.id}: {a.title}{' ' + a.url if a.url else ''}" for a in found]
        return self._out("Articles:\n" + "\n".join(lines))


class OncallWho(_Ported):
    async def preview(self, ctx: SkillContext) -> Outcome:
        return await self.run(ctx)

    async def run(self, ctx: SkillContext) -> Outcome:
        source: OnCall = self._make(ctx)
        service = ctx.slots.get("service")
        people = await source.who(service)
        where = f" for {service}" if service else ""
        if not people:
            return self._out(f"Nobody is on call{where} right now.")
        return self._out(f"On call{where}: {', '.join(people)}.")


class Handoff(_Ported):
    async def preview(self, ctx: SkillContext) -> Outcome:
        return self._out("Would bring a person from the service desk in.")

    async def run(self, ctx: SkillContext) -> Outcome:
        desk: Desk = self._make(ctx)
        # One key per handoff: a retry of this action repeats it, a new request does not.
        key = f"handoff-{ctx.action_id}" if ctx.action_id else f"handoff-{uuid.uuid4().hex}"
        done = await desk.handoff(ctx.principal, ctx.slots.get("note", "asked for a person"), key)
        return self._out(f"I asked the service desk to join: {done}.")


def _key(service: str, env: str) -> str:
    return f"deployed:{service}:{env}"


class PipelineDeploy(_Ported):
    """deploy (and, with rollback=True, deploy.rollback) through a CI/CD pipeline."""

    def __init__(
        self, spec: SkillSpec, make: Callable[[SkillContext], Any], rollback: bool
    ) -> None:
        super().__init__(spec, make, sandbox=False)
        self.rollback = rollback

    async def _version(self, ctx: SkillContext) -> tuple[dict[str, Any] | None, str]:
        now = await ctx.kv.get(_key(ctx.slots["service"], ctx.slots["env"]))
        if not self.rollback:
            return now, ctx.slots["version"]
        if not now or not now.get("history"):
            service, env = ctx.slots["service"], ctx.slots["env"]
            raise SkillError(f"{service} has no earlier deploy in {env} to roll back to.")
        return now, now["history"][-1]

    async def preview(self, ctx: SkillContext) -> Outcome:
        _, version = await self._version(ctx)
        verb = "roll back" if self.rollback else "deploy"
        return self._out(f"Would {verb} {ctx.slots['service']} to {version} in {ctx.slots['env']}.")

    async def run(self, ctx: SkillContext) -> Outcome:
        service, env = ctx.slots["service"], ctx.slots["env"]
        before, version = await self._version(ctx)
        pipeline: Pipeline = self._make(ctx)
        request_id = f"chatops-{ctx.action_id or utcnow().timestamp():.0f}"
        await ctx.progress(f"step 1 of 2: starting the pipeline for {service} {version} in {env}")
        url = await pipeline.trigger(
            {"service": service, "version": version, "env": env},
            request_id,
            ctx.progress,
            self.rollback,
        )
        history = list((before or {}).get("history", []))
        if self.rollback:
            history = history[:-1]
        elif before:
            history.append(before["version"])
        await ctx.kv.put(
            _key(service, env),
            {
                "version": version,
                "history": history[-10:],
                "by": ctx.principal.name,
                "at": utcnow().isoformat(timespec="seconds"),
            },
        )
        verb = "Rolled back" if self.rollback else "Deployed"
        return self._out(f"{verb} {service} to {version} in {env}: {url}")
