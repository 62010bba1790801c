"""The `chatops skills` commands through the installed command, and back-end configuration."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chatbot.errors import ConfigError
from skills.builtin import builtin_skills
from skills.connectors.secrets import load_secrets

EXAMPLE = Path(__file__).parents[2] / "deploy" / "examples" / "cache-flush.toml"


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    chatops = Path(sys.executable).with_name("chatops")
    config = tmp_path / "chatops.toml"
    if not config.exists():
        config.write_text('[skills]\nallowed_hosts = ["cdn.example.com"]\n')
    env = {
        **os.environ,
        "CHATOPS_DATA_DIR": str(tmp_path / "data"),
        "CHATOPS_SECRET__CACHE_FLUSH__API_TOKEN": "cdn-test-token",
    }
    return subprocess.run(
        [str(chatops), "--config", str(config), "skills", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
    )


def test_skills_commands_through_the_installed_command(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(EXAMPLE.read_text().replace('risk = "low"', 'risk = "tiny"'))
    refused = _run(tmp_path, "add", str(bad), "--as", "dave")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert f"{bad}:20: risk: Input should be" in refused.stderr
    assert "cache.flush" not in _run(tmp_path, "list").stdout  # nothing changed

    added = _run(tmp_path, "add", str(EXAMPLE), "--as", "dave")
    assert added.returncode == 0, added.stderr
    assert "Skill cache.flush added (version 1)" in added.stdout
    shown = _run(tmp_path, "show", "cache.flush")
    assert "slot service: service, required" in shown.stdout
    assert "manifest versions: 1" in shown.stdout

    assert _run(tmp_path, "disable", "kb.search", "--as", "dave").returncode == 0
    assert "[disabled]" in next(
        line for line in _run(tmp_path, "list").stdout.splitlines() if line.startswith("kb.search")
    )
    assert _run(tmp_path, "enable", "kb.search", "--as", "dave").returncode == 0
    nobody = _run(tmp_path, "disable", "kb.search", "--as", "mallory")
    assert nobody.returncode == 2 and "unknown person 'mallory'" in nobody.stderr
    missing = _run(tmp_path, "versions", "no.such")
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1  # not found


def test_a_configured_back_end_needs_its_settings_and_secret() -> None:
    with pytest.raises(ConfigError, match=r"connectors\.github: missing"):
        builtin_skills({"deploy": "github"}, {})
    with pytest.raises(ConfigError, match="CHATOPS_SECRET__GITHUB__TOKEN"):
        builtin_skills({"deploy": "github"}, {"github": {"repository": "acme/x"}})
    with pytest.raises(ConfigError, match=r"backends\.deploy: unknown back end 'gitlab'"):
        builtin_skills({"deploy": "gitlab"}, {})
    with pytest.raises(ConfigError, match=r"connectors\.okta\.base_url"):
        builtin_skills({"vpn.reset": "okta"}, {"okta": {"groups": {}}})


def test_secrets_come_from_a_file_and_the_environment_wins(tmp_path: Path) -> None:
    file = tmp_path / "secrets.toml"
    file.write_text('[github]\ntoken = "from-file"\n\n[skills."cache.flush"]\napi_token = "f"\n')
    env = {"CHATOPS_SECRET__GITHUB__TOKEN": "from-env"}
    secrets = load_secrets(file, env)
    assert secrets.require("github", "token") == "from-env"
    assert dict(secrets.scope("cache.flush")) == {"api_token": "f"}
    assert "from-env" not in repr(secrets) and "from-file" not in repr(secrets)
    broken = tmp_path / "broken.toml"
    broken.write_text('token = "s3cret-in-a-broken-line\n')
    with pytest.raises(ConfigError) as caught:
        load_secrets(broken, {})
    assert "s3cret" not in str(caught.value)
