"""The audit page: search, chain positions, verify, exports (JSON lines and CSV)."""

from __future__ import annotations

import csv
import io
import json

from tests.console.conftest import ConsoleClient


def _some_history(console: ConsoleClient) -> None:
    asked = console.chat("alice", "reset my vpn")
    confirm = next(b for b in asked[0]["buttons"] if b["label"] == "Confirm")
    console.chat("alice", press=confirm["value"])


def test_search_by_person_skill_outcome_and_time(console: ConsoleClient) -> None:
    _some_history(console)
    page = console.get("/audit", person="alice", skill="vpn.reset", since="1h")
    assert page.status_code == 200
    assert "vpn.reset" in page.text and "alice" in page.text
    nobody = console.get("/audit", person="erin")
    assert "No entry matches" in nobody.text
    wrong = console.get("/audit", since="last tuesday-ish")
    assert wrong.status_code == 400 and "is not a time" in wrong.text
    assert 'aria-invalid="true"' in wrong.text


def test_verify_shows_the_chain_intact(console: ConsoleClient) -> None:
    _some_history(console)
    before = console.get("/audit")
    assert "Not verified by this server yet" in before.text
    checked = console.get("/audit/verify", as_="frank")
    assert checked.status_code == 200 and "Chain intact" in checked.text
    assert console.audit("console.verify")[-1]["actor"] == "frank"


def test_exports_as_json_lines_and_csv(console: ConsoleClient) -> None:
    _some_history(console)
    lines = console.get("/audit/export.jsonl", as_="frank", skill="vpn.reset")
    assert lines.headers["content-type"].startswith("application/x-ndjson")
    assert "attachment" in lines.headers["content-disposition"]
    entries = [json.loads(line) for line in lines.text.splitlines()]
    assert entries and all(e["skill"] == "vpn.reset" for e in entries)
    seqs = [e["seq"] for e in entries]
    assert seqs == sorted(seqs) and {"hash", "prev_hash", "detail"} <= set(entries[0])
    table = console.get("/audit/export.csv", skill="vpn.reset")
    assert table.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert [int(r["seq"]) for r in rows] == seqs
    assert json.loads(rows[0]["detail"]) == entries[0]["detail"]
    exported = console.audit("console.export")
    assert {e["actor"] for e in exported} >= {"frank", "dave"}
