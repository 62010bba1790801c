"""Model life cycle: disk cache keyed by the skill set, reload retrains, eval and JSON output."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from chatbot.config import Catalog
from chatbot.errors import UserError
from intents import Understander, evaluate, interpretation_to_json
from skills.api import SkillSpec
from skills.builtin.catalog import BUILTIN_SPECS

PEOPLE = ("alice", "bob", "carol", "dave", "erin")
COFFEE = SkillSpec(
    name="coffee.order",
    description="Order coffee for the team.",
    examples=(
        "order coffee",
        "get us some coffee",
        "brew a pot of coffee",
        "i want an espresso from the machine",
        "coffee for the meeting room please",
    ),
    keywords=("coffee", "espresso", "brew"),
)


def test_cache_hit_loads_without_training(demo_catalog: Catalog, tmp_path: Path) -> None:
    first = Understander(demo_catalog, PEOPLE, BUILTIN_SPECS, cache_dir=tmp_path)
    assert first.trained
    second = Understander(demo_catalog, PEOPLE, BUILTIN_SPECS, cache_dir=tmp_path)
    assert not second.trained
    assert second.model_digest == first.model_digest
    text = "restart checkout in prod"
    assert second.parse(text) == first.parse(text)


def test_reload_learns_a_new_skill(demo_catalog: Catalog, tmp_path: Path) -> None:
    nlu = Understander(demo_catalog, PEOPLE, BUILTIN_SPECS, cache_dir=tmp_path)
    assert nlu.parse("could you order coffee for us").skill is None
    before = nlu.model_digest
    nlu.reload((*BUILTIN_SPECS, COFFEE))
    assert nlu.trained and nlu.model_digest != before
    assert nlu.parse("could you order coffee for us").skill == "coffee.order"
    nlu.reload(BUILTIN_SPECS)
    assert not nlu.trained  # the first model is still in the cache
    assert nlu.parse("could you order coffee for us").skill is None


def test_changed_examples_change_the_digest(demo_catalog: Catalog) -> None:
    a = Understander(demo_catalog, PEOPLE, (COFFEE,))
    b = Understander(demo_catalog, PEOPLE, (replace(COFFEE, examples=(*COFFEE.examples, "latte")),))
    assert a.model_digest != b.model_digest


def test_eval_report(nlu: Understander, tmp_path: Path) -> None:
    corpus = tmp_path / "mini.tsv"
    corpus.write_text(
        "restart billing in prod\tservice.restart\tmine\n"
        "reset my vpn\tvpn.reset|password.reset\tmine\n"
        "what's the weather in oslo\t-\tmine\n"
        "bake a cake\t-\tmine\n"
        "yes please\tyes\tmine\n"
        "no, cancel it\tcancel\tmine\n"
        "nope\tno\tmine\n",
        encoding="utf-8",
    )
    side = {s.name for s in nlu.skills if s.side_effect}
    report = evaluate(nlu, [corpus], side, {"deploy", "service.restart"})
    assert (report.lines, report.correct) == (4, 4)
    assert (report.reply_lines, report.reply_correct, report.unsafe_yes) == (3, 3, 0)
    assert report.false_triggers == 0 and report.ok
    text = report.render()
    assert "top-1 accuracy 100.00%" in text and "service.restart" in text


def test_eval_errors_name_file_and_line(nlu: Understander, tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"missing\.tsv: file not found"):
        evaluate(nlu, [tmp_path / "missing.tsv"], set(), set())
    bad = tmp_path / "bad.tsv"
    bad.write_text("fine line\thelp\nno tab here\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"bad.tsv:2: expected"):
        evaluate(nlu, [bad], set(), set())
    bad.write_text("hello\tno.such.skill\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"bad.tsv:1: unknown expected value 'no.such.skill'"):
        evaluate(nlu, [bad], set(), set())


def test_json_shape(nlu: Understander) -> None:
    got = interpretation_to_json(nlu.parse("deploy web 5.2.0 to prd"))
    assert list(got)[:5] == ["text", "skill", "confidence", "slots", "alternatives"]
    assert got["skill"] == "deploy"
    assert got["slots"] == {"service": "web", "version": "5.2.0", "env": "prod"}
    assert all(set(a) == {"skill", "confidence"} for a in got["alternatives"])
    json.dumps(got)
