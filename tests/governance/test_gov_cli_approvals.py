"""Approvers at a terminal: `chatops approvals list / approve / reject --as USER`, including
the notifications waiting for them (an expired request)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from chatbot.testing import Chat


def cli(data_dir: Path, url: str, *args: str) -> tuple[int, str]:
    env = {**os.environ, "CHATOPS_DATABASE_URL": url, "CHATOPS_DATA_DIR": str(data_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "chatbot.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout + done.stderr


async def test_approvers_decide_from_a_terminal(
    chat: Chat, database_url: str, tmp_path: Path
) -> None:
    asked = await chat.say("carol", "deploy payments-api 2.3.1 to prod")
    sent = await chat.click("carol", asked, "Send for approval")
    action_id = sent[0].action_id
    asked = await chat.say("carol", "deploy web 5.2.0 to prod")
    other = (await chat.click("carol", asked, "Send for approval"))[0].action_id

    def run(*args: str) -> tuple[int, str]:
        return cli(tmp_path, database_url, "approvals", *args)

    code, out = await asyncio.to_thread(run, "list", "--as", "dave")
    assert code == 0 and f"request #{action_id}" in out and "It changes production" in out
    code, out = await asyncio.to_thread(run, "approve", str(action_id), "--as", "carol")
    assert code == 1 and "your own request" in out
    code, out = await asyncio.to_thread(run, "approve", str(action_id), "--as", "dave")
    assert code == 0 and "Deployed payments-api 2.3.1 to prod" in out
    code, out = await asyncio.to_thread(run, "reject", str(other), "--as", "dave")
    assert code == 0 and f"You rejected request #{other}" in out
    code, out = await asyncio.to_thread(run, "approve", "1", "--as", "nobody")
    assert code == 2 and "unknown person" in out
