"""`chatops incidents ...`, `chatops kpi` and the postmortem, as an on-call engineer uses them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chatbot.cli import main
from chatbot.config import IncidentSettings
from chatbot.governance.clock import ManualClock
from chatbot.incidents.book import IncidentBook
from chatbot.incidents.payloads import Source, parse
from chatbot.store.engine import Store
from chatbot.store.tables import Action
from tests.incidents.payloads import alert, alertmanager, minutes

START = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


@pytest.fixture
async def seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """One incident on checkout/prod, 8 minutes after bob's deploy, acknowledged after 3
    minutes and resolved by its alert 42 minutes after impact began."""
    monkeypatch.setenv("CHATOPS_DATA_DIR", str(tmp_path))
    store = Store(f"sqlite:///{tmp_path / 'chatops.db'}")
    await store.migrate()
    clock = ManualClock(START + minutes(1))
    book = IncidentBook(store, IncidentSettings(), clock)
    deployed = START - minutes(8)
    async with store.transaction() as tx:
        tx.add(
            Action(
                requester="bob",
                skill="deploy",
                state="succeeded",
                platform="web",
                channel="web",
                slots=json.dumps({"service": "checkout", "env": "prod", "version": "2.4.1"}),
                created_at=deployed,
                updated_at=deployed,
            )
        )
    await book.ingest(parse(Source.ALERTMANAGER, alertmanager([alert("firing", START)])))
    clock.advance(minutes=3)
    from chatbot.incidents.book import IncidentState

    await book.move(1, IncidentState.ACKNOWLEDGED, "carol")
    await book.ingest(
        parse(
            Source.ALERTMANAGER,
            alertmanager([alert("resolved", START, ends=START + minutes(42))]),
        )
    )
    await store.close()
    return tmp_path


def test_list_show_and_postmortem(seeded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["incidents", "list"]) == 0
    assert "No open incidents." in capsys.readouterr().out
    assert main(["incidents", "list", "--all", "--json"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line)["id"] == "INC-1" and json.loads(line)["state"] == "resolved"

    assert main(["incidents", "show", "INC-1", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    first = shown["suspected_changes"][0]
    assert (first["skill"], first["version"], first["by"]) == ("deploy", "2.4.1", "bob")
    assert first["minutes_before_impact"] == 8.0

    assert main(["incidents", "postmortem", "1"]) == 0
    report = capsys.readouterr().out
    assert "# Postmortem: INC-1 HighErrorRate" in report
    assert "(42 min)" in report
    assert "acknowledged by carol" in report
    assert "HighErrorRate fired on checkout prod" in report
    assert "deploy checkout 2.4.1 prod by bob, 8 min before impact" in report


def test_kpi_json_keys_end_in_their_unit(seeded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kpi", "--since", "2026-11-01", "--json"]) == 0
    kpi = json.loads(capsys.readouterr().out)
    assert kpi["mtta_seconds"]["mean"] == 180.0
    assert kpi["mttr_seconds"] == {"mean": 2520.0, "median": 2520.0, "p90": 2520.0}
    assert kpi["change_failure_rate"] == 1.0  # the deploy was followed by an incident
    assert kpi["noise_reduction"] == 0.5  # two deliveries, one incident
    assert main(["kpi", "--since", "2026-11-01"]) == 0
    assert "Time to resolve: mean 42 min" in capsys.readouterr().out


def test_people_ack_and_resolve_from_the_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CHATOPS_DATA_DIR", str(tmp_path))
    assert main(["incidents", "ack", "INC-4", "--as", "carol@example.com"]) == 1  # not found
    assert "no incident INC-4" in capsys.readouterr().err
    assert main(["incidents", "ack", "x", "--as", "carol"]) == 2
    assert main(["incidents", "ack", "1", "--as", "mallory"]) == 2
    assert main(["kpi", "--since", "last tuesday"]) == 2
    assert "not a time" in capsys.readouterr().err
