"""The installed `chatops` command, as a script would use it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CHATOPS = shutil.which("chatops", path=str(Path(sys.executable).parent)) or "chatops"


def run(
    tmp_path: Path, *args: str, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    environment = (
        {k: v for k, v in os.environ.items() if not k.startswith("CHATOPS_")}
        | {"CHATOPS_DATA_DIR": str(tmp_path / "data")}
        | env
    )
    return subprocess.run(
        [CHATOPS, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


def test_say_then_yes_completes_the_action(tmp_path: Path) -> None:
    asked = run(tmp_path, "say", "--as", "alice", "reset", "my", "vpn")
    assert asked.returncode == 0, asked.stderr
    assert "Confirm" in asked.stdout
    done = run(tmp_path, "say", "--as", "alice", "yes")
    assert done.returncode == 0, done.stderr
    assert "VPN reset for alice" in done.stdout and "Sandbox" in done.stdout
    listed = run(tmp_path, "audit", "list")
    assert "action.finished" in listed.stdout
    verified = run(tmp_path, "audit", "verify")
    assert verified.returncode == 0 and "intact" in verified.stdout


def test_say_json_gives_replies_with_buttons(tmp_path: Path) -> None:
    out = run(tmp_path, "say", "--as", "bob", "--json", "deploy web 5.2.0 to staging")
    assert out.returncode == 0, out.stderr
    replies = json.loads(out.stdout)
    assert replies[0]["kind"] == "confirm"
    assert [b["label"] for b in replies[0]["buttons"]][:2] == ["Confirm", "Cancel"]


def test_parse_prints_one_json_object_per_line(tmp_path: Path) -> None:
    out = run(tmp_path, "parse", stdin="deploy payments-api 2.3.1 to prod\nwhat's the weather\n")
    assert out.returncode == 0, out.stderr
    first, second = (json.loads(line) for line in out.stdout.splitlines())
    assert list(first)[:5] == ["text", "skill", "confidence", "slots", "alternatives"]
    assert first["skill"] == "deploy"
    assert first["slots"] == {"service": "payments-api", "version": "2.3.1", "env": "prod"}
    assert second["skill"] is None
    assert not (tmp_path / "data" / "chatops.db").exists()  # parse has no side effects


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("frobnicate",), "invalid choice"),
        (("say", "hello"), "--as"),
        (("say", "--as", "zed", "hi"), "unknown person 'zed'"),
        (("say", "--as", "alice"), "nothing to say"),
        (("audit", "export", "--since", "next blue moon"), "is not a time"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(
    tmp_path: Path, args: tuple[str, ...], needle: str
) -> None:
    out = run(tmp_path, *args)
    assert out.returncode == 2
    assert needle in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_corrupt_config_names_the_file_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "chatops.toml"
    bad.write_text("[server]\nport = 'eighty'\n")
    out = run(tmp_path, "--config", str(bad), "say", "--as", "alice", "hi")
    assert out.returncode == 2
    assert str(bad) in out.stderr and "server.port" in out.stderr
    broken = tmp_path / "broken.toml"
    broken.write_text("[server\n")
    out = run(tmp_path, "say", "--as", "alice", "hi", CHATOPS_CONFIG=str(broken))
    assert out.returncode == 2 and "not valid TOML" in out.stderr and "Traceback" not in out.stderr


def test_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    url = "postgresql://nobody@127.0.0.1:1/none"
    out = run(tmp_path, "say", "--as", "alice", "hi", CHATOPS_DATABASE_URL=url)
    assert out.returncode == 3  # storage unavailable, as the command contract says
    assert "cannot use the database at postgresql://nobody@127.0.0.1:1/none" in out.stderr
    assert "Traceback" not in out.stderr


def test_serve_refuses_to_expose_the_demo_picker(tmp_path: Path) -> None:
    out = run(tmp_path, "serve", "--host", "0.0.0.0", "--port", "18089")
    assert out.returncode == 2
    assert "loopback" in out.stderr and "web.auth" in out.stderr
