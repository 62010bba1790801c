"""An optional trained spaCy pipeline adds entities; none is required, a bad one is named.

No model can be downloaded here, so the test builds one: a blank English pipeline with an
entity ruler standing in for a trained NER, saved to disk and configured by its path.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

from chatbot.app import build_understander
from chatbot.config import Catalog, load_settings
from chatbot.errors import ConfigError
from chatbot.types import Outcome
from intents import Understander
from skills.api import Risk, SkillContext, SkillSpec, SlotSpec, SlotType
from skills.registry import SkillRegistry
from tests.understanding.conftest import NOW

PEOPLE = ("alice", "bob", "carol", "dave", "erin")
NOTIFY = SkillSpec(
    name="notify.person",
    description="Send a reminder to someone at a time.",
    examples=(
        "remind bob about the review tomorrow",
        "ping carol at 10am",
        "remind alice on friday",
        "send a reminder to dave",
        "ping erin about the deploy",
    ),
    keywords=("remind", "ping", "reminder"),
    slots=(
        SlotSpec("user", SlotType.PERSON),
        SlotSpec("when", SlotType.DATE, required=False),
        SlotSpec("service", SlotType.SERVICE, required=False),
    ),
    side_effect=False,
    risk=Risk.NONE,
)


class Notify:
    """Just enough of a skill for a registry."""

    spec = NOTIFY

    async def preview(self, ctx: SkillContext) -> Outcome:
        return Outcome(True, "")

    async def run(self, ctx: SkillContext) -> Outcome:
        return Outcome(True, "")


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(
        [  # type: ignore[attr-defined]
            {"label": "PERSON", "pattern": "Karol Smith"},
            {"label": "PERSON", "pattern": "Zed Unknown"},
            {"label": "DATE", "pattern": [{"LOWER": "next"}, {"LOWER": "thu"}]},
            {"label": "DATE", "pattern": "the holidays"},
            {"label": "ORG", "pattern": "Chekout Inc"},
            {"label": "ORG", "pattern": "Acme"},
        ]
    )
    path = tmp_path_factory.mktemp("pipeline") / "model"
    nlp.to_disk(path)
    return path


@pytest.fixture(scope="module")
def with_model(demo_catalog: Catalog, model_path: Path) -> Understander:
    return Understander(demo_catalog, PEOPLE, (NOTIFY,), clock=lambda: NOW, model=str(model_path))


def test_person_only_from_the_directory(with_model: Understander) -> None:
    got = with_model.parse("remind Karol Smith about the review tomorrow")
    assert got.skill == "notify.person" and got.slots["user"].value == "carol"
    assert got.slots["user"].text == "Karol Smith"
    assert not any(e.label == "PERSON" for e in with_model.entities("ping Zed Unknown"))


def test_dates_only_when_they_resolve(with_model: Understander) -> None:
    found = {(e.label, e.value, e.text) for e in with_model.entities("ping bob next thu")}
    assert ("DATE", "2026-12-03", "next thu") in found
    assert not any(e.label == "DATE" for e in with_model.entities("ping bob over the holidays"))


def test_organisations_only_when_close_to_a_service(with_model: Understander) -> None:
    found = {(e.label, e.value) for e in with_model.entities("ping bob about Chekout Inc")}
    assert ("SERVICE", "checkout") in found
    assert not any(e.label == "SERVICE" for e in with_model.entities("ping bob about Acme"))


def test_rules_win_over_the_model(with_model: Understander) -> None:
    entities = with_model.entities("remind bob tomorrow")
    assert [(e.label, e.value) for e in entities] == [("PERSON", "bob"), ("DATE", "2026-11-27")]


def test_missing_model_is_a_config_error(demo_catalog: Catalog, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        Understander(demo_catalog, PEOPLE, (NOTIFY,), model=str(tmp_path / "nothing-here"))
    assert "understanding.model" in str(caught.value)
    assert "not an installed spaCy pipeline" in str(caught.value)


def test_setting_reaches_the_understander(
    model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_settings().understanding.model == ""
    monkeypatch.setenv("CHATOPS_UNDERSTANDING__MODEL", str(model_path))
    monkeypatch.setenv("CHATOPS_DATA_DIR", str(tmp_path))
    settings = load_settings()
    assert settings.understanding.model == str(model_path)
    nlu = build_understander(settings, SkillRegistry([Notify()]))
    assert any(e.label == "PERSON" and e.value == "carol" for e in nlu.entities("ask Karol Smith"))
