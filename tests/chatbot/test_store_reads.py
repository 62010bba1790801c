"""Reads never wait for a writer; the store uses public SQLAlchemy only."""

from __future__ import annotations

import ast
import asyncio
import sqlite3
import time
from pathlib import Path

from sqlalchemy import text

from chatbot.store.engine import Store

ROOT = Path(__file__).resolve().parents[2]


async def test_reads_and_readiness_do_not_wait_for_a_held_write_lock(tmp_path: Path) -> None:
    """Another process's connection holds the write lock for a second (BEGIN IMMEDIATE and a
    write); `read()`, `snapshot()` and `ping()` still answer at once, from the last commit."""
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    await store.migrate()
    async with store.transaction() as tx:
        await tx.exec(text("INSERT INTO kv_items VALUES ('t', 'k', 'old', CURRENT_TIMESTAMP)"))  # type: ignore[call-overload]
    other = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE kv_items SET value = 'new'")
    try:
        started = time.perf_counter()
        await store.ping()
        async with store.read() as tx:
            (seen,) = (await tx.exec(text("SELECT value FROM kv_items"))).one()  # type: ignore[call-overload]
        async with store.snapshot() as tx:
            (snap,) = (await tx.exec(text("SELECT value FROM kv_items"))).one()  # type: ignore[call-overload]
        async with store.transaction(readonly=True) as tx:
            await tx.exec(text("SELECT value FROM kv_items"))  # type: ignore[call-overload]
        plain = await store.rows(text("SELECT value FROM kv_items"))
        took = time.perf_counter() - started
    finally:
        other.execute("COMMIT")
        other.close()
    await store.close()
    assert seen == snap == plain[0][0] == "old"
    assert took < 1.0, f"reads waited {took:.2f} s for the writer"


async def test_a_writer_does_wait_for_the_write_lock(tmp_path: Path) -> None:
    """The contrast that makes the test above mean something: `transaction()` begins with
    BEGIN IMMEDIATE, so it queues until the other connection commits, then sees its write."""
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    await store.migrate()
    other = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO kv_items VALUES ('t', 'k', 'theirs', CURRENT_TIMESTAMP)")
    loop = asyncio.get_running_loop()
    loop.call_later(0.5, lambda: (other.execute("COMMIT"), other.close()))
    started = time.perf_counter()
    async with store.transaction() as tx:
        rows = (await tx.exec(text("SELECT value FROM kv_items"))).all()  # type: ignore[call-overload]
    took = time.perf_counter() - started
    await store.close()
    assert [r[0] for r in rows] == ["theirs"] and took >= 0.4


def test_nothing_imports_a_private_sqlalchemy_name() -> None:
    """`from sqlalchemy.x import _y`, `sqlalchemy.x._y`, or a module path with a private part:
    none in the project's packages (private names break on versions the ranges allow)."""
    offenders = []
    for package in ("chatbot", "intents", "skills"):
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text("utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    ("sqlalchemy", "sqlmodel")
                ):
                    parts = (node.module or "").split(".")
                    names = [alias.name for alias in node.names]
                    if any(p.startswith("_") for p in parts + names):
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
                elif isinstance(node, ast.Import):
                    for alias in node.names:
                        if alias.name.startswith("sqlalchemy") and "._" in alias.name:
                            offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
    assert not (ROOT / "chatbot" / "store" / "sqlite.py").exists()
