"""Kubernetes: a rolling restart the way `kubectl rollout restart` does it.

PATCH /apis/apps/v1/namespaces/{ns}/deployments/{name} with content type
`application/strategic-merge-patch+json`, setting the pod template annotation
`kubectl.kubernetes.io/restartedAt`; then GET the deployment until the rollout is complete
(observedGeneration caught up, every replica updated and available).
"""

from __future__ import annotations

import json
from urllib.parse import quote

from pydantic import Field

from chatbot.types import utcnow
from skills.api import Progress, SkillError
from skills.connectors.base import Connector
from skills.connectors.config import ConnectorSettings

PATCH_TYPE = "application/strategic-merge-patch+json"


class KubernetesSettings(ConnectorSettings):
    namespaces: dict[str, str] = Field(default_factory=dict)  # env -> namespace
    deployments: dict[str, str] = Field(default_factory=dict)  # service -> deployment name
    verify: bool = True


class Kubernetes(Connector):
    settings: KubernetesSettings

    def _path(self, service: str, env: str) -> str:
        ns = self.settings.namespaces.get(env, env)
        name = self.settings.deployments.get(service, service)
        return f"/apis/apps/v1/namespaces/{quote(ns, safe='')}/deployments/{quote(name, safe='')}"

    async def restart(self, service: str, env: str, progress: Progress) -> str:
        stamp = utcnow().isoformat(timespec="seconds")
        patch = {
            "spec": {
                "template": {
                    "metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": stamp}}
                }
            }
        }
        path = self._path(service, env)
        # Setting the same annotation twice restarts once, so a retry is safe.
        deployed = await self.json(
            "PATCH",
            path,
            content=json.dumps(patch).encode(),
            headers={"Content-Type": PATCH_TYPE},
            idempotent=True,
        )
        generation = int(deployed.get("metadata", {}).get("generation", 0))
        await progress(f"step 1 of 2: rollout of {service} in {env} started")
        for _ in range(self.settings.poll_limit):
            state = await self.json("GET", path)
            spec, status = state.get("spec", {}), state.get("status", {})
            want = int(spec.get("replicas", 1))
            done = (
                int(status.get("observedGeneration", 0)) >= generation
                and int(status.get("updatedReplicas", 0)) >= want
                and int(status.get("availableReplicas", 0)) >= want
                and int(status.get("replicas", 0)) <= want
            )
            if done:
                await progress("step 2 of 2: rollout finished")
                return f"{want} pod(s) replaced"
            await self._sleep(self.settings.poll_seconds)
        raise SkillError(f"Kubernetes is still rolling out {service} in {env}; it goes on.")
