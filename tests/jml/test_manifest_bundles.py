"""Issue 18 item 1, "config (and manifests) declare bundles": a skill manifest may bring
access bundles in the shape of `[bundles.NAME]`; once added (no restart), a joiner they match
gets them; on a name the settings declare too, the settings win and a warning says so; a bad
bundle refuses the whole manifest with the field named."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from chatbot.config import Settings, SkillSettings
from chatbot.server import create_app
from chatbot.testing import button, text_of
from intents import Understander
from skills.admin import Actor
from skills.manifest import ManifestError
from tests.directory.conftest import ENTERPRISE, USER, new_user
from tests.directory.test_directory_flows import say
from tests.jml.conftest import inbox, members, run
from tests.jml.test_joiners_movers import _rows

DAVE = Actor("dave", "test")
MANIFEST = """
name = "helpdesk.seat"
description = "Give a support agent a helpdesk seat"
examples = ["give me a helpdesk seat"]
action = { url = "https://api.example.com/seats", method = "POST" }

[bundles.support]
description = "what the support team gets"
departments = ["Support"]
items = [{ resource = "zendesk" }, { resource = "grafana" }]

[bundles.engineering]
departments = ["Engineering"]
items = [{ resource = "zendesk" }]
"""


@pytest.fixture
def app(
    jml_settings: Settings, database_url: str, understander: Understander
) -> Iterator[TestClient]:
    settings = jml_settings.model_copy(
        update={"skills": SkillSettings(allowed_hosts=("api.example.com",))}
    )
    with TestClient(create_app(settings, database_url, understander)) as c:
        yield c


def _add(client: TestClient, text: str) -> None:
    rt = client.app.state.runtime  # type: ignore[attr-defined]
    run(client, lambda: rt.skills.add(text, "seat.toml", DAVE))
    assert run(client, rt.reloader.check)


def _joiner(client: TestClient, email: str, department: str, boss: str) -> None:
    extra = {ENTERPRISE: {"department": department, "manager": {"value": boss}}}
    new_user(client, email, schemas=[USER, ENTERPRISE], **extra)


def test_a_manifests_bundle_is_given_to_the_joiners_it_matches(
    app: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    boss = new_user(app, "boss@example.com")
    _joiner(app, "sam@example.com", "Support", boss["id"])
    assert _rows(app, "sam@example.com") == {}  # no bundle for Support yet
    with caplog.at_level(logging.WARNING):
        _add(app, MANIFEST)
        _joiner(app, "tia@example.com", "Support", boss["id"])
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "bundle engineering of skill manifest helpdesk.seat is left out" in said, said
    assert _rows(app, "tia@example.com") == {"zendesk": "pending", "grafana": "pending"}
    done = say(app, "boss@example.com", press=button(inbox(app, "boss@example.com"), "Approve"))
    assert "tia@example.com now has zendesk, grafana" in text_of(done), text_of(done)
    assert members(app, "zendesk") == ["tia@example.com"]
    _joiner(app, "uma@example.com", "Engineering", boss["id"])  # the settings' bundle wins
    assert set(_rows(app, "uma@example.com")) == {"github", "jenkins", "grafana"}


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (
            '{ resource = "grafana", backend = "ldap" }]',
            "bundles.support.items[1].backend",
            "unknown back end 'ldap'",
        ),
        ('{ resource = "zendesk" }]', "bundles.support.items[1]", "twice"),
        ('{ resource = "grafana", remove = "later" }]', "items[1].remove", "'group' or 'ticket'"),
    ],
)
def test_a_bad_bundle_refuses_the_manifest_with_the_field_named(
    app: TestClient, change: str, field: str, words: str
) -> None:
    bad = MANIFEST.replace('{ resource = "grafana" }]', change)
    rt = app.app.state.runtime  # type: ignore[attr-defined]
    with pytest.raises(ManifestError) as refused:
        run(app, lambda: rt.skills.add(bad, "seat.toml", DAVE))
    assert field in str(refused.value) and words in str(refused.value), str(refused.value)
    assert "seat.toml:" in str(refused.value)
    nobody = MANIFEST.replace('departments = ["Support"]\n', "")
    with pytest.raises(ManifestError) as refused:
        run(app, lambda: rt.skills.add(nobody, "seat.toml", DAVE))
    assert "bundles.support: matches nobody" in str(refused.value)
