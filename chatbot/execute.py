"""The execution stage: build the skill's context and run it, turning failures into Outcomes."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

import httpx

from chatbot import logs
from chatbot.governance.authorize import Authorizer
from chatbot.progress import ProgressHub
from chatbot.store.engine import Store
from chatbot.types import Outcome, Principal
from skills.api import Progress, SkillContext, SkillError, no_progress
from skills.kv import StoreKeyValue
from skills.registry import SkillRegistry

if TYPE_CHECKING:  # set by the runtime; listings build an Executor without prometheus_client
    from chatbot.metrics import Metrics

log = logging.getLogger(__name__)


class Executor:
    def __init__(
        self,
        registry: SkillRegistry,
        store: Store,
        authorizer: Authorizer,
        http: httpx.AsyncClient,
    ) -> None:
        self.registry, self.store, self.authorizer, self.http = registry, store, authorizer, http
        self.progress = ProgressHub()
        self.metrics: Metrics | None = None  # set by the runtime: skill runs and latency

    def context(
        self,
        principal: Principal,
        skill: str,
        slots: Mapping[str, str],
        action_id: int | None = None,
        progress: Progress = no_progress,
    ) -> SkillContext:
        spec = self.registry.spec(skill)
        assert spec is not None, skill
        return SkillContext(
            principal=principal,
            slots=dict(slots),
            kv=StoreKeyValue(self.store, spec.namespace),
            http=self.http,
            progress=(
                self.progress.reporter(action_id)
                if progress is no_progress and action_id is not None
                else progress
            ),
            action_id=action_id,
            allowed=tuple(s for s in self.registry.specs() if self.authorizer.may(principal, s)),
            roles=self.authorizer.rbac.roles_of(principal),
        )

    async def run(self, ctx: SkillContext, skill: str, preview: bool = False) -> Outcome:
        """Run (or preview) a skill; a SkillError is the person's answer, anything else a bug."""
        implementation = self.registry.get(skill)
        assert implementation is not None, skill
        logs.bind(skill=skill, action_id=ctx.action_id)
        started = time.perf_counter()
        try:
            if preview:
                return await implementation.preview(ctx)
            outcome = await implementation.run(ctx)
        except SkillError as exc:
            outcome = Outcome(False, str(exc))
        except Exception:
            log.exception("skill %s failed", skill)
            outcome = Outcome(False, f"{skill} stopped with an internal error; it was logged.")
        if self.metrics is not None and not preview:
            self.metrics.skill_run(skill, outcome.ok, time.perf_counter() - started)
        return outcome
