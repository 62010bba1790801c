"""`--as` takes an email, also of people provisioned over SCIM; a configuration naming an
undefined role stops start-up with one line and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from chatbot.cli import main
from chatbot.config import Settings
from chatbot.server import create_app
from intents import Understander
from tests.directory.conftest import new_user


def test_say_as_an_email_of_a_person_provisioned_over_scim(
    identity_settings: Settings,
    understander: Understander,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    with TestClient(create_app(identity_settings, url, understander)) as client:
        new_user(client, "frank@example.com")
    monkeypatch.setenv("CHATOPS_DATABASE_URL", url)
    monkeypatch.setenv("CHATOPS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CHATOPS_IDENTITY__DOMAINS", '["example.com"]')
    assert main(["say", "--as", "frank@example.com", "reset", "my", "vpn"]) == 0
    assert "Reset your VPN sessions" in capsys.readouterr().out
    assert main(["say", "--as", "alice@example.com", "reset", "my", "vpn"]) == 0
    assert "Reset your VPN sessions" in capsys.readouterr().out
    assert main(["say", "--as", "nobody@example.com", "hi"]) == 2
    assert "unknown person 'nobody@example.com'" in capsys.readouterr().err


def test_an_undefined_role_stops_start_up_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "chatops.toml"
    config.write_text('[identity.group_roles]\nEngineering = ["developper"]\n')
    assert main(["--config", str(config), "say", "--as", "alice", "hi"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "identity.group_roles.Engineering" in err
    assert "'developper', which is not defined" in err
