"""A process killed while an action runs leaves it `running`; the next start marks it
`interrupted`, tells the requester, and never runs it again. Leases cover other hosts."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import timedelta
from pathlib import Path

from chatbot.governance import audit, outbox
from chatbot.store.engine import Store
from chatbot.store.tables import Action
from chatbot.testing import Chat, text_of
from tests.governance.harness import MakeChat

HERE = Path(__file__).parent


async def state_of(store: Store, action_id: int) -> str:
    async with store.transaction() as tx:
        action = await tx.get(Action, action_id, populate_existing=True)
        assert action is not None
        return action.state


async def test_killed_while_running_becomes_interrupted(
    make_chat: MakeChat, database_url: str, tmp_path: Path
) -> None:
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        str(HERE / "gov_slow_worker.py"),
        database_url,
        str(tmp_path / "w"),
        stdout=asyncio.subprocess.PIPE,
    )
    assert worker.stdout is not None
    line = await asyncio.wait_for(worker.stdout.readline(), timeout=120)
    assert line.startswith(b"ACTION "), line
    action_id = int(line.split()[1])
    os.kill(worker.pid, signal.SIGKILL)
    assert await worker.wait() == -signal.SIGKILL

    store = Store(database_url)  # just the database, no runtime: it is left running
    try:
        assert await state_of(store, action_id) == "running"
    finally:
        await store.close()

    chat = await make_chat()  # the restart
    assert await state_of(chat.runtime.store, action_id) == "interrupted"
    async with chat.runtime.store.transaction() as tx:
        notes = await outbox.pending(tx, "bob")
        events = [e async for e in audit.entries(tx) if e.action_id == action_id]
        assert (await audit.verify(tx)).ok
    assert any("interrupted by a restart" in n.text and "not run again" in n.text for n in notes)
    assert [e.event for e in events][-1] == "action.interrupted"
    assert "action.finished" not in [e.event for e in events]
    assert "web" not in text_of(await chat.say("bob", "what is deployed"))  # nothing re-ran


async def test_a_lapsed_lease_on_another_host_is_interrupted(make_chat: MakeChat) -> None:
    chat: Chat = await make_chat("[limits]\nrun_lease_seconds = 1\n")
    done = await chat.click("bob", await chat.say("bob", "deploy web 5.2.0 to dev"), "Confirm")
    action_id = done[0].action_id or 0
    store = chat.runtime.store
    clock = chat.runtime.assistant.authorizer.clock
    async with store.transaction() as tx:
        action = await tx.get(Action, action_id)
        assert action is not None
        # Another replica is running it and renewing its lease: leave it alone.
        action.state, action.runner = "running", "replica-b:4242"
        action.lease_until = clock() + timedelta(minutes=5)
        tx.add(action)
    assert await chat.runtime.assistant.approvals.recover() == []
    async with store.transaction() as tx:
        action = await tx.get(Action, action_id)
        assert action is not None
        action.lease_until = clock() - timedelta(seconds=1)  # ... then it went silent
        tx.add(action)
    for _ in range(50):  # the periodic recovery job notices within a lease period
        if await state_of(store, action_id) == "interrupted":
            break
        await asyncio.sleep(0.1)
    assert await state_of(store, action_id) == "interrupted"
