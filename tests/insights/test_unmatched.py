"""Requests nobody could serve: read from the audit trail, grouped, drafted into a skill."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from chatbot.insights.draft import draft_manifest, skill_name
from chatbot.insights.unmatched import Asked, group, unmatched, unmatched_groups
from chatbot.store.engine import Store
from skills.manifest import ManifestError
from skills.manifest.load import parse_manifest
from tests.insights.fixture import MONDAY, seed

WORK_ITEMS = ("ticket", "incident", "issue")
CORPORA = Path(__file__).parents[2] / ".." / "shared" / "corpora"
SAID = [
    Asked("my printer is jammed again", 9),
    Asked("printer jammed", 4),
    Asked("the printer on the 3rd floor is jammed", 2),
    Asked("printers jam all the time", 1),
    Asked("my second monitor is not detected", 5),
    Asked("second monitor not detected after update", 3),
    Asked("external monitor not detected", 2),
    Asked("outlook keeps asking for my password", 4),
    Asked("outlook asks for password again and again", 2),
    Asked("can i get a new laptop charger", 3),
    Asked("need a replacement charger for my laptop", 1),
]


def _corpus(name: str) -> list[tuple[str, str]]:
    path = CORPORA / name
    if not path.exists():
        pytest.skip(f"{path} is not here")
    rows = [line.rstrip("\n").split("\t") for line in path.read_text("utf-8").splitlines()]
    return [(r[0], r[2]) for r in rows if len(r) == 3]


def test_the_same_request_said_many_ways_is_one_group() -> None:
    groups = group(SAID)
    by_title = {g.title: g for g in groups}
    assert groups[0].title == "my printer is jammed again"
    assert by_title["my printer is jammed again"].count == 16
    assert [a.text for a in by_title["my second monitor is not detected"].examples] == [
        "my second monitor is not detected",
        "second monitor not detected after update",
        "external monitor not detected",
    ]
    assert by_title["outlook keeps asking for my password"].count == 6
    assert by_title["can i get a new laptop charger"].count == 4
    assert len(groups) == 4


def test_groups_of_everyday_requests_hold_one_intent_each() -> None:
    """CLINC150 out-of-scope lines (labelled by intent): the ten largest groups are mostly
    one intent each, and most lines of an intent land in one group."""
    lines = defaultdict(list)
    for text, source in _corpus("negatives-dev.tsv"):
        lines[source].append(text)
    intents = sorted(s for s in lines if len(lines[s]) >= 40)[:12]
    label = {t: s for s in intents for t in lines[s][:25]}
    groups = group([Asked(t, 1) for t in label])
    largest = groups[:10]
    pure = sum(Counter(label[a.text] for a in g.examples).most_common(1)[0][1] for g in largest)
    assert pure / sum(g.count for g in largest) >= 0.8
    assert len(groups) < len(label) / 2


def test_service_desk_requests_group_by_what_they_ask() -> None:
    """The IT requests corpus: the largest groups are about tickets, and "help" in its many
    forms is a group of its own."""
    rows = _corpus("requests-dev.tsv")
    largest = group([Asked(t.lower(), 1) for t, _ in rows])[:3]
    helps = [g for g in largest if all("help" in a.text for a in g.examples)]
    assert len(helps) == 1 and helps[0].count >= 8
    for tickets in (g for g in largest if g not in helps):
        about = [a for a in tickets.examples if any(w in a.text for w in WORK_ITEMS)]
        assert len(about) >= 0.8 * tickets.count >= 5


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    store = Store(database_url)
    await store.migrate()
    await seed(store)
    yield store
    await store.close()


async def test_unmatched_it_requests_come_from_the_audit_trail(store: Store) -> None:
    week = (MONDAY, MONDAY + timedelta(days=7))
    asked = await unmatched(store, *week)
    assert {a.text: a.count for a in asked} == {
        "my printer is jammed again": 2,
        "the printer on floor 3 is jammed": 1,
        "second monitor not detected": 1,
        "my second monitor is not detected": 1,
    }
    everything = await unmatched(store, *week, it_only=False)
    assert "thanks!" in {a.text for a in everything}
    groups = await unmatched_groups(store, *week)
    assert [(g.title, g.count) for g in groups] == [
        ("my printer is jammed again", 3),
        ("my second monitor is not detected", 2),
    ]
    assert await unmatched(store, MONDAY - timedelta(days=7), MONDAY) == []


FILLED = """\
action:
  connector: servicenow
  method: POST
  path: /api/now/table/incident
  body:
    short_description: "{requester.name}: printer jammed"
"""


def _fill(draft: str) -> str:
    """What the admin does: the commented action replaced by a real one."""
    head, rest = draft.split("action:\n", 1)
    tail = "\n".join(line for line in rest.splitlines() if not line.startswith("  #"))
    return head + FILLED + tail + "\n"


def test_a_drafted_skill_needs_its_action_and_then_parses() -> None:
    printers = group(SAID)[0]
    draft = draft_manifest(printers)
    with pytest.raises(ManifestError, match="give either action"):
        parse_manifest(draft, "draft.yaml")
    manifest = parse_manifest(_fill(draft), "draft.yaml").model
    assert manifest.name == "printer.jammed"
    assert manifest.title == "Printer jammed"
    assert manifest.examples[:2] == ("my printer is jammed again", "printer jammed")
    assert manifest.requires == "confirm"
    assert "FILL IN" in manifest.description  # the admin still has to say what it does


def test_drafts_keep_odd_texts_and_avoid_names_in_use() -> None:
    odd = group([Asked('vpn: "error 809" #again', 3), Asked("vpn error 809", 1)])[0]
    draft = draft_manifest(odd, taken=["vpn.error"])
    data = yaml.safe_load(draft)
    assert data["examples"] == ['vpn: "error 809" #again', "vpn error 809"]
    assert data["name"] == "vpn.error2"
    assert parse_manifest(_fill(draft), "draft.yaml").model.name == "vpn.error2"
    assert skill_name(group([Asked("???", 1)])[0]) == "request"
