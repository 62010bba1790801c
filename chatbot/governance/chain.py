"""Checking the audit chain with nothing but the standard library.

Each entry's hash is SHA-256 over its canonical JSON, which names the previous entry's hash;
`Walk` recomputes them in order and names the first entry that was edited, removed, added or
moved. Hashing holds one core per process, so `audit.verify` splits a long SQLite chain into
ranges and walks each in its own process (`python -m chatbot.governance.chain DB FIRST LAST`).
This module imports no engine so such a process starts in tens of milliseconds.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_encode = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) uses

# The columns a walk reads, in the order `Walk.check` unpacks them.
COLUMNS = (
    "seq, at, actor, event, platform, channel, skill, action_id, outcome, detail, prev_hash, hash"
)


def hash_body(
    seq: int,
    at: str,
    actor: str,
    event: str,
    platform: str,
    channel: str,
    skill: str | None,
    action_id: int | None,
    outcome: str,
    detail: str,
    prev: str,
) -> str:
    """The entry's canonical JSON (keys sorted, no spaces, UTF-8 kept): the one definition of
    the hashed text, for appends and walks alike. Written out by hand because it runs for
    every entry; a test checks it equals json.dumps of the same dict."""
    action = "null" if action_id is None else str(action_id)
    skill_json = "null" if skill is None else _encode(skill)
    return (
        f'{{"action_id":{action},"actor":{_encode(actor)},"at":{_encode(at)},'
        f'"channel":{_encode(channel)},"detail":{_encode(detail)},"event":{_encode(event)},'
        f'"outcome":{_encode(outcome)},"platform":{_encode(platform)},"prev":{_encode(prev)},'
        f'"seq":{seq},"skill":{skill_json}}}'
    )


def iso(at: Any) -> str:
    """`datetime.isoformat()` of a stored time: PostgreSQL returns datetimes; SQLite returns
    the text SQLAlchemy stored ("YYYY-MM-DD HH:MM:SS.ffffff", UTC), converted by slicing
    because parsing every timestamp would dominate the time a walk takes."""
    if isinstance(at, datetime):
        return at.astimezone(UTC).isoformat()
    if at.endswith(".000000") or len(at) == 19:
        return f"{at[:10]}T{at[11:19]}+00:00"
    return f"{at[:10]}T{at[11:26]}+00:00"


@dataclass(frozen=True, slots=True)
class Break:
    """The first entry that does not hold, and how many before it did."""

    checked: int
    bad_seq: int
    problem: str


class Walk:
    """A walk through entries first..end (end None: to the last row), batch by batch.

    `prev` and `before_prev` are the hashes of the two entries before `first`; a walk that
    starts mid-chain trusts them because the walk of the range before checks those entries.
    """

    def __init__(
        self, first: int = 1, prev: str = "", before_prev: str = "", end: int | None = None
    ) -> None:
        self.expected = first
        self.prev = prev
        self.before_prev = before_prev
        self.end = end
        self.done = False

    @property
    def checked(self) -> int:
        return self.expected - 1

    def check(self, rows: Iterable[Any]) -> Break | None:
        """Check a batch in sequence order; the first broken entry, or None when all hold."""
        sha256, end, body_of = hashlib.sha256, self.end, hash_body
        prev, before_prev, expected = self.prev, self.before_prev, self.expected
        try:
            for (
                seq,
                at,
                actor,
                event,
                platform,
                channel,
                skill,
                action,
                outcome,
                detail,
                back,
                own,
            ) in rows:
                if end is not None and seq == expected > end:
                    self.done = True  # the next range begins here
                    return None
                if seq != expected or back != prev:
                    return _out_of_place(seq, expected, back, before_prev)
                body = body_of(
                    seq, iso(at), actor, event, platform, channel, skill, action, outcome,
                    detail, back,
                )  # fmt: skip
                if sha256(body.encode()).hexdigest() != own:
                    return Break(
                        seq - 1, seq, f"entry {seq} was edited: its content does not match its hash"
                    )
                before_prev, prev, expected = prev, own, expected + 1
            return None
        finally:
            self.prev, self.before_prev, self.expected = prev, before_prev, expected


def _out_of_place(seq: int, expected: int, back: str, before_prev: str) -> Break:
    if seq != expected:
        problem = f"entry {expected} is missing (next is {seq}): deleted or reordered"
        return Break(expected - 1, expected, problem)
    if back == before_prev and expected > 1:
        return Break(
            seq - 2, seq - 1, f"entry {seq - 1} was inserted: entry {seq} follows the one before"
        )
    problem = (
        f"entry {seq} does not follow entry {seq - 1}: an entry was deleted "
        "or entries were reordered"
    )
    return Break(seq - 1, seq, problem)


_ROWS = f"SELECT {COLUMNS} FROM audit_entries WHERE seq >= :first ORDER BY seq"
_BEFORE = "SELECT seq, hash FROM audit_entries WHERE seq IN (:one, :two)"

Execute = Callable[[str, dict[str, int]], Iterable[Any]]


def walk(execute: Execute, first: int, end: int | None) -> Walk | Break:
    """The one walk: entries first..end (end None: to the last row), read through
    `execute(sql, params)` (sqlite3's `connection.execute`, or SQLAlchemy's with `text()`;
    both take `:name` parameters). The finished walk, or the first break. Rows stream from the
    cursor: no list of a whole batch is built."""
    hashes = {seq: own for seq, own in execute(_BEFORE, {"one": first - 1, "two": first - 2})}
    walked = Walk(first, hashes.get(first - 1, ""), hashes.get(first - 2, ""), end)
    return walked.check(execute(_ROWS, {"first": first})) or walked


def main(argv: Sequence[str]) -> int:
    """`python -m chatbot.governance.chain DB FIRST LAST`: walk one range, print the outcome
    as one JSON line (a read-only connection; nothing is written)."""
    path, first, last = argv[0], int(argv[1]), argv[2]
    uri = f"{Path(path).resolve().as_uri()}?mode=ro"
    connection = sqlite3.connect(uri, uri=True, isolation_level=None)
    try:
        connection.execute("BEGIN")
        outcome = walk(connection.execute, first, None if last == "-" else int(last))
    finally:
        connection.close()
    if isinstance(outcome, Break):
        report = {
            "checked": outcome.checked,
            "bad_seq": outcome.bad_seq,
            "problem": outcome.problem,
        }
    else:
        report = {"checked": outcome.checked, "prev": outcome.prev}
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
