"""The audit trail: tampering of every kind is named by verify (and `chatops audit verify`
exits 1), export writes JSON lines, secrets never reach the database, and appends from
several processes at once keep one unforked chain."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import event, text

from chatbot.governance import audit, chain
from chatbot.store.engine import Store
from chatbot.testing import Chat

HERE = Path(__file__).parent


@given(
    st.text(),
    st.text(),
    st.one_of(st.none(), st.text()),
    st.one_of(st.none(), st.integers()),
    st.text(),
)
def test_the_fast_hash_body_is_the_canonical_json(
    actor: str, detail: str, skill: str | None, action_id: int | None, prev: str
) -> None:
    at = "2026-11-26T17:00:00.123456+00:00"
    fields = {
        "seq": 7,
        "at": at,
        "actor": actor,
        "event": "e\u00e9\n",
        "platform": "p",
        "channel": 'c"',
        "skill": skill,
        "action_id": action_id,
        "outcome": "",
        "detail": detail,
        "prev": prev,
    }
    fast = chain.hash_body(7, at, actor, "e\u00e9\n", "p", 'c"', skill, action_id, "", detail, prev)
    assert fast == audit.canonical_json(fields)


async def some_history(chat: Chat) -> None:
    await chat.click("alice", await chat.say("alice", "reset my vpn"), "Confirm")
    await chat.say("bob", "deploy web 5.2.0 to dev")


async def run_sql(chat: Chat, *statements: str) -> None:
    async with chat.runtime.store.transaction() as tx:
        for statement in statements:
            await tx.exec(text(statement))  # type: ignore[call-overload]


async def verified(chat: Chat, processes: int | None = None) -> audit.Verification:
    async with chat.runtime.store.transaction() as tx:
        return await audit.verify(tx, processes=processes)


FORGED = (
    "INSERT INTO audit_entries (seq, at, actor, platform, channel, event, skill, action_id,"
    " outcome, detail, prev_hash, hash) VALUES ({seq}, '2026-11-26 17:00:00.000000', 'mallory',"
    " 'test', 'direct', 'action.finished', NULL, NULL, 'ok', '{{}}', '{prev}', '{own}')"
)


async def forge(chat: Chat, seq: int) -> str:
    """A self-consistent entry at `seq` following entry seq-1: what a careful forger writes."""
    async with chat.runtime.store.transaction() as tx:
        prev = (await tx.exec(text(f"SELECT hash FROM audit_entries WHERE seq = {seq - 1}"))).one()
    record = audit.AuditRecord("mallory", "action.finished", "test", "direct", outcome="ok")
    at = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)
    own = audit.entry_hash(seq, at, record, "{}", prev[0])
    return FORGED.format(seq=seq, prev=prev[0], own=own)


@pytest.mark.parametrize("processes", [1, 3], ids=["one walk", "three parallel ranges"])
@pytest.mark.parametrize("tamper", ["edit", "delete", "insert", "append", "swap", "renumber"])
async def test_verify_names_the_first_tampered_entry(
    chat: Chat, tamper: str, processes: int, caplog: pytest.LogCaptureFixture, database_url: str
) -> None:
    """With three ranges (SQLite only; elsewhere one walk) the tampering sits at or next to
    a range boundary, and the verdict must be the one a single walk gives."""
    await some_history(chat)
    before = await verified(chat, processes)
    assert before.ok and before.checked > 8
    last = before.checked
    match tamper:
        case "edit":
            await run_sql(chat, "UPDATE audit_entries SET actor = 'mallory' WHERE seq = 4")
            expected, words = 4, "entry 4 was edited"
        case "delete":
            await run_sql(chat, "DELETE FROM audit_entries WHERE seq = 4")
            expected, words = 4, "entry 4 is missing"
        case "renumber":  # delete and close the gap, so the sequence looks whole
            await run_sql(
                chat,
                "DELETE FROM audit_entries WHERE seq = 4",
                "UPDATE audit_entries SET seq = seq + 1000 WHERE seq > 4",
                "UPDATE audit_entries SET seq = seq - 1001 WHERE seq > 1000",
            )
            expected, words = 4, "entry 4 does not follow entry 3"
        case "insert":  # make room at 4 and put a forged, self-consistent entry there
            await run_sql(
                chat,
                "UPDATE audit_entries SET seq = seq + 1000 WHERE seq >= 4",
                "UPDATE audit_entries SET seq = seq - 999 WHERE seq > 1000",
                await forge(chat, 4),
            )
            expected, words = 4, "entry 4 was inserted"
        case "append":
            await run_sql(chat, await forge(chat, last + 1))
            expected, words = last + 1, f"entry {last + 1} was inserted after the last"
        case "swap":
            await run_sql(
                chat,
                "UPDATE audit_entries SET seq = -1 WHERE seq = 4",
                "UPDATE audit_entries SET seq = 4 WHERE seq = 6",
                "UPDATE audit_entries SET seq = 6 WHERE seq = -1",
            )
            expected, words = 4, "entry 4 does not follow entry 3"
    caplog.set_level(logging.DEBUG, logger="chatbot.governance.audit")
    after = await verified(chat, processes)
    if processes > 1 and database_url.startswith("sqlite"):
        assert "in 3 processes" in caplog.text and "audit walk of entries" not in caplog.text
    assert not after.ok
    assert after.bad_seq == expected, after.problem
    assert words in after.problem


@pytest.mark.parametrize("python", ["/nonexistent/python", "/bin/false"])
async def test_verify_walks_here_when_its_processes_cannot_run(
    chat: Chat, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, python: str
) -> None:
    await some_history(chat)
    await run_sql(chat, "UPDATE audit_entries SET actor = 'mallory' WHERE seq = 5")
    monkeypatch.setattr(sys, "executable", python)
    after = await verified(chat, processes=2)
    assert (after.ok, after.bad_seq) == (False, 5), after.problem
    if chat.runtime.store.dialect == "sqlite":
        assert "audit walk of entries 1.." in caplog.text


@pytest.mark.parametrize("processes", [1, 3], ids=["one walk", "three parallel ranges"])
async def test_verify_sees_one_moment_and_blocks_no_writer(chat: Chat, processes: int) -> None:
    """A verify of a busy chain: entries appended after its snapshot was taken are neither
    waited for (the append below would stall 10 s and fail on SQLite's write lock) nor
    mistaken for entries inserted after the last recorded append (PostgreSQL's read
    committed showed them to later batches)."""
    await some_history(chat)
    record = audit.AuditRecord("alice", "test.event", "test", "direct")
    async with chat.runtime.store.snapshot() as tx:
        before = (await tx.exec(text("SELECT count(*) FROM audit_entries"))).one()[0]  # type: ignore[call-overload]
        async with asyncio.timeout(5):
            async with chat.runtime.store.transaction() as writer:
                await audit.append_many(writer, [record, record, record])
        result = await audit.verify(tx, processes=processes)
    assert result.ok, result.problem
    assert result.checked == before
    assert (await verified(chat)).checked == before + 3


def cli(data_dir: Path, url: str, *args: str) -> tuple[int, str, str]:
    import subprocess

    env = {**os.environ, "CHATOPS_DATABASE_URL": url, "CHATOPS_DATA_DIR": str(data_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "chatbot.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout, done.stderr


async def test_cli_verify_and_export(chat: Chat, database_url: str, tmp_path: Path) -> None:
    await some_history(chat)
    code, out, _ = await asyncio.to_thread(cli, tmp_path, database_url, "audit", "verify")
    assert code == 0 and "intact" in out
    code, out, _ = await asyncio.to_thread(
        cli, tmp_path, database_url, "audit", "verify", "--processes", "2"
    )
    assert code == 0 and "intact" in out
    code, _, err = await asyncio.to_thread(
        cli, tmp_path, database_url, "audit", "verify", "--processes", "0"
    )
    assert code == 2 and "'0' is not a whole number of 1 or more" in err
    future = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    code, out, _ = await asyncio.to_thread(cli, tmp_path, database_url, "audit", "export")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [e["seq"] for e in lines] == list(range(1, len(lines) + 1))
    assert {"seq", "at", "actor", "event", "platform", "channel", "outcome", "hash"} <= set(
        lines[0]
    )
    code, out, _ = await asyncio.to_thread(
        cli, tmp_path, database_url, "audit", "export", "--since", future
    )
    assert code == 0 and out == ""
    code, out, _ = await asyncio.to_thread(
        cli, tmp_path, database_url, "audit", "export", "--since", "yesterday"
    )
    assert code == 0 and len(out.splitlines()) == len(lines)  # everything is from today
    code, _, err = await asyncio.to_thread(
        cli, tmp_path, database_url, "audit", "export", "--since", "last tuesday"
    )
    assert code == 2 and "is not a time" in err
    await run_sql(chat, "UPDATE audit_entries SET outcome = 'ok' WHERE seq = 3")
    code, _, err = await asyncio.to_thread(cli, tmp_path, database_url, "audit", "verify")
    assert code == 1 and "broken at entry 3" in err and "edited" in err


async def test_secrets_are_redacted_before_storing(chat: Chat) -> None:
    token = "xoxb-123456789012-abcdefghijklmnop"
    await chat.say("alice", f"reset my vpn, my slack token is {token} and password: hunter2")
    await chat.say("bob", f"Bearer {token}")
    await chat.say("erin", "reset the vpn for bob, his password is Tr0ub4dor&3")
    async with chat.runtime.store.transaction() as tx:
        rows = (await tx.exec(text("SELECT * FROM audit_entries"))).all()  # type: ignore
    stored = json.dumps([list(map(str, row)) for row in rows])
    assert token not in stored and "hunter2" not in stored and "Tr0ub4dor" not in stored
    assert "[redacted]" in stored
    assert (await verified(chat)).ok


async def test_appends_from_several_processes_never_fork(chat: Chat, database_url: str) -> None:
    await some_history(chat)
    before = (await verified(chat)).checked
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable, str(HERE / "gov_append_worker.py"), database_url, f"w{n}", "60"
        )
        for n in range(4)
    ]
    # ... while this process appends too, through the assistant
    await asyncio.gather(*(chat.say("alice", "reset my vpn") for _ in range(10)))
    assert [await w.wait() for w in workers] == [0, 0, 0, 0]
    after = await verified(chat)
    assert after.ok, after.problem
    assert after.checked >= before + 4 * 60 + 10


async def test_a_head_another_writer_moved_is_read_again_not_forked(
    chat: Chat, database_url: str
) -> None:
    """Each process appends from the head it last saw without reading it; a head moved by
    another process, or left behind by a rollback of ours, is read again before linking."""

    class Undone(Exception):
        pass

    def step(name: str, n: int) -> audit.AuditRecord:
        return audit.AuditRecord(name, "test.append", "test", "here", outcome=str(n))

    ours, other = chat.runtime.store, Store(database_url)
    try:
        for n in range(3):  # alternate: every append finds the head moved by the other
            for store, name in ((ours, "ours"), (other, "other")):
                async with store.transaction() as tx:
                    await audit.append(tx, step(name, n))
        with pytest.raises(Undone):  # ours learns a head that is never committed...
            async with ours.transaction() as tx:
                await audit.append(tx, step("ours", 99))
                raise Undone
        async with other.transaction() as tx:  # ... and the other commits that same seq
            taken = await audit.append(tx, step("other", 99))
        async with ours.transaction() as tx:
            after = await audit.append(tx, step("ours", 100))
    finally:
        await other.close()
    assert after.seq == taken.seq + 1
    checked = await verified(chat)
    assert checked.ok, checked.problem
    assert checked.checked == after.seq


async def test_many_transactions_of_one_process_append_without_retrying(chat: Chat) -> None:
    """Twenty transactions at once, each appending twice with a pause between (another
    statement, on a real path): every one links once, from the head its predecessor
    left, instead of waiting for a head that a third transaction then moves."""
    store, statements = chat.runtime.store, []

    def seen(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if "audit_head" in statement:  # the swap (PostgreSQL: the CTE) or the locked read
            statements.append(statement.split()[0])

    async def one(n: int) -> None:
        async with store.transaction() as tx:
            await audit.append(tx, audit.AuditRecord("ours", "test.append", "t", "c", None))
            await asyncio.sleep(0.01)
            await audit.append(tx, audit.AuditRecord("ours", "test.again", "t", "c", str(n)))

    await one(-1)  # this process learns the head
    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        await asyncio.gather(*(one(n) for n in range(20)))
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)
    swaps = [s for s in statements if s in ("UPDATE", "WITH")]
    assert len(swaps) == 40  # one per append: none failed and was tried again
    checked = await verified(chat)
    assert checked.ok, checked.problem


async def test_every_step_is_recorded_with_who_what_where(chat: Chat) -> None:
    asked = await chat.say("carol", "deploy payments-api 2.3.1 to prod")
    sent = await chat.click("carol", asked, "Send for approval")
    await chat.click("dave", sent, "Approve")
    action_id = sent[0].action_id
    again = await chat.say("carol", "deploy payments-api 2.3.1 to prod")
    resent = await chat.click("carol", again, "Send for approval")
    failed = await chat.click("dave", resent, "Approve")  # the same version: the skill refuses
    assert "already running" in failed[1].text
    async with chat.runtime.store.transaction() as tx:
        entries = [e async for e in audit.entries(tx)]
    steps = [(e.event, e.actor, e.outcome) for e in entries if e.action_id == action_id]
    assert steps == [  # each step with the state it moved the action to
        ("action.requested", "carol", "awaiting_confirmation"),
        ("action.confirmed", "carol", "awaiting_approval"),
        ("action.approved", "dave", "approved"),
        ("action.started", "carol", "running"),
        ("action.finished", "carol", "succeeded"),
    ]
    events = [e.event for e in entries]
    assert events[:3] == ["message.received", "understood", "decided"]
    assert "action.failed" in events
    decided = next(e for e in entries if e.event == "decided")
    assert decided.platform == "test" and decided.channel == "direct" and decided.skill == "deploy"
    assert "policy[0]" in decided.detail and decided.outcome == "approve"


@pytest.mark.parametrize("micro", [0, 50_000, 123_456])
async def test_entries_read_back_as_written_and_verify(
    chat: Chat, monkeypatch: pytest.MonkeyPatch, micro: int
) -> None:
    """Appends store times the way the ORM does, whole seconds included (isoformat drops a
    zero fraction, so a mismatch here would show only as a 'tampered' entry)."""
    at = datetime(2026, 11, 26, 17, 0, 5, micro, tzinfo=UTC)
    monkeypatch.setattr(audit, "utcnow", lambda: at)
    record = audit.AuditRecord("alice", "test.event", "test", "direct", detail={"k": "v"})
    async with chat.runtime.store.transaction() as tx:
        written = await audit.append_many(tx, [record, record])
    async with chat.runtime.store.transaction() as tx:
        stored = [entry async for entry in audit.entries(tx) if entry.seq >= written[0].seq]
    assert [(e.seq, e.at, e.hash) for e in stored] == [(w.seq, at, w.hash) for w in written]
    assert (await verified(chat)).ok
