"""Signed audit checkpoints (issue 10, items 17 and 18): `chatops audit verify` fails, naming
what it found, on a cut tail, a wipe, a re-hashed chain, a missing checkpoint, a dropped
table and an edited head row; `chatops audit checkpoint` signs the head on demand."""

from __future__ import annotations

import asyncio
import http.server
import json
import socket
import threading
import time
from pathlib import Path
from typing import ClassVar

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from chatbot.cli import main
from chatbot.governance import audit, checkpoint
from chatbot.store.tables import AuditEntry
from chatbot.testing import Chat

LOG = "audit-checkpoints.jsonl"


@pytest.fixture
def cli(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    database_url: str,
    tmp_path: Path,
):  # type: ignore[no-untyped-def]
    """`chatops ARGS` on the chat's database and data folder: (exit code, stdout, stderr)."""
    monkeypatch.setenv("CHATOPS_DATABASE_URL", database_url)
    monkeypatch.setenv("CHATOPS_DATA_DIR", str(tmp_path))

    async def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = await asyncio.to_thread(main, list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


async def history(chat: Chat) -> None:
    await chat.click("alice", await chat.say("alice", "reset my vpn"), "Confirm")
    await chat.say("bob", "deploy web 5.2.0 to dev")


async def run_sql(chat: Chat, *statements: str) -> None:
    async with chat.runtime.store.transaction() as tx:
        for statement in statements:
            await tx.exec(text(statement))  # type: ignore[call-overload]


async def hash_of(chat: Chat, seq: int) -> str:
    async with chat.runtime.store.transaction() as tx:
        row = (await tx.exec(text(f"SELECT hash FROM audit_entries WHERE seq = {seq}"))).one()  # type: ignore[call-overload]
        return str(row[0])


async def head_seq(chat: Chat) -> int:
    async with chat.runtime.store.transaction() as tx:
        return int((await tx.exec(text("SELECT seq FROM audit_head"))).one()[0])  # type: ignore[call-overload]


async def test_checkpoint_on_demand_is_signed_and_verify_uses_it(
    chat: Chat, cli, tmp_path: Path
) -> None:
    await history(chat)
    code, out, _ = await cli("audit", "checkpoint")
    assert code == 0 and "audit checkpoint signed: entry" in out
    lines = [json.loads(line) for line in (tmp_path / LOG).read_text().splitlines()]
    assert lines[-1]["seq"] == await head_seq(chat)
    assert [entry["number"] for entry in lines] == list(range(1, len(lines) + 1))
    public = checkpoint.load_key(tmp_path / "audit-checkpoint.key", create=False).public_key()
    assert checkpoint.signed_by(checkpoint.read_log(tmp_path / LOG)[-1], public)
    assert (tmp_path / "audit-checkpoint.key").stat().st_mode & 0o077 == 0
    code, out, _ = await cli("audit", "verify")
    assert code == 0 and "against" in out and "signed checkpoint" in out


async def test_a_cut_tail_with_the_head_moved_back_is_found(chat: Chat, cli) -> None:
    await history(chat)
    assert (await cli("audit", "checkpoint"))[0] == 0
    last = await head_seq(chat)
    keep = last - 3
    digest = await hash_of(chat, keep)
    await run_sql(
        chat,
        f"DELETE FROM audit_entries WHERE seq > {keep}",
        f"UPDATE audit_head SET seq = {keep}, hash = '{digest}' WHERE id = 1",
    )
    async with chat.runtime.store.transaction() as tx:
        assert (await audit.verify(tx)).ok  # the chain alone cannot see it
    code, _, err = await cli("audit", "verify")
    assert code == 1
    assert f"truncated: it ends at entry {keep}" in err and f"covers entry {last}" in err
    assert len(err.strip().splitlines()) == 1


async def test_a_wiped_trail_is_found(chat: Chat, cli) -> None:
    await history(chat)
    assert (await cli("audit", "checkpoint"))[0] == 0
    await run_sql(
        chat, "DELETE FROM audit_entries", "UPDATE audit_head SET seq = 0, hash = '' WHERE id = 1"
    )
    code, _, err = await cli("audit", "verify")
    assert code == 1 and "wiped" in err


async def test_an_edited_and_rehashed_chain_is_found(chat: Chat, cli) -> None:
    await history(chat)
    assert (await cli("audit", "checkpoint"))[0] == 0
    # The careful forger: edit entry 3, then recompute every hash after it and the head.
    async with chat.runtime.store.transaction() as tx:
        rows = list((await tx.exec(select(AuditEntry).order_by(col(AuditEntry.seq)))).all())
        prev = ""
        for entry in rows:
            if entry.seq == 3:
                entry.actor = "mallory"
            entry.prev_hash = prev
            entry.hash = audit.entry_hash(entry.seq, entry.at, entry, entry.detail, prev)
            prev = entry.hash
            tx.add(entry)
        await tx.flush()
        await tx.exec(text(f"UPDATE audit_head SET hash = '{prev}' WHERE id = 1"))  # type: ignore[call-overload]
    async with chat.runtime.store.transaction() as tx:
        assert (await audit.verify(tx)).ok
    code, _, err = await cli("audit", "verify")
    assert code == 1 and "rewritten and re-hashed" in err


async def test_a_checkpoint_deleted_from_the_log_is_found(chat: Chat, cli, tmp_path: Path) -> None:
    await history(chat)
    for _ in range(2):
        assert (await cli("audit", "checkpoint"))[0] == 0
    log = tmp_path / LOG
    lines = log.read_text().splitlines(keepends=True)
    log.write_text("".join(lines[:1] + lines[2:]))
    code, _, err = await cli("audit", "verify")
    assert code == 1 and "checkpoint 2 is missing" in err


async def test_entries_no_checkpoint_covered_in_time_are_found(
    chat: Chat, cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last checkpoint was removed along with nothing else: the entries it covered are
    now older than twice the checkpoint interval, and nothing signed them."""
    await history(chat)
    assert (await cli("audit", "checkpoint"))[0] == 0
    log = tmp_path / LOG
    log.write_text("".join(log.read_text().splitlines(keepends=True)[:-1]))
    monkeypatch.setenv("CHATOPS_AUDIT_CHECKPOINTS__EVERY_MINUTES", "0.01")
    time.sleep(1.5)
    code, _, err = await cli("audit", "verify")
    assert code == 1 and "a checkpoint is missing" in err and "were not covered" in err


async def test_a_missing_checkpoint_log_is_found(chat: Chat, cli, tmp_path: Path) -> None:
    await history(chat)
    (tmp_path / LOG).unlink()
    code, _, err = await cli("audit", "verify")
    assert code == 1 and "no checkpoint" in err and "missing" in err


@pytest.mark.parametrize("table", ["audit_entries", "audit_head"])
async def test_verify_on_a_dropped_table_is_one_line_and_exit_1(
    chat: Chat, cli, table: str
) -> None:
    await history(chat)
    await run_sql(chat, f"DROP TABLE {table}")
    code, out, err = await cli("audit", "verify")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and table in err and "missing" in err
    assert "Traceback" not in err


async def test_an_edit_of_the_head_row_alone_is_named_as_such(chat: Chat, cli) -> None:
    await history(chat)
    last = await head_seq(chat)
    await run_sql(chat, f"UPDATE audit_head SET seq = {last + 5} WHERE id = 1")
    code, _, err = await cli("audit", "verify")
    assert code == 1 and "head row was edited" in err and "removed" not in err
    await run_sql(chat, f"UPDATE audit_head SET seq = {last}, hash = 'ab' WHERE id = 1")
    code, _, err = await cli("audit", "verify")
    assert code == 1 and "head row was edited" in err and "removed" not in err


class Collector(http.server.BaseHTTPRequestHandler):
    """A stand-in for an append-only HTTP collector: keeps every body it is sent."""

    bodies: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:  # the http.server API names it
        length = int(self.headers.get("content-length", "0"))
        self.bodies.append(self.rfile.read(length))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


async def test_checkpoints_also_go_to_syslog_and_http(
    chat: Chat, cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    await history(chat)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    syslog = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    syslog.bind(("127.0.0.1", 0))
    syslog.settimeout(10)
    try:
        monkeypatch.setenv("CHATOPS_AUDIT_CHECKPOINTS__SINKS", '["file", "syslog", "http"]')
        monkeypatch.setenv(
            "CHATOPS_AUDIT_CHECKPOINTS__HTTP_URL", f"http://127.0.0.1:{server.server_port}/c"
        )
        monkeypatch.setenv(
            "CHATOPS_AUDIT_CHECKPOINTS__SYSLOG_ADDRESS", f"127.0.0.1:{syslog.getsockname()[1]}"
        )
        code, out, _ = await cli("audit", "checkpoint")
        assert code == 0 and "file, syslog, http" in out
        written = checkpoint.read_log(tmp_path / LOG)[-1]
        sent = json.loads(Collector.bodies[-1])
        assert sent["seq"] == written.seq and sent["signature"] == written.signature
        datagram = syslog.recv(65536).decode()
        assert written.signature in datagram and f'"seq": {written.seq}' in datagram
    finally:
        server.shutdown()
        syslog.close()
