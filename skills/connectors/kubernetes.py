"""Kubernetes: a rolling restart the way `kubectl rollout restart` does it, then
`kubectl rollout status`'s reading of the result.

PATCH /apis/apps/v1/namespaces/{ns}/deployments/{name} (`application/strategic-merge-patch+json`)
sets the pod template annotation `kubectl.kubernetes.io/restartedAt`; then GET the deployment
until the rollout is complete, or failed with `ProgressDeadlineExceeded`.

Where the cluster is and how to trust it comes from the official async client's loaders
(kubernetes_asyncio.config), so every form kubectl understands works:

    auth = "token"       base_url + CHATOPS_SECRET__KUBERNETES__TOKEN (+ ca_file)
    auth = "kubeconfig"  kubeconfig file and context: CA data, client certificates, exec
                         plugins (EKS, GKE, AKS), OIDC
    auth = "in-cluster"  the pod's service account: its CA, and the bound token re-read from
                         its file for every action (they expire; the kubelet rotates them)

The requests themselves go through the shared connector base (retries, ConnectorError, the
base_url guard and the contract tests), on a client that trusts exactly that CA.
"""

from __future__ import annotations

import contextlib
import json
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from pydantic import Field

from chatbot.errors import ConfigError
from chatbot.types import utcnow
from skills.api import Progress, SkillError
from skills.connectors.base import Connector
from skills.connectors.config import ConnectorSettings
from skills.ports import Orchestrator

PATCH_TYPE = "application/strategic-merge-patch+json"


class KubernetesSettings(ConnectorSettings):
    base_url: str = ""  # from the kubeconfig or the pod's environment when not "token"
    auth: Literal["token", "kubeconfig", "in-cluster"] = "token"
    kubeconfig: str = ""  # default ~/.kube/config (or $KUBECONFIG)
    context: str = ""
    ca_file: str = ""  # "token": the cluster's CA bundle
    service_account_dir: str = "/var/run/secrets/kubernetes.io/serviceaccount"  # in-cluster
    namespaces: dict[str, str] = Field(default_factory=dict)  # env -> namespace
    deployments: dict[str, str] = Field(default_factory=dict)  # service -> deployment name
    verify: bool = True


@dataclass(frozen=True)
class Cluster:
    url: str
    authorization: str
    verify: ssl.SSLContext | bool
    own_client: bool


async def cluster(settings: KubernetesSettings, token: str) -> Cluster:
    """Where the API server is, how to authenticate, and which CA to trust, for one action."""
    if settings.auth == "token":
        verify: ssl.SSLContext | bool = settings.verify
        if settings.ca_file and settings.verify:
            verify = ssl.create_default_context(cafile=settings.ca_file)
        own = bool(settings.ca_file) or not settings.verify
        return Cluster(settings.base_url, f"Bearer {token}", verify, own)
    from kubernetes_asyncio import client, config  # the official loaders, only when needed

    cfg = client.Configuration()
    try:
        if settings.auth == "in-cluster":
            folder = Path(settings.service_account_dir)
            config.load_incluster_config(
                client_configuration=cfg,
                token_filename=str(folder / "token"),
                cert_filename=str(folder / "ca.crt"),
            )
        else:
            await config.load_kube_config(
                config_file=settings.kubeconfig or None,
                context=settings.context or None,
                client_configuration=cfg,
                persist_config=False,
            )
    except (config.ConfigException, OSError) as exc:
        raise ConfigError(
            "settings", f"connectors.kubernetes.auth={settings.auth}", str(exc)
        ) from None
    bearer = str(await cfg.get_api_key_with_prefix("BearerToken") or "").strip()
    verify = False
    if cfg.verify_ssl and settings.verify:
        verify = ssl.create_default_context(cafile=cfg.ssl_ca_cert or None)
        if cfg.cert_file:
            verify.load_cert_chain(cfg.cert_file, cfg.key_file)
    if not cfg.host:
        raise ConfigError(
            "settings", f"connectors.kubernetes.auth={settings.auth}", "no API server address"
        )
    return Cluster(cfg.host, bearer, verify, True)


def rollout(state: dict[str, Any], generation: int) -> tuple[bool, str]:
    """(done, why not) as `kubectl rollout status` decides; raises when the rollout failed."""
    spec, status = state.get("spec") or {}, state.get("status") or {}
    for cond in status.get("conditions") or []:
        if cond.get("type") == "Progressing" and cond.get("reason") == "ProgressDeadlineExceeded":
            raise SkillError(
                f"the rollout failed: ProgressDeadlineExceeded ({cond.get('message', '')}). "
                "Look at the new pods' events; roll back if they do not start."
            )
    if int(status.get("observedGeneration") or 0) < generation:
        return False, "waiting for the deployment spec update to be observed"
    want = int(spec.get("replicas", 1))
    updated = int(status.get("updatedReplicas") or 0)
    if updated < want:
        return False, f"{updated} of {want} new replicas have been updated"
    if int(status.get("replicas") or 0) > updated:
        return False, "old replicas are pending termination"
    if int(status.get("availableReplicas") or 0) < updated:
        return (
            False,
            f"{status.get('availableReplicas') or 0} of {updated} updated replicas are available",
        )
    return True, ""


class Kubernetes(Connector):
    title = "Kubernetes"
    settings_model = KubernetesSettings
    ports = (Orchestrator,)
    settings: KubernetesSettings

    @classmethod
    def credentials(cls, settings: KubernetesSettings, secrets: Any) -> dict[str, str]:
        if settings.auth == "token":
            if not settings.base_url:
                raise ConfigError(
                    "settings", "connectors.kubernetes.base_url", "needed with auth = token"
                )
            return {"token": secrets.require("kubernetes", "token")}
        return {}

    @contextlib.asynccontextmanager
    async def _connected(self) -> AsyncIterator[dict[str, str]]:
        """The cluster for one action: its URL, fresh credentials, and a client trusting its CA."""
        found = await cluster(self.settings, self.endpoint.credentials.get("token", ""))
        shared, base = self.http, self.endpoint
        if found.url.rstrip("/") != base.base_url.rstrip("/"):
            self.endpoint = replace(base, base_url=found.url)
        if not found.own_client:
            yield {"Authorization": found.authorization}
            return
        import httpx  # here: `chatops skills list` imports this module without it

        async with httpx.AsyncClient(verify=found.verify) as own:
            self.http = own
            try:
                yield {"Authorization": found.authorization}
            finally:
                self.http, self.endpoint = shared, base

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
        async with self._connected() as auth:
            # Setting the same annotation twice restarts once, so a retry is safe.
            deployed = await self.json(
                "PATCH",
                path,
                content=json.dumps(patch).encode(),
                headers={"Content-Type": PATCH_TYPE, **auth},
                idempotent=True,
            )
            generation = int(deployed.get("metadata", {}).get("generation", 0))
            await progress(f"step 1 of 2: rollout of {service} in {env} started")
            why = ""
            for _ in range(self.settings.poll_limit):
                state = await self.json("GET", path, headers=auth)
                try:
                    done, why = rollout(state, generation)
                except SkillError as failed:
                    raise SkillError(f"Kubernetes: {service} in {env}: {failed}") from None
                if done:
                    await progress("step 2 of 2: rollout finished")
                    return f"{int((state.get('spec') or {}).get('replicas', 1))} pod(s) replaced"
                await self._sleep(self.settings.poll_seconds)
        raise SkillError(f"Kubernetes is still rolling out {service} in {env} ({why}); it goes on.")

    async def check(self) -> str:
        env, ns = next(iter(self.settings.namespaces.items()), ("default", "default"))
        service = next(iter(self.settings.deployments), "")
        if not service:
            return "configured; name a deployment under [connectors.kubernetes.deployments]"
        async with self._connected() as auth:
            state = await self.json("GET", self._path(service, env), headers=auth)
        done, why = rollout(state, 0)
        status = "rolled out" if done else why
        return f"deployment {service} in namespace {ns}: {status}"
