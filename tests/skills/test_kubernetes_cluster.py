"""Kubernetes: a cluster with its own CA through kubeconfig (CA data, exec plugin), in-cluster
service accounts whose token rotates, the verify setting, and ProgressDeadlineExceeded."""

from __future__ import annotations

import base64
import json
import stat
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from skills.api import SkillError
from skills.connectors.errors import ConnectorError
from tests.fakes.kube_api import KubeAPI
from tests.skills.skill_fakes import Exchange, FakeSystem, built

DEPLOYMENT = "/apis/apps/v1/namespaces/shop-staging/deployments/billing"


async def _nothing(text: str) -> None:
    return None


def _kubeconfig(api: KubeAPI, folder: Path, user: dict[str, object]) -> Path:
    ca = base64.b64encode(api.ca_file.read_bytes()).decode()
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "c", "cluster": {"server": api.url, "certificate-authority-data": ca}}
        ],
        "users": [{"name": "u", "user": user}],
        "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "ctx",
    }
    path = folder / "kubeconfig"
    path.write_text(yaml.safe_dump(doc))
    return path


async def test_kubeconfig_with_the_clusters_own_ca_and_an_exec_plugin(tmp_path: Path) -> None:
    plugin = tmp_path / "get-token"
    credential = {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "kind": "ExecCredential",
        "status": {"token": "exec-token-1"},
    }
    plugin.write_text(f"#!{sys.executable}\nprint({json.dumps(json.dumps(credential))})\n")
    plugin.chmod(plugin.stat().st_mode | stat.S_IEXEC)
    exec_user = {
        "exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": str(plugin)}
    }
    async with KubeAPI(tmp_path).running() as api:
        path = _kubeconfig(api, tmp_path, exec_user)
        kube = built("kubernetes", auth="kubeconfig", kubeconfig=str(path), base_url="")
        done = await kube.restart("billing", "staging", _nothing)
    assert done == "2 pod(s) replaced"
    assert set(api.tokens) == {"Bearer exec-token-1"}


async def test_a_cluster_ca_not_trusted_fails_tls_and_says_so(tmp_path: Path) -> None:
    async with KubeAPI(tmp_path).running() as api:
        kube = built("kubernetes", base_url=api.url, attempts=1)  # token, no ca_file
        kube.http = httpx.AsyncClient()  # the shared client: the system's CAs only
        with pytest.raises(ConnectorError) as failed:
            await kube.restart("billing", "staging", _nothing)
        assert failed.value.status is None and "Could not reach Kubernetes" in str(failed.value)
        trusted = built("kubernetes", base_url=api.url, ca_file=str(api.ca_file))
        assert await trusted.restart("billing", "staging", _nothing) == "2 pod(s) replaced"
        unverified = built("kubernetes", base_url=api.url, verify=False)
        assert await unverified.restart("billing", "staging", _nothing) == "2 pod(s) replaced"


async def test_in_cluster_token_is_read_again_for_each_action(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = tmp_path / "sa"
    account.mkdir()
    async with KubeAPI(tmp_path).running() as api:
        (account / "ca.crt").write_bytes(api.ca_file.read_bytes())
        (account / "token").write_text("bound-token-1\n")
        host, port = api.url.removeprefix("https://").split(":")
        monkeypatch.setenv("KUBERNETES_SERVICE_HOST", host)
        monkeypatch.setenv("KUBERNETES_SERVICE_PORT", port)
        settings = {"auth": "in-cluster", "service_account_dir": str(account), "base_url": ""}
        await built("kubernetes", **settings).restart("billing", "staging", _nothing)
        (account / "token").write_text("bound-token-2\n")  # the kubelet rotated it
        await built("kubernetes", **settings).restart("billing", "staging", _nothing)
    assert api.tokens[0] == "Bearer bound-token-1" and api.tokens[-1] == "Bearer bound-token-2"


async def test_progress_deadline_exceeded_fails_at_once_with_the_reason() -> None:
    stuck = {
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "billing"}}, "template": {}},
        "status": {
            "observedGeneration": 5,
            "replicas": 4,
            "updatedReplicas": 1,
            "availableReplicas": 3,
            "conditions": [
                {
                    "type": "Progressing",
                    "status": "False",
                    "reason": "ProgressDeadlineExceeded",
                    "message": 'ReplicaSet "billing-7d9" has timed out progressing.',
                }
            ],
        },
    }
    k8s = FakeSystem(
        "k8s.example.com",
        [
            Exchange("PATCH", DEPLOYMENT, 200, {"metadata": {"generation": 5}}),
            Exchange("GET", DEPLOYMENT, 200, stuck),
        ],
    )
    with pytest.raises(SkillError, match="ProgressDeadlineExceeded") as failed:
        await built("kubernetes", k8s).restart("billing", "staging", _nothing)
    assert "has timed out progressing" in str(failed.value)
    k8s.done()  # one look was enough: no ten minutes of "still rolling out"
