"""The deployment files say what the code does: the Slack manifest's scopes, events and URLs,
and a Teams app package that Teams accepts (manifest plus two PNG icons)."""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path

import yaml

from chatbot.adapters.teams import package
from chatbot.config import SlackSettings

ROOT = Path(__file__).resolve().parents[2]
APP_ID = "11111111-2222-3333-4444-555555555555"


def test_slack_manifest_matches_the_adapter() -> None:
    manifest = yaml.safe_load((ROOT / "deploy/slack/manifest.yaml").read_text())
    settings = manifest["settings"]
    assert sorted(settings["event_subscriptions"]["bot_events"]) == ["app_mention", "message.im"]
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
            "chat:write",
            "commands",
            "im:write",
            "users:read",
            "users:read.email",
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
