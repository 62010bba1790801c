"""Issue 18 item 6: `chatops audit report` lists every production change of a seeded month
with its requester and approver, keeps non-production changes out, shows grants and
removals, the segregation of duties, the chain status at the top, and the control mapping
with what is not evidenced. The month is made through Assistant.handle (the chat harness);
the report through `chatops` itself (cli.main)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest

from chatbot.cli import main
from chatbot.testing import Chat, text_of
from chatbot.types import utcnow


async def _approved(chat: Chat, who: str, text: str, verdict: str = "Approve") -> int:
    asked = await chat.say(who, text)
    sent = await chat.click(who, asked, "Send for approval")
    cards = [r for r in sent if r.to == "dave"]
    assert cards, text_of(sent)
    decided = await chat.click("dave", cards, verdict)
    assert cards[0].action_id is not None, text_of(decided)
    return cards[0].action_id


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHATOPS_DATABASE_URL", database_url)
    monkeypatch.setenv("CHATOPS_DATA_DIR", str(tmp_path))


async def _report(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = await asyncio.to_thread(main, ["audit", "report", *args])
    return code, capsys.readouterr().out


async def test_the_soc2_report_of_a_month_lists_every_production_change_with_its_approver(
    chat: Chat, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    prod = [
        await _approved(chat, "carol", "deploy payments-api 2.3.1 to prod"),
        await _approved(chat, "carol", "deploy checkout 1.4.0 to prod"),
    ]
    refused = await _approved(chat, "carol", "deploy search 9.9.9 to prod", "Reject")
    staging = await chat.say("bob", "deploy web 1.0.0 to staging")
    await chat.click("bob", staging, "Confirm")
    await _approved(chat, "alice", "give me access to grafana for 2 hours")
    assert await chat.runtime.revoker.sweep(utcnow() + timedelta(hours=3)) == 1
    await _approved(chat, "alice", "give me access to prod-db for 2 hours")
    removed = await chat.say("alice", "remove my access to prod-db")
    assert "prod-db" in text_of(await chat.click("alice", removed, "Confirm"))

    code, out = await _report(capsys, "--framework", "soc2", "--since", "30d", "--format", "json")
    assert code == 0, out
    found = json.loads(out)
    assert found["chain"].startswith("intact")
    listed = {c["id"]: c for c in found["changes"]}
    assert set(listed) == {*prod, refused}
    for action_id in prod:
        change = listed[action_id]
        assert change["requester"] == "carol" and change["approvers"] == ["dave"]
        assert change["outcome"] == "succeeded" and change["calendar"] == "open"
        assert change["ran"] and change["exceptions"] == []
    assert listed[refused]["outcome"] == "rejected" and listed[refused]["approvers"] == []
    assert all("staging" not in c["target"] for c in found["changes"])
    kinds = [(a["kind"], a["person"], a["resource"]) for a in found["access"]]
    assert ("grant", "alice", "grafana") in kinds and ("removal", "alice", "grafana") in kinds
    assert ("grant", "alice", "prod-db") in kinds and ("removal", "alice", "prod-db") in kinds
    assert found["self_approvals"] == []
    status = {r["control"]: r["status"] for r in found["controls"]}
    assert status["CC8.1"] == "evidenced" and status["CC6.1"] == "evidenced"
    assert status["CC6.4"] == "not evidenced" and status["CC7.2"] == "evidenced"

    code, md = await _report(capsys, "--framework", "soc2", "--since", "30d")
    assert code == 0
    assert md.index("Audit chain: intact") < md.index("## Change management")
    assert "Latest signed checkpoint:" in md
    for action_id in prod:
        assert f"| {action_id} | deploy " in md and "| carol | dave |" in md
    assert "No request was approved by its requester." in md

    code, table = await _report(
        capsys, "--framework", "iso27001", "--since", "30d", "--format", "csv"
    )
    rows = list(csv.DictReader(io.StringIO(table)))
    changes = [r for r in rows if r["section"] == "change"]
    assert {int(r["id"]) for r in changes} == {*prod, refused}
    controls = {r["id"]: r["status"] for r in rows if r["section"] == "control"}
    assert controls["A.8.32"] == "evidenced" and controls["A.5.17"] == "not evidenced"


async def test_a_quiet_period_says_no_records_rather_than_evidenced(
    chat: Chat, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = await _report(capsys, "--framework", "soc2", "--since", "1d", "--format", "json")
    assert code == 0
    status = {r["control"]: r["status"] for r in json.loads(out)["controls"]}
    assert status["CC8.1"] == "no records in the period"


async def test_bad_dates_are_exit_2_with_one_line(
    chat: Chat, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code = await asyncio.to_thread(
        main, ["audit", "report", "--framework", "soc2", "--since", "last tuesday"]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "not a time" in err and "Traceback" not in err
    code = await asyncio.to_thread(
        main,
        [
            "audit",
            "report",
            "--framework",
            "soc2",
            "--since",
            "2026-02-01",
            "--until",
            "2026-01-01",
        ],
    )
    assert code == 2 and "--until must be after --since" in capsys.readouterr().err
