"""Timed requests through Assistant.handle: never dropped, held until their time, listed,
cancelled, asked about when unclear, and kept across a restart of the runtime."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chatbot.config import Settings, load_settings
from chatbot.governance.actions import State
from chatbot.schedules import START_JOB
from chatbot.store.tables import Action
from chatbot.testing import Chat, chat_harness, text_of


def labels(replies) -> list[str]:
    return [b.label for r in replies for b in r.buttons]


async def state_of(chat: Chat, action_id: int) -> str:
    async with chat.runtime.store.transaction() as tx:
        action = await tx.get(Action, action_id, populate_existing=True)
        assert action is not None
        return action.state


async def test_a_timed_restart_is_scheduled_not_run(chat: Chat) -> None:
    asked = await chat.say("bob", "restart search in staging in 10 minutes")
    assert asked[0].text.startswith("At ") and "UTC" in asked[0].text
    assert "Restart search in staging?" in asked[0].text
    done = await chat.click("bob", asked, "Confirm")
    assert "Scheduled request" in text_of(done)
    action_id = asked[0].action_id or 0
    assert await state_of(chat, action_id) == State.SCHEDULED
    listed = await chat.say("bob", "what is scheduled")
    assert "Restart search in staging" in text_of(listed)
    cancelled = await chat.say("bob", "cancel the restart of search")
    assert "Cancelled the scheduled request" in text_of(cancelled)
    assert await state_of(chat, action_id) == State.CANCELLED
    assert "nothing scheduled" in text_of(await chat.say("bob", "what is scheduled"))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("restart web in staging every monday at 9", "repeating"),
        ("restart web in staging at 8", "am or pm"),
        ("restart web in staging on friday", "At what time"),
        ("restart web in staging today at 00:01", "already passed"),
    ],
)
async def test_unclear_times_are_asked_about(chat: Chat, text: str, words: str) -> None:
    replies = await chat.say("bob", text)
    assert words in text_of(replies) and not labels(replies)


async def test_times_are_read_in_the_persons_zone(tmp_path: Path) -> None:
    settings = load_settings().model_copy(update={"data_dir": tmp_path})
    settings = Settings.model_validate(
        {**settings.model_dump(), "conversation": {"timezone": "Europe/Berlin"}}
    )
    async with chat_harness(settings, f"sqlite:///{tmp_path / 'z.db'}") as chat:
        asked = await chat.say("bob", "deploy web 4.1.0 to staging at 11:59pm tonight")
        assert "23:59 Europe/Berlin" in asked[0].text and "(22:59 UTC)" in asked[0].text
        other = await chat.say("bob", "restart checkout in dev on Friday at 17:00 CET")
        assert "17:00 CET" in other[0].text


async def test_a_scheduled_action_survives_a_restart_and_starts_on_time(
    tmp_path: Path,
) -> None:
    settings = load_settings().model_copy(update={"data_dir": tmp_path})
    url = f"sqlite:///{tmp_path / 'restart.db'}"
    async with chat_harness(settings, url) as chat:
        asked = await chat.say("bob", "restart search in staging in 2 minutes")
        await chat.click("bob", asked, "Confirm")
        action_id = asked[0].action_id or 0
        assert await state_of(chat, action_id) == State.SCHEDULED
    async with chat_harness(settings, url) as chat:  # a new process, the same database
        engine = chat.runtime.jobs
        planned = await engine.planned(START_JOB, action_id=action_id)
        assert planned is not None and planned > datetime.now(UTC)
        soon = datetime.now(UTC) + timedelta(seconds=1)
        await engine.enqueue(START_JOB, at=soon, action_id=action_id)  # bring it forward
        for _ in range(100):
            if await state_of(chat, action_id) == State.SUCCEEDED:
                break
            await asyncio.sleep(0.1)
        assert await state_of(chat, action_id) == State.SUCCEEDED
        told = await chat.say("bob", "what is scheduled")
        assert "nothing scheduled" in text_of(told)
        notes = await chat.assistant.approvals.deliver("bob")
        assert any("search" in n.text for n in notes)


def cli(data_dir: Path, url: str, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, "CHATOPS_DATABASE_URL": url, "CHATOPS_DATA_DIR": str(data_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "chatbot.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout, done.stderr


async def test_schedules_from_a_terminal(tmp_path: Path) -> None:
    settings = load_settings().model_copy(update={"data_dir": tmp_path})
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    async with chat_harness(settings, url) as chat:
        asked = await chat.say("bob", "restart search in staging tomorrow at 9am")
        await chat.click("bob", asked, "Confirm")
        action_id = asked[0].action_id or 0

    def run(*args: str) -> tuple[int, str, str]:
        return cli(tmp_path, url, "schedules", *args)

    code, out, _ = await asyncio.to_thread(run, "list", "--as", "bob", "--json")
    [row] = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and row["id"] == action_id and row["requester"] == "bob"
    assert row["what"] == "Restart search in staging?" and row["run_at"].endswith("+00:00")
    code, out, _ = await asyncio.to_thread(run, "list", "--as", "alice")
    assert code == 0 and "Nothing is scheduled" in out
    code, _, err = await asyncio.to_thread(run, "cancel", str(action_id), "--as", "alice")
    assert code == 1 and "Only bob" in err
    code, out, _ = await asyncio.to_thread(run, "cancel", str(action_id), "--as", "bob")
    assert code == 0 and "Cancelled the scheduled request" in out
    code, _, err = await asyncio.to_thread(run, "cancel", "999", "--as", "bob")
    assert code == 1 and "no scheduled request #999" in err
    code, _, err = await asyncio.to_thread(run, "cancel", "x", "--as", "bob")
    assert code == 2
