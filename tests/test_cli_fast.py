"""The command line: --version, dispatch through the parser, listings without the model."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chatbot import cli

# Run a listing in a fresh interpreter and report which heavy modules it imported.
PROBE = """
import sys
from chatbot.cli import main
code = main(sys.argv[1:])
heavy = sorted(m for m in ("spacy", "thinc", "numpy", "intents") if m in sys.modules)
print("HEAVY", ",".join(heavy), "CODE", code)
"""

# Libraries no listing needs: the web stack, the chat platforms, the model's helpers, the job
# engines, metrics; the HTTP client (a listing calls no one: the approvals desk's Executor
# makes its client only when a skill runs) and PyYAML (no YAML manifest is read from a new
# store); and migrations when the schema is already at its newest revision.
NOT_FOR_LISTINGS = (
    "httpx",
    "yaml",
    "starlette",
    "uvicorn",
    "jinja2",
    "slack_bolt",
    "botbuilder",
    "aiohttp",
    "scipy",
    "rapidfuzz",
    "apscheduler",
    "procrastinate",
    "prometheus_client",
    "alembic",
    "chatbot.app",
)
LIBRARIES = f"""
import sys
from chatbot.cli import main
code = main(sys.argv[1:])
print("LOADED", *(m for m in {NOT_FOR_LISTINGS!r} if m in sys.modules))
"""


def _probe(tmp_path: Path, *args: str, probe: str = PROBE) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATOPS_")}
    env["CHATOPS_DATA_DIR"] = str(tmp_path / "data")
    out = subprocess.run(
        [sys.executable, "-c", probe, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize(
    "args",
    [
        ("audit", "list"),
        ("audit", "verify"),
        ("skills", "list"),
        ("skills", "versions", "nothing"),
        ("approvals", "list", "--as", "carol"),
        ("schedules", "list"),
        ("incidents", "list"),
    ],
)
def test_listings_do_not_load_the_language_model(tmp_path: Path, args: tuple[str, ...]) -> None:
    line = _probe(tmp_path, *args)
    assert line.startswith("HEAVY  CODE"), line


@pytest.mark.parametrize(
    "args",
    [
        ("audit", "list"),
        ("skills", "list"),
        ("incidents", "list"),
        ("approvals", "list", "--as", "carol"),
        ("schedules", "list"),
    ],
)
def test_listings_import_only_what_they_need(tmp_path: Path, args: tuple[str, ...]) -> None:
    """The issue's listings open the store and the registry: no web stack, no model helpers,
    no job engine, no HTTP client, no YAML parser, no Alembic once migrated."""
    _probe(tmp_path, *args)  # the first run migrates the new database
    line = _probe(tmp_path, *args, probe=LIBRARIES)
    word, *loaded = line.split()
    assert word == "LOADED", line
    assert loaded == [], line


def test_skills_list_names_the_builtin_skills(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHATOPS_DATA_DIR", str(tmp_path))
    assert cli.main(["skills", "list"]) == 0
    out = capsys.readouterr().out
    assert "vpn.reset" in out and "deploy" in out


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("chatops 0.")


def test_every_subcommand_names_its_handler() -> None:
    """Dispatch goes through the parser: each leaf parser sets `handler`, an async function of
    the module that registered the subcommand (named for what it holds, not `commands`)."""
    parser = cli._build_parser()
    leaves = [
        ["serve"],
        ["shell"],
        ["say", "--as", "alice", "hi"],
        ["parse"],
        ["eval", "x.tsv"],
        ["audit", "list"],
        ["audit", "verify"],
        ["audit", "export"],
        ["approvals", "list", "--as", "carol"],
        ["approvals", "approve", "1", "--as", "carol"],
        ["approvals", "reject", "1", "--as", "carol"],
        ["skills", "list"],
        ["skills", "show", "x"],
        ["skills", "add", "f"],
        ["skills", "check", "f"],
        ["skills", "disable", "x"],
        ["skills", "enable", "x"],
        ["skills", "remove", "x"],
        ["skills", "versions", "x"],
        ["skills", "restore", "x", "1"],
    ]
    for argv in leaves:
        handler = parser.parse_args(argv).handler
        assert inspect.iscoroutinefunction(handler), argv
        assert handler.__name__.startswith("cmd_"), argv
        assert handler.__module__ != "chatbot.commands", argv
        assert hasattr(sys.modules[handler.__module__], "register")


def test_the_console_script_answers_as_main_does(tmp_path: Path) -> None:
    """`chatops` is `run()`: main() with the collector tuned for a short life; same output,
    same exit codes (0 done, 1 not found, 2 bad input)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATOPS_")}
    env["CHATOPS_DATA_DIR"] = str(tmp_path / "data")
    script = "import sys; from chatbot.cli import run; sys.exit(run())"

    def chatops(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", script, *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )

    listed = chatops("skills", "list")
    assert listed.returncode == 0, listed.stderr
    assert "vpn.reset" in listed.stdout
    missing = chatops("skills", "versions", "nothing")
    assert missing.returncode == 1
    assert "has no stored manifest versions" in missing.stderr
    bad = chatops("audit", "list", "--limit", "many")
    assert bad.returncode == 2
    assert bad.stderr.startswith("chatops: ") and "Traceback" not in bad.stderr
