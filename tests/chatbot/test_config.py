"""Settings: defaults, file, environment; every error names the file, the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatbot.config import load_settings
from chatbot.errors import ConfigError


def test_defaults_hold_the_demo_directory() -> None:
    settings = load_settings()
    assert list(settings.people) == ["alice", "bob", "carol", "dave", "erin"]
    assert settings.catalog.canonical_env("prd") == "prod"
    assert settings.catalog.canonical_env("stg") == "staging"
    assert settings.server.port == 8080 and settings.server.host == "127.0.0.1"


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "chatops.toml"
    path.write_text("[server]\nport = 9000\n")
    assert load_settings(path).server.port == 9000
    monkeypatch.setenv("CHATOPS_SERVER__PORT", "9100")
    monkeypatch.setenv("CHATOPS_DATA_DIR", str(tmp_path / "state"))
    settings = load_settings(path)
    assert settings.server.port == 9100
    assert settings.database == f"sqlite:///{tmp_path / 'state' / 'chatops.db'}"


def test_people_merge_by_name_unless_replaced(tmp_path: Path) -> None:
    path = tmp_path / "chatops.toml"
    path.write_text('[people.zoe]\nemail = "zoe@corp.example"\nroles = ["admin"]\n')
    assert list(load_settings(path).people) == ["alice", "bob", "carol", "dave", "erin", "zoe"]
    path.write_text(
        '[people]\nreplace = true\n[people.zoe]\nemail = "zoe@corp.example"\nroles = ["admin"]\n'
    )
    assert list(load_settings(path).people) == ["zoe"]


def test_overriding_one_role_keeps_the_others(tmp_path: Path) -> None:
    """The bug of the issue: overriding `developer` silently dropped every other role."""
    path = tmp_path / "chatops.toml"
    path.write_text('[roles.developer]\nincludes = ["employee"]\ngrants = [{ skill = "deploy" }]\n')
    settings = load_settings(path)
    assert {"employee", "release-manager", "admin", "helpdesk"} <= set(settings.roles)
    assert [g.skill for g in settings.roles["developer"].grants] == ["deploy"]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[roles]\nreplace = true\n[roles.ops]\ngrants = [{ skill = '*' }]\n", "people.alice"),
        ("[identity.group_roles]\nEngineering = ['developper']\n", "identity.group_roles"),
        ("[[policy]]\nskill = 'deploy'\napprovers = 'nobody'\n", "policy.0.approvers"),
        ("[roles.x]\nincludes = ['ghost']\n", "roles.x.includes"),
    ],
)
def test_an_undefined_role_stops_start_up(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "chatops.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert caught.value.key.startswith(key)
    assert "not defined" in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ("[server]\nport = 'x'\n", "server.port", "valid integer"),
        ("[server]\nport = 70000\n", "server.port", "less than or equal to 65535"),
        ("[server]\nprot = 1\n", "server.prot", "unknown key"),
        ("[people.x]\nroles = ['a']\n", "people.x.email", "field required"),
        ("[web]\nauth = 'magic'\n", "web.auth", "'none' or 'proxy'"),
    ],
)
def test_a_wrong_value_names_file_key_and_expectation(
    tmp_path: Path, text: str, key: str, expected: str
) -> None:
    path = tmp_path / "chatops.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {key}: ")
    assert expected in message and "\n" not in message


def test_bad_environment_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHATOPS_SERVER__PORT", "eighty")
    with pytest.raises(ConfigError, match=r"environment CHATOPS_SERVER__PORT: server\.port"):
        load_settings()


def test_missing_and_unparsable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "absent.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("a = = 1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(broken)
