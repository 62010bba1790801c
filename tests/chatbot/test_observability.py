"""Logging from settings (text or JSON lines with person, skill, action id; no secrets) and
Prometheus metrics filled by the pipeline, the executor and the store."""

from __future__ import annotations

import gc
import io
import json
import logging
import subprocess
import sys

import pytest
from starlette.testclient import TestClient

from chatbot import logs
from chatbot.config import Settings, load_settings
from chatbot.errors import ConfigError
from chatbot.metrics import observe_approvals
from chatbot.server import create_app
from chatbot.testing import Chat
from intents import Understander


@pytest.fixture
def restore_logging() -> object:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield None
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


@pytest.mark.usefixtures("restore_logging")
def test_json_lines_carry_context_and_never_a_secret() -> None:
    out = io.StringIO()
    logs.configure("INFO", "json", out)
    logs.bind(person="alice", skill="vpn.reset", action_id=7)
    logging.getLogger("chatbot.test").info("called with token=%s", "xoxb-1234567890-abcdef")
    logging.getLogger("chatbot.test").debug("below the level")
    logs.bind(skill=None, action_id=None)
    logging.getLogger("chatbot.test").warning("after")
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["person"] == "alice" and first["skill"] == "vpn.reset"
    assert first["action_id"] == 7 and first["level"] == "INFO"
    assert "xoxb-1234567890" not in out.getvalue() and "[redacted]" in first["message"]
    assert second["person"] == "alice" and "skill" not in second


@pytest.mark.usefixtures("restore_logging")
def test_text_lines_name_the_context() -> None:
    out = io.StringIO()
    logs.configure("DEBUG", "text", out)
    logs.bind(person="bob", skill=None, action_id=3)
    logging.getLogger("chatbot.test").debug("moving on")
    assert "moving on [person=bob action_id=3]" in out.getvalue()


def test_log_level_and_format_are_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHATOPS_LOG_LEVEL", "debug")
    assert load_settings().log_settings == ("DEBUG", "text")
    monkeypatch.setenv("CHATOPS_LOGGING__LEVEL", "warning")
    monkeypatch.setenv("CHATOPS_LOGGING__FORMAT", "json")
    assert load_settings().log_settings == ("WARNING", "json")
    monkeypatch.setenv("CHATOPS_LOG_LEVEL", "loud")
    with pytest.raises(ConfigError, match="not a log level"):
        load_settings()
    monkeypatch.setenv("CHATOPS_LOG_LEVEL", "info")
    monkeypatch.setenv("CHATOPS_LOGGING__FORMAT", "xml")
    with pytest.raises(ConfigError, match=r"logging\.format"):
        load_settings()


def test_cli_honours_chatops_log_level(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """CHATOPS_LOG_LEVEL=DEBUG shows the application's own debug lines as JSON."""
    code = (
        "import logging, sys; from chatbot.cli import main; "
        "main(['audit', 'list']); logging.getLogger('chatbot.probe').debug('probe line')"
    )
    env = {"CHATOPS_DATA_DIR": str(tmp_path), "CHATOPS_LOG_LEVEL": "DEBUG",
           "CHATOPS_LOGGING__FORMAT": "json", "PATH": "/usr/bin:/bin"}  # fmt: skip
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    lines = [json.loads(line) for line in out.stderr.splitlines() if line.startswith("{")]
    assert {"level": "DEBUG", "logger": "chatbot.probe", "message": "probe line"}.items() <= (
        lines[-1].items()
    )


async def test_pipeline_fills_the_metrics(chat: Chat) -> None:
    await chat.say("alice", "reset my vpn")
    await chat.say("alice", "yes")
    await chat.say("carol", "deploy web 5.2.0 to prod")
    metrics = chat.runtime.assistant.metrics
    await observe_approvals(chat.runtime.store, metrics)
    text = metrics.render()
    assert 'chatops_messages_total{channel="test",outcome="confirm"}' in text
    assert "chatops_understanding_confidence_count 3.0" in text
    assert 'chatops_skill_runs_total{outcome="succeeded",skill="vpn.reset"} 1.0' in text
    assert 'chatops_skill_run_seconds_count{skill="vpn.reset"} 1.0' in text
    assert 'chatops_db_transaction_seconds_count{kind="write"}' in text
    assert 'chatops_jobs{state="queued"} 0.0' in text
    metrics.set_jobs("running", 2)
    assert 'chatops_jobs{state="running"} 2.0' in metrics.render()
    with pytest.raises(ValueError, match="not one of"):
        metrics.set_jobs("lost", 1)


def test_readiness_follows_the_database_and_the_hooks(
    settings: Settings, database_url: str, understander: Understander
) -> None:
    """/readyz: 200 with the database up, 503 while a readiness hook (the job engine's)
    fails, 200 again when it passes."""
    with TestClient(create_app(settings, database_url, understander)) as client:
        ready = client.get("/readyz").json()
        assert ready["status"] == "ready" and ready["registry_version"] == 0  # nothing added

        async def engine_down() -> None:
            raise ConnectionError("job engine unreachable")

        client.app.state.ready_checks = [engine_down]  # type: ignore[attr-defined]
        assert client.get("/readyz").status_code == 503
        client.app.state.ready_checks = []  # type: ignore[attr-defined]
        assert client.get("/readyz").status_code == 200


def test_a_started_server_keeps_what_start_up_loaded_out_of_the_collectors_way(
    settings: Settings, database_url: str, understander: Understander
) -> None:
    """The model and catalog live as long as the process: frozen once it has started, full
    collections stop walking them (their pauses would land on messages)."""
    gc.unfreeze()  # earlier apps in this test process froze theirs
    assert gc.get_freeze_count() == 0
    with TestClient(create_app(settings, database_url, understander)) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() > 0
