"""Exit statuses that tell the truth (issue 17 item 7): 0 only when the thing happened, 1 for
"no such thing" and refusals, 2 for bad input; times as people type them; JSON listings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatbot import cli

EXAMPLE = Path(__file__).parents[1] / "deploy" / "examples" / "cache-flush.toml"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("CHATOPS_CONFIG", "CHATOPS_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CHATOPS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CHATOPS_SECRET__CACHE_FLUSH__API_TOKEN", "cdn-test-token")
    return tmp_path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_request_that_does_not_exist_is_not_found(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "approvals", "approve", "999", "--as", "dave")
    assert code == 1
    assert "request 999 does not exist" in err and err.count("\n") == 1
    assert "already gone" not in out


def test_unknown_skills_and_versions_exit_1(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "skills", "versions", "nosuch")
    assert code == 1 and "nosuch" in err
    code, _, err = _run(capsys, "skills", "enable", "nosuch", "--as", "dave")
    assert code == 1 and "no skill named 'nosuch'" in err
    code, _, err = _run(capsys, "skills", "remove", "nosuch", "--as", "dave")
    assert code == 1


def test_a_change_that_changes_nothing_exits_1(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(capsys, "skills", "disable", "kb.search", "--as", "dave")[0] == 0
    code, _, err = _run(capsys, "skills", "disable", "kb.search", "--as", "dave")
    assert code == 1 and "already disabled" in err
    code, _, err = _run(capsys, "skills", "remove", "kb.search", "--as", "dave")
    assert code == 1 and "disable it instead" in err


@pytest.mark.parametrize("since", ["yesterday", "2h", "2026-11-01", "today", "7d"])
def test_audit_export_takes_times_as_people_type_them(
    home: Path, capsys: pytest.CaptureFixture[str], since: str
) -> None:
    assert _run(capsys, "skills", "disable", "kb.search", "--as", "dave")[0] == 0
    code, out, err = _run(capsys, "audit", "export", "--since", since)
    assert code == 0, err
    events = [json.loads(line)["event"] for line in out.splitlines()]
    assert "skill.disabled" in events


def test_a_time_that_is_not_one_is_bad_input(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, "audit", "export", "--since", "last tuesdayish")
    assert code == 2 and "yesterday" in err and err.count("\n") == 1


def test_every_listing_speaks_json(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = home / "chatops.toml"
    config.write_text('[skills]\nallowed_hosts = ["cdn.example.com"]\n')
    code, _, err = _run(
        capsys, "--config", str(config), "skills", "add", str(EXAMPLE), "--as", "dave"
    )
    assert code == 0, err
    code, out, _ = _run(capsys, "skills", "versions", "cache.flush", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and rows[0]["version"] == 1 and rows[0]["created_by"] == "dave"
    code, out, _ = _run(capsys, "approvals", "list", "--as", "carol", "--json")
    assert code == 0 and all(json.loads(line) for line in out.splitlines())


def test_commands_that_do_not_use_skills_say_nothing_about_them(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A manifest stored by a server whose config allows its host, then CLI calls without that
    config: no "skipped" warnings on stderr."""
    config = home / "chatops.toml"
    config.write_text('[skills]\nallowed_hosts = ["cdn.example.com"]\n')
    assert (
        _run(capsys, "--config", str(config), "skills", "add", str(EXAMPLE), "--as", "dave")[0] == 0
    )
    for argv in (("audit", "list"), ("approvals", "list", "--as", "carol"), ("skills", "list")):
        code, _, err = _run(capsys, *argv)
        assert code == 0 and err == "", (argv, err)
