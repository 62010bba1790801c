"""Argo CD: deploy by syncing an application to a revision, wait until it is synced and
healthy; roll back by syncing to the revision of the previous history entry.

API server (https://argo-cd.readthedocs.io/en/stable/developer-guide/api-docs/):
POST /api/v1/applications/{name}/sync {"revision": ...}, GET /api/v1/applications/{name}
(`status.operationState.phase`, `status.health.status`, `status.sync.revision`,
`status.history[]` with `id` and `revision`). Rollback uses the previous history entry's
revision through the same sync call, so the chat's "roll back" is exactly Argo CD's history.
Authorization: `Bearer` an Argo CD API token (a project role token or a local account).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from skills.api import Progress, SkillError
from skills.connectors.base import Connector
from skills.connectors.config import ConnectorSettings
from skills.ports import Pipeline

DONE = {"Succeeded"}
FAILED = {"Failed", "Error"}


class ArgoCDSettings(ConnectorSettings):
    application: str = "{service}-{env}"  # the application name, from service and env
    revision: str = "{version}"  # e.g. "v{version}" for tags named v2.3.1
    project: str = ""
    check_application: str = ""  # the application `chatops connectors check argocd` reads


class ArgoCD(Connector):
    title = "Argo CD"
    settings_model = ArgoCDSettings
    ports = (Pipeline,)
    settings: ArgoCDSettings

    @classmethod
    def headers(cls, settings: ArgoCDSettings, secrets: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {secrets.require('argocd', 'token')}"}

    def _app(self, name: str) -> str:
        return f"/api/v1/applications/{quote(name, safe='')}"

    async def trigger(
        self, inputs: Mapping[str, str], request_id: str, progress: Progress, rollback: bool
    ) -> str:
        name = self.settings.application.format(**inputs)
        app = await self.json("GET", self._app(name))
        if rollback:
            history = (app.get("status") or {}).get("history") or []
            if len(history) < 2:
                raise SkillError(f"Argo CD has no earlier deployment of {name} to roll back to.")
            previous = history[-2]
            revision = str(previous.get("revision", ""))
            await progress(f"rolling {name} back to history {previous.get('id')} ({revision})")
        else:
            revision = self.settings.revision.format(**inputs)
        body: dict[str, Any] = {"revision": revision, "prune": False, "dryRun": False}
        if self.settings.project:
            body["project"] = self.settings.project
        await self.json("POST", f"{self._app(name)}/sync", json_body=body)
        await progress(f"Argo CD is syncing {name} to {revision}")
        return await self._wait(name, revision)

    async def _wait(self, name: str, revision: str) -> str:
        url = self.url(f"/applications/{quote(name, safe='')}")
        for _ in range(self.settings.poll_limit):
            app = await self.json("GET", self._app(name))
            status = app.get("status") or {}
            op = status.get("operationState") or {}
            asked = ((op.get("operation") or {}).get("sync") or {}).get("revision")
            if asked is not None and asked != revision:  # still the previous operation
                await self._sleep(self.settings.poll_seconds)
                continue
            phase = op.get("phase", "")
            if phase in FAILED:
                raise SkillError(f"Argo CD sync of {name} {phase.lower()}: {op.get('message', '')}")
            health = (status.get("health") or {}).get("status", "")
            if phase in DONE and health == "Degraded":
                raise SkillError(f"Argo CD synced {name} but it is Degraded: {url}")
            if phase in DONE and health == "Healthy":
                return url
            await self._sleep(self.settings.poll_seconds)
        raise SkillError(f"Argo CD is still syncing {name}; it goes on: {url}")

    async def check(self) -> str:
        name = self.settings.check_application
        if not name:
            return "configured; set check_application to the application to read"
        app = await self.json("GET", self._app(name))
        status = app.get("status") or {}
        return (
            f"application {name}: sync {(status.get('sync') or {}).get('status', '?')}, "
            f"health {(status.get('health') or {}).get('status', '?')}"
        )
