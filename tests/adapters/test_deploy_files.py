"""The deployment files say what the code does: the Slack manifest's scopes, events and URLs,
a Teams app package that Teams accepts (manifest plus two PNG icons), the Kustomize base as
Kubernetes' own schemas accept it (rendered by kubectl, checked by kubernetes-validate), and a
compose file that the Compose Specification accepts and whose parts fit together."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from compose_pydantic import ComposeSpecification

from chatbot.adapters.teams import package
from chatbot.config import SlackSettings, load_settings

ROOT = Path(__file__).resolve().parents[2]
APP_ID = "11111111-2222-3333-4444-555555555555"


def test_slack_manifest_matches_the_adapter() -> None:
    manifest = yaml.safe_load((ROOT / "deploy/slack/manifest.yaml").read_text())
    settings = manifest["settings"]
    assert sorted(settings["event_subscriptions"]["bot_events"]) == [
        "app_mention",
        "message.channels",  # replies under an incident's card (chatbot/incidents/threads.py)
        "message.im",
    ]
    assert settings["interactivity"]["is_enabled"] is True
    urls = {
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
        *(c["url"] for c in manifest["features"]["slash_commands"]),
    }
    assert {u.rsplit("/", 2)[-2:] == ["slack", "events"] for u in urls} == {True}
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == [
        SlackSettings().slash_command
    ]
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(
        [
            "app_mentions:read",
            "im:history",
            "channels:history",
            "chat:write",
            "commands",
            "im:write",
            "users:read",
            "users:read.email",
            "channels:read",
            "groups:read",
        ]
    )


def test_teams_package_builds(tmp_path: Path) -> None:
    out = tmp_path / "app.zip"
    assert (
        package.main(["--app-id", APP_ID, "--dir", str(ROOT / "deploy/teams"), "--out", str(out)])
        == 0
    )
    with zipfile.ZipFile(out) as zf:
        assert sorted(zf.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(zf.read("manifest.json"))
        sizes = {n: struct.unpack(">II", zf.read(n)[16:24]) for n in ("color.png", "outline.png")}
    assert manifest["id"] == APP_ID and manifest["bots"][0]["botId"] == APP_ID
    assert sizes == {"color.png": (192, 192), "outline.png": (32, 32)}


def test_teams_package_refuses_a_missing_app_id(tmp_path: Path, capsys) -> None:
    assert package.main(["--app-id", "nope", "--out", str(tmp_path / "x.zip")]) == 2
    assert "GUID" in capsys.readouterr().err


K8S = ROOT / "deploy/kubernetes"
K8S_VERSION = "1.31.0"
SKIPPED_LOGIN = {  # paths with their own signatures or tokens: no person logs in on them
    "POST=^/slack/events$",
    "POST=^/api/messages$",
    "^/scim/v2/",
    "POST=^/hooks/",
    "^/api/skills",
    "GET=^/healthz$",
}


def _rendered() -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl missing: `apt-get install -y kubectl` (make test does it as root)")
    out = subprocess.run(
        [kubectl, "kustomize", str(K8S)], capture_output=True, text=True, check=True, timeout=60
    )
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def _by(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} rendered"
    return found[0]


def _secret_names(text: str) -> set[str]:
    """Environment variables a text documents as secrets (tokens, passwords, keys)."""
    pattern = (
        r"\b(CHATOPS_SECRET__\w+|CHATOPS_\w*(?:TOKEN|SECRET|PASSWORD)\w*|CHATOPS_DATABASE_URL"
        r"|SLACK_\w*(?:TOKEN|SECRET)|MicrosoftApp(?:Id|Password|TenantId))\b"
    )
    # A placeholder such as CHATOPS_SECRET__<NAME>__<KEY> documents the form, not a secret.
    return {name for name in re.findall(pattern, text) if not name.endswith("__")}


def test_kustomize_base_renders_and_kubernetes_accepts_it() -> None:
    docs = _rendered()
    for doc in docs:  # strict: an unknown or misspelt field fails
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    kinds = sorted((d["kind"], d["metadata"]["name"]) for d in docs)
    assert ("Deployment", "chatops-web") in kinds and ("Deployment", "chatops-worker") in kinds
    for kind in ("Service", "Ingress", "PodDisruptionBudget", "Job", "NetworkPolicy"):
        assert kind in {k for k, _ in kinds}, kind

    web = _by(docs, "Deployment", "chatops-web")["spec"]["template"]["spec"]
    worker = _by(docs, "Deployment", "chatops-worker")["spec"]["template"]["spec"]
    migrate = _by(docs, "Job", "chatops-migrate")["spec"]["template"]["spec"]
    (serve,) = web["containers"]
    assert serve["args"][0] == "serve" and serve["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert serve["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert serve["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert worker["containers"][0]["args"] == ["worker"]
    assert migrate["containers"][0]["args"] == ["migrate"]
    for pod in (web, worker, migrate):
        assert pod["securityContext"]["runAsNonRoot"] is True
        (container,) = pod["containers"]
        assert container["envFrom"] == [{"secretRef": {"name": "chatops"}}]
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        mounted = {m["name"] for m in container["volumeMounts"]}
        config = next(v for v in pod["volumes"] if v["name"] == "config")["configMap"]["name"]
        assert "config" in mounted and config.startswith("chatops-config-")  # generated, hashed

    service = _by(docs, "Service", "chatops-web")["spec"]
    labels = _by(docs, "Deployment", "chatops-web")["spec"]["template"]["metadata"]["labels"]
    assert service["selector"].items() <= labels.items()
    pdb = _by(docs, "PodDisruptionBudget", "chatops-web")["spec"]
    assert pdb["selector"]["matchLabels"].items() <= labels.items()
    ingress = _by(docs, "Ingress", "chatops")["spec"]["rules"][0]["http"]["paths"][0]
    assert ingress["backend"]["service"]["name"] == "chatops-oauth2-proxy"
    login = _by(docs, "Deployment", "chatops-oauth2-proxy")["spec"]["template"]["spec"]
    args = login["containers"][0]["args"]
    assert "--upstream=http://chatops-web:8080/" in args
    assert {a.split("=", 1)[1] for a in args if a.startswith("--skip-auth-route")} == SKIPPED_LOGIN


def test_the_kubernetes_settings_file_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHATOPS_JOBS__ENGINE", raising=False)
    settings = load_settings(K8S / "chatops.toml")
    assert settings.jobs.engine == "procrastinate" and settings.web.auth == "proxy"


def test_every_documented_secret_has_a_key_in_the_one_secret() -> None:
    example = (K8S / "secrets.env.example").read_text()
    keys = set(re.findall(r"^(?:# )?([A-Za-z_]\w*)=", example, re.MULTILINE))
    documented = _secret_names((ROOT / "README.md").read_text())
    for part in (ROOT / "chatbot/config").glob("*.py"):
        documented |= _secret_names(part.read_text())
    assert documented, "the README documents no secret: the pattern is wrong"
    assert documented - keys == set(), "add these to deploy/kubernetes/secrets.env.example"
    assert {"OAUTH2_PROXY_CLIENT_SECRET", "OAUTH2_PROXY_COOKIE_SECRET"} <= keys


def _interpolated(text: str, values: dict[str, str]) -> str:
    """What `docker compose` does with ${NAME}, ${NAME:-default} and ${NAME:?message}."""

    def one(m: re.Match[str]) -> str:
        name, op, arg = m.group(1), m.group(2), m.group(3)
        if name in values:
            return values[name]
        assert op != ":?", f"{name} is required and has no test value"
        return arg if op == ":-" else ""

    return re.sub(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}", one, text)


def test_compose_file_is_a_valid_compose_specification_whose_parts_fit() -> None:
    required = re.findall(r"\$\{(\w+):\?", (ROOT / "deploy/compose.yaml").read_text())
    example = (ROOT / "deploy/compose.env.example").read_text()
    assert set(required) <= set(re.findall(r"^(\w+)=", example, re.MULTILINE))
    text = _interpolated((ROOT / "deploy/compose.yaml").read_text(), {n: "x" for n in required})
    data = yaml.safe_load(text)
    # Extension fields (x-...) are Compose's own anchors; the generated model lacks them.
    spec = ComposeSpecification.model_validate(
        {k: v for k, v in data.items() if not k.startswith("x-")}
    )
    services = data["services"]
    assert set(services) == {"db", "migrate", "web-1", "web-2", "worker", "lb", "login"}
    published = {name for name, s in services.items() if s.get("ports")}
    assert published == {"login"}, "only the login may be reachable from outside"
    for name, service in services.items():
        for needed in service.get("depends_on", {}):
            assert needed in services, f"{name} depends on unknown {needed}"
    webs = [services[n] for n in ("web-1", "web-2")]
    for web in webs:
        assert web["command"][0] == "serve"
        assert web["environment"]["CHATOPS_WEB__AUTH"] == "proxy"
        assert web["environment"]["CHATOPS_WEB__SHARED_SECRET"] == "x"
        assert web["environment"]["CHATOPS_JOBS__ENGINE"] == "procrastinate"
        assert "postgresql://" in web["environment"]["CHATOPS_DATABASE_URL"]
    assert services["worker"]["command"] == ["worker"]
    assert services["migrate"]["command"] == ["migrate"]
    assert services["worker"]["environment"] == webs[0]["environment"]
    assert spec.services is not None and spec.services["db"].healthcheck is not None

    login = services["login"]["command"]
    assert "--upstream=http://lb:8080/" in login and "--provider=oidc" in login
    assert {a.split("=", 1)[1] for a in login if a.startswith("--skip-auth-route")} == (
        SKIPPED_LOGIN
    )
    nginx = (ROOT / "deploy/compose/nginx.conf.template").read_text()
    upstreams = set(re.findall(r"server (\S+):8080", nginx))
    assert upstreams == {"web-1", "web-2"}
    assert 'proxy_set_header X-Chatops-Proxy-Secret "${CHATOPS_WEB__SHARED_SECRET}";' in nginx
    assert "CHATOPS_WEB__SHARED_SECRET" in services["lb"]["environment"]


def test_dockerfile_builds_a_small_non_root_image() -> None:
    lines = (ROOT / "deploy/Dockerfile").read_text().splitlines()
    stages = [line for line in lines if line.startswith("FROM ")]
    assert len(stages) == 2 and all("-slim" in s for s in stages), "build stage + slim runtime"
    final = lines[lines.index(stages[-1]) :]
    users = [line.split()[1] for line in final if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in {"0", "root"}
    assert any(line.startswith("COPY --from=build") for line in final)
    assert not any("pip install" in line for line in final), "no build tools in the runtime"
