"""A database that cannot be written (issue 10, item 21): the person is told nothing was done,
/readyz is not ready, the CLI prints one line and exits 3; a skill's outcome that could not
be written while PostgreSQL was away is recorded when it comes back, not lost as interrupted.

Read-only is real in both databases: SQLite's `query_only` pragma and PostgreSQL's
`default_transaction_read_only`, set on every connection the runtime checks out. Losing
PostgreSQL is real too: the runtime talks to it through a TCP relay the test cuts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient

from chatbot import texts
from chatbot.cli import main
from chatbot.config import Settings
from chatbot.governance.actions import State
from chatbot.server import create_app
from chatbot.store.engine import Store
from chatbot.store.tables import Action
from chatbot.testing import Chat, chat_harness, text_of
from chatbot.types import Outcome, ReplyKind
from intents import Understander
from skills.api import Requirement, SkillContext, SkillSpec


@contextlib.contextmanager
def read_only(engine: Any, url: str) -> Iterator[None]:
    """Every connection the engine checks out refuses writes until the block ends."""
    sqlite = url.startswith("sqlite")

    def apply(dbapi_connection: Any, on: bool) -> None:
        cursor = dbapi_connection.cursor()
        if sqlite:
            cursor.execute(f"PRAGMA query_only = {1 if on else 0}")
        else:
            cursor.execute(f"SET default_transaction_read_only = {'on' if on else 'off'}")
        cursor.close()
        if not sqlite:
            dbapi_connection.commit()

    def refuse(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        apply(dbapi_connection, True)

    def allow(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        apply(dbapi_connection, False)

    engine = getattr(engine, "sync_engine", engine)  # the store's engine is a plain one
    event.listen(engine, "checkout", refuse)
    try:
        yield
    finally:
        event.remove(engine, "checkout", refuse)
        event.listen(engine, "checkout", allow)


async def test_a_read_only_database_is_told_plainly_and_audited_once(
    chat: Chat, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    store = chat.runtime.store
    with read_only(store.engine, database_url):
        replies = await chat.say("alice", "reset my vpn")
        assert [r.text for r in replies] == [texts.STORAGE_DOWN]
        assert replies[0].kind is ReplyKind.ERROR
        assert "can't record that right now; nothing was done" in replies[0].text
    originals = [r for r in caplog.records if "cannot record the message" in r.getMessage()]
    assert len(originals) == 1 and originals[0].exc_info is not None
    assert "read" in originals[0].getMessage().lower()  # the database's own words, kept
    assert sum("audit of that failure failed" in r.getMessage() for r in caplog.records) == 1
    assert not any("message from alice failed" in r.getMessage() for r in caplog.records)
    async with store.transaction() as tx:
        assert await tx.get(Action, 1) is None  # nothing was done
    again = await chat.say("alice", "reset my vpn")  # writable again: all is normal
    assert again[0].kind is ReplyKind.CONFIRM


def test_readyz_is_not_ready_while_the_database_refuses_writes(
    settings: Settings, database_url: str, understander: Understander
) -> None:
    app = create_app(settings, database_url, understander)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        assert client.get("/readyz").status_code == 200
        store: Store = app.state.runtime.store
        with read_only(store.engine, database_url):
            answer = client.get("/readyz")
            assert answer.status_code == 503 and answer.json()["status"] == "unavailable"
            assert "read-only" in answer.json()["reason"]
        # Writable again: ready at the next probes (a pooled connection may take one more).
        assert 200 in [client.get("/readyz").status_code for _ in range(3)]


def test_readyz_answers_at_once_while_another_connection_holds_the_write_lock(
    settings: Settings, database_url: str, understander: Understander
) -> None:
    """A writer holding the lock (SQLite's write lock, PostgreSQL's audit head row) means
    busy, not broken: /readyz says ready without waiting for it (it used to wait the whole
    hold on SQLite: its probe's thread queued on the lock)."""
    app = create_app(settings, database_url, understander)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        assert client.get("/readyz").status_code == 200
        engine = create_engine(app.state.runtime.store.engine.url)
        took = []
        with engine.connect() as other:
            if database_url.startswith("sqlite"):
                other.exec_driver_sql("BEGIN IMMEDIATE")
            other.execute(text("UPDATE audit_head SET seq = seq WHERE id = 1"))
            for _ in range(5):
                started = time.perf_counter()
                assert client.get("/readyz").status_code == 200
                took.append(time.perf_counter() - started)
            other.rollback()
        engine.dispose()
    assert max(took) < 1.0  # the lock is held until the end: a wait would be 10 s or more


def read_only_url(database_url: str, tmp_path: Path) -> str:
    if database_url.startswith("sqlite"):
        return f"sqlite:///file:{tmp_path / 'chatops.db'}?mode=ro&uri=true"
    url = make_url(database_url)
    options = f"{url.query.get('options', '')} -cdefault_transaction_read_only=on".strip()
    return url.update_query_dict({"options": options}).render_as_string(hide_password=False)


async def test_cli_on_a_read_only_database_is_one_line_and_exit_3(
    chat: Chat,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CHATOPS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CHATOPS_DATABASE_URL", read_only_url(database_url, tmp_path))
    capsys.readouterr()
    code = await asyncio.to_thread(main, ["say", "--as", "alice", "reset", "my", "vpn"])
    out, err = capsys.readouterr()
    assert code == 3 and out == ""
    assert err.count("\n") == 1 and "nothing was done" in err and "Traceback" not in err


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_with_postgres_unreachable_is_one_line_and_exit_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("CHATOPS_DATA_DIR", str(tmp_path))
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/test"
    monkeypatch.setenv("CHATOPS_DATABASE_URL", url)
    code = main(["serve", "--port", str(free_port())])
    out, err = capsys.readouterr()
    assert code == 3 and "web chat on" not in out
    assert err.count("\n") == 1 and "cannot use the database" in err and "Traceback" not in err


class Relay:
    """A TCP relay in front of PostgreSQL that the test can cut and mend: a database that
    goes away in the middle of things, and comes back."""

    def __init__(self, port: int) -> None:
        self.port, self.up = port, True
        self.links: set[asyncio.StreamWriter] = set()
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._link, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.up:
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.links |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def cut(self) -> None:
        self.up = False
        for writer in self.links:
            writer.close()
        self.links.clear()

    def mend(self) -> None:
        self.up = True

    async def close(self) -> None:
        self.cut()
        if self.server is not None:
            self.server.close()


class SlowFlush:
    """A skill that runs until the test lets it finish."""

    spec = SkillSpec(
        "cache.flush",
        "Flush the shared cache.",
        examples=("flush the cache", "clear the shared cache", "empty the cache now"),
        keywords=("flush", "cache"),
        requires=Requirement.NOTHING,
    )

    def __init__(self) -> None:
        self.started, self.release = asyncio.Event(), asyncio.Event()

    async def preview(self, ctx: SkillContext) -> Outcome:
        return Outcome(True, "Would flush the cache.")

    async def run(self, ctx: SkillContext) -> Outcome:
        self.started.set()
        await self.release.wait()
        return Outcome(True, "Cache flushed: 1,024 keys.")


@pytest.mark.postgres
async def test_an_outcome_while_postgres_was_lost_is_recorded_when_it_is_back(
    settings: Settings, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("losing the database server is a PostgreSQL matter")
    url = make_url(database_url)
    relay = Relay(url.port or 5432)
    relayed = url.set(port=await relay.start()).render_as_string(hide_password=False)
    skill = SlowFlush()
    try:
        async with chat_harness(settings, relayed, skills=[skill]) as chat:
            asked = asyncio.create_task(chat.say("dave", "flush the cache"))
            await asyncio.wait_for(skill.started.wait(), 30)
            relay.cut()  # PostgreSQL is gone while the skill runs...
            skill.release.set()  # ...and the skill finishes meanwhile
            replies = await asyncio.wait_for(asked, 30)
            assert "Cache flushed: 1,024 keys." in text_of(replies)
            assert texts.RECORDED_LATER in text_of(replies)
            relay.mend()
            direct = Store(database_url)
            try:
                for _ in range(100):
                    async with direct.transaction() as tx:
                        row = await tx.get(Action, 1, populate_existing=True)
                    if row is not None and row.state != State.RUNNING:
                        break
                    await asyncio.sleep(0.2)
            finally:
                await direct.close()
            assert row is not None and row.state == State.SUCCEEDED
            assert row.result == "Cache flushed: 1,024 keys."
    finally:
        await relay.close()


async def test_a_full_sqlite_database_is_told_plainly_and_not_ready(
    chat: Chat, database_url: str
) -> None:
    """SQLite's `max_page_count` at the file's current size: the next page it needs is
    refused with "database or disk is full", as on a full disk."""
    if not database_url.startswith("sqlite"):
        pytest.skip("a size cap per connection is a SQLite pragma")
    store = chat.runtime.store
    async with store.transaction() as tx:
        pages = (await tx.exec(text("PRAGMA page_count"))).one()[0]  # type: ignore[call-overload]

    def cap(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA max_page_count = {pages}")
        cursor.close()

    event.listen(store.engine, "checkout", cap)
    long = "please look at this " * 190  # a few pages of audit text per message
    replies = []
    for _ in range(20):
        replies = await chat.say("alice", f"reset my vpn {long}")
        if replies[0].text == texts.STORAGE_DOWN:
            break
    assert replies[0].text == texts.STORAGE_DOWN
    assert chat.assistant.health.failing and "full" in chat.assistant.health.reason
