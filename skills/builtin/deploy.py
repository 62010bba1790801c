"""deploy, deploy.rollback and deploy.status on a sandbox: versions per service and env.

The state is real (in the database), so "what is deployed" after a deploy shows the change,
and a rollback returns to the version before.
"""

from __future__ import annotations

from typing import Any

from chatbot.types import Outcome, utcnow
from skills.api import SkillContext, SkillError
from skills.builtin.catalog import DEPLOY, DEPLOY_ROLLBACK, DEPLOY_STATUS


def _key(service: str, env: str) -> str:
    return f"deployed:{service}:{env}"


class SandboxDeploy:
    spec = DEPLOY

    async def preview(self, ctx: SkillContext) -> Outcome:
        service, version, env = ctx.slots["service"], ctx.slots["version"], ctx.slots["env"]
        now = await ctx.kv.get(_key(service, env))
        current = f" (now {now['version']})" if now else " (nothing deployed yet)"
        return Outcome(True, f"Would deploy {service} {version} to {env}{current}.", sandbox=True)

    async def run(self, ctx: SkillContext) -> Outcome:
        service, version, env = ctx.slots["service"], ctx.slots["version"], ctx.slots["env"]
        before: dict[str, Any] | None = await ctx.kv.get(_key(service, env))
        if before and before["version"] == version:
            raise SkillError(f"{service} {version} is already running in {env}; nothing to do.")
        await ctx.progress(f"step 1 of 2: rolling out {service} {version} to {env}")
        history = [*((before or {}).get("history", [])), *([before["version"]] if before else [])]
        await ctx.kv.put(
            _key(service, env),
            {
                "version": version,
                "history": history[-10:],
                "by": ctx.principal.name,
                "at": utcnow().isoformat(timespec="seconds"),
            },
        )
        await ctx.progress("step 2 of 2: rollout finished")
        was = f" (was {before['version']})" if before else ""
        return Outcome(True, f"Deployed {service} {version} to {env}{was}.", sandbox=True)


class SandboxRollback:
    spec = DEPLOY_ROLLBACK

    async def _target(self, ctx: SkillContext) -> tuple[dict[str, Any], str]:
        service, env = ctx.slots["service"], ctx.slots["env"]
        now = await ctx.kv.get(_key(service, env))
        if not now or not now.get("history"):
            raise SkillError(f"{service} has no earlier deploy in {env} to roll back to.")
        return now, now["history"][-1]

    async def preview(self, ctx: SkillContext) -> Outcome:
        now, previous = await self._target(ctx)
        service, env = ctx.slots["service"], ctx.slots["env"]
        text = f"Would roll {service} in {env} back from {now['version']} to {previous}."
        return Outcome(True, text, sandbox=True)

    async def run(self, ctx: SkillContext) -> Outcome:
        now, previous = await self._target(ctx)
        service, env = ctx.slots["service"], ctx.slots["env"]
        await ctx.kv.put(
            _key(service, env),
            {
                "version": previous,
                "history": now["history"][:-1],
                "by": ctx.principal.name,
                "at": utcnow().isoformat(timespec="seconds"),
            },
        )
        text = f"Rolled {service} in {env} back from {now['version']} to {previous}."
        return Outcome(True, text, sandbox=True)


class SandboxDeployStatus:
    spec = DEPLOY_STATUS

    async def preview(self, ctx: SkillContext) -> Outcome:
        return await self.run(ctx)

    async def run(self, ctx: SkillContext) -> Outcome:
        rows = []
        for key, value in (await ctx.kv.items("deployed:")).items():
            _, service, env = key.split(":", 2)
            if ctx.slots.get("service", service) == service and ctx.slots.get("env", env) == env:
                rows.append(f"{service} {value['version']} in {env} (by {value['by']})")
        if not rows:
            return Outcome(True, "Nothing matching is deployed yet.", sandbox=True)
        return Outcome(True, "Deployed: " + "; ".join(rows) + ".", sandbox=True)
