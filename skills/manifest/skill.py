"""A manifest turned into a skill: its steps are HTTP requests; a failed step rolls back.

    step 1 ── ok ──> step 2 ── fails ──> rollback step (if declared) ──> SkillError naming both

Requests go only to hosts in `skills.allowed_hosts` (checked when the manifest is added and
again before each request, since settings can change), or to a configured connector, whose
base URL and credentials come from the settings, never from the manifest.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from chatbot.governance.redaction import REDACTED, redact
from chatbot.types import Outcome
from skills.api import SkillContext, SkillError, SkillSpec, SlotSpec
from skills.connectors.base import Connector, Endpoint, RetryPolicy, Sleep
from skills.manifest import template
from skills.manifest.load import Manifest
from skills.manifest.model import StepModel

if TYPE_CHECKING:  # annotations only: `chatops skills list` never imports httpx
    import httpx

ConnectorMaker = Callable[["httpx.AsyncClient"], Connector]


def spec_of(manifest: Manifest) -> SkillSpec:
    m = manifest.model
    return SkillSpec(
        name=m.name,
        description=m.description,
        title=m.title,
        confirmation=m.confirmation,
        examples=m.examples,
        keywords=m.keywords,
        patterns=m.patterns,
        slots=tuple(SlotSpec(s.name, s.type, s.required, s.default, s.prompt) for s in m.slots),
        side_effect=m.side_effect,
        risk=m.risk,
        permission=m.permission or m.name,
        requires=m.requires,
        namespace=f"manifest:{m.name}",
    )


class ManifestSkill:
    def __init__(
        self,
        manifest: Manifest,
        allowed_hosts: Iterable[str] = (),
        connectors: Mapping[str, ConnectorMaker] | None = None,
        sleep: Sleep = asyncio.sleep,
        version: int = 0,
    ) -> None:
        self.manifest, self.version = manifest, version
        self.spec = spec_of(manifest)
        self._hosts = {h.lower() for h in allowed_hosts}
        self._connectors = dict(connectors or {})
        self._sleep = sleep

    def _values(self, ctx: SkillContext) -> dict[str, Any]:
        person = ctx.principal
        return {
            **ctx.slots,
            "requester": {"name": person.name, "email": person.email},
            "action_id": str(ctx.action_id or 0),
            "secret": dict(ctx.secrets),
            "steps": {},
        }

    def _connector(self, step: StepModel, ctx: SkillContext) -> tuple[Connector, str]:
        if step.connector is not None:
            make = self._connectors.get(step.connector)
            if make is None:
                raise SkillError(f"the connector {step.connector!r} is not configured here")
            return make(ctx.http), ""
        assert step.url is not None
        parts = urlsplit(step.url)
        host = (parts.hostname or "").lower()
        if host not in self._hosts:
            raise SkillError(f"{host} is not an allowed host (skills.allowed_hosts); nothing sent")
        origin = f"{parts.scheme}://{parts.netloc}"
        endpoint = Endpoint(host, origin)
        return Connector(ctx.http, endpoint, RetryPolicy(), self._sleep), step.url[len(origin) :]

    async def _send(self, step: StepModel, values: Mapping[str, Any], ctx: SkillContext) -> Any:
        connector, path = self._connector(step, ctx)
        response = await connector.request(
            step.method,
            template.render_path(step.path or path or "/", values),
            params={k: template.render_text(v, values) for k, v in step.query.items()} or None,
            headers={k: template.render_header(k, v, values) for k, v in step.headers.items()},
            json_body=None if step.body is None else template.render_json(step.body, values),
        )
        if step.expect and response.status_code not in step.expect:
            raise SkillError(
                f"{connector.system} answered {response.status_code}, not {step.expect}"
            )
        try:
            return response.json() if response.content else {"status": response.status_code}
        except ValueError:
            # Redacted before it is cut, so half a token never survives into a reply.
            return {"status": response.status_code, "text": redact(response.text)[:500]}

    def _clean(self, text: str, ctx: SkillContext) -> str:
        for secret in ctx.secrets.values():
            if len(secret) >= 8:  # shorter strings are not real credentials, only noise
                text = text.replace(secret, REDACTED)
        return text

    async def preview(self, ctx: SkillContext) -> Outcome:
        values = self._values(ctx)
        lines = []
        for step in self.manifest.model.all_steps():
            where = step.url or step.path or "/"
            # A value from an earlier step's answer is known only when running.
            with contextlib.suppress(SkillError):
                where = template.render_path(where, values)
            lines.append(f"{step.method} {where if step.url else f'{step.connector}:{where}'}")
        return Outcome(True, self._clean("Would send: " + "; ".join(lines), ctx))

    async def run(self, ctx: SkillContext) -> Outcome:
        values = self._values(ctx)
        steps = self.manifest.model.all_steps()
        for number, step in enumerate(steps, 1):
            if len(steps) > 1:
                await ctx.progress(f"step {number} of {len(steps)}: {step.name}")
            try:
                values["steps"][step.name] = await self._send(step, values, ctx)
            except SkillError as exc:
                raise SkillError(
                    self._clean(await self._failed(step, number, exc, values, ctx), ctx)
                ) from None
        return Outcome(
            True, self._clean(template.render_text(self.manifest.model.reply, values), ctx)
        )

    async def _failed(
        self,
        step: StepModel,
        number: int,
        exc: SkillError,
        values: Mapping[str, Any],
        ctx: SkillContext,
    ) -> str:
        text = f"step {step.name} failed: {exc}"
        rollback = self.manifest.model.rollback
        if rollback is None or number == 1:
            return text
        try:
            await self._send(rollback, values, ctx)
        except SkillError as again:
            return f"{text} The rollback ({rollback.name}) failed too: {again}"
        return f"{text} Earlier steps were rolled back ({rollback.name})."
