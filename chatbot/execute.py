"""The execution stage: build the skill's context and run it, turning failures into Outcomes."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from chatbot import logs
from chatbot.governance.authorize import Authorizer
from chatbot.progress import ProgressHub
from chatbot.store.engine import Store
from chatbot.types import Outcome, Principal
from skills.api import Progress, SkillContext, SkillError, no_progress
from skills.kv import StoreKeyValue
from skills.registry import SkillRegistry

if TYPE_CHECKING:  # listings build an Executor without httpx and without prometheus_client
    import httpx

    from chatbot.metrics import Metrics

log = logging.getLogger(__name__)


class Executor:
    """Runs skills with the shared HTTP client: either the runtime's (`http`, whose owner
    closes it) or one made by `make_http` on first use and closed by `close()`. A listing's
    desk passes a factory: it never runs a skill, so it never pays for importing httpx."""

    def __init__(
        self,
        registry: SkillRegistry,
        store: Store,
        authorizer: Authorizer,
        http: httpx.AsyncClient | None = None,
        *,
        make_http: Callable[[], httpx.AsyncClient] | None = None,
    ) -> None:
        if (http is None) == (make_http is None):
            raise TypeError("Executor needs exactly one of http and make_http")
        self.registry, self.store, self.authorizer = registry, store, authorizer
        self._http, self._make_http = http, make_http
        self._made: httpx.AsyncClient | None = None  # the client make_http built, ours to close
        self.progress = ProgressHub()
        self.metrics: Metrics | None = None  # set by the runtime: skill runs and latency

    @property
    def http(self) -> httpx.AsyncClient:
        """The client skills and connectors call through (`ctx.http`); made on first use."""
        if self._http is None:
            assert self._make_http is not None
            self._http = self._made = self._make_http()
        return self._http

    async def close(self) -> None:
        """Close the client this Executor made, if it made one; a client passed in belongs to
        whoever passed it."""
        made, self._made = self._made, None
        if made is not None:
            self._http = None
            await made.aclose()

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
