"""Manifests: validation that names file, line and field; templates safe by construction;
steps with rollback; the shipped examples are valid."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from chatbot.types import Principal
from skills.api import SkillContext, SkillError
from skills.manifest import ManifestError, ManifestSkill, load_manifest, parse_manifest
from tests.skills.skill_fakes import Exchange, FakeSystem, Sleeps, transport

EXAMPLES = Path(__file__).parents[2] / "deploy" / "examples"
HOSTS = ["cdn.example.com", "api.statuspage.io", "api.example.com"]
ALICE = Principal("alice", "alice@example.com", "Alice")

GOOD = """\
name = "echo.path"
description = "Send a value"
examples = ["echo this"]
secrets = ["token"]
reply = "sent {value}: {steps.action.n}"

[[slots]]
name = "value"
type = "text"

[action]
method = "POST"
url = "https://api.example.com/items/{value}"
query = { q = "{value}" }
headers = { X-Value = "{value}", Authorization = "Bearer {secret.token}" }
body = { value = "{value}", n = "{steps_count}", nested = ["by {requester.email}"] }
"""


class MemoryKV:
    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    async def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    async def put(self, key: str, value: Any) -> None:
        self.data[key] = value

    async def delete(self, key: str) -> None:
        self.data.pop(key, None)

    async def items(self, prefix: str = "") -> dict[str, Any]:
        return {k: v for k, v in self.data.items() if k.startswith(prefix)}


def _ctx(fake: FakeSystem, slots: dict[str, str], secrets: dict[str, str]) -> SkillContext:
    http = httpx.AsyncClient(transport=transport(fake))
    return SkillContext(ALICE, slots, MemoryKV(), http, secrets, action_id=9)


def _problems(text: str, file: str) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        parse_manifest(text, file, HOSTS)
    return list(caught.value.problems)


def test_the_shipped_examples_are_valid() -> None:
    names = {load_manifest(p, HOSTS).model.name for p in EXAMPLES.iterdir()}
    assert names == {"cache.flush", "maintenance.announce", "change.create"}


def test_toml_errors_name_file_line_and_field() -> None:
    text = GOOD.replace('type = "text"', 'type = "txt"').replace('method = "POST"', 'methd = "X"')
    problems = _problems(text, "bad.toml")
    assert any(p.startswith("bad.toml:9: slots[0].type: Input should be") for p in problems)
    assert any(p.startswith("bad.toml:12: action.methd: unknown key") for p in problems)


def test_semantic_errors_name_the_line_too() -> None:
    text = GOOD.replace("api.example.com", "evil.example.net").replace("{steps_count}", "{nope}")
    problems = _problems(text, "bad.toml")
    assert (
        "bad.toml:13: action.url: host evil.example.net is not in skills.allowed_hosts"
        in (problems[0])
    )
    assert any("bad.toml:16: action.body: {nope} is not a slot" in p for p in problems)


def test_yaml_errors_use_the_node_marks() -> None:
    text = (
        "name: x.y\ndescription: d\nexamples: [a]\naction:\n  url: https://api.example.com/\n"
        "  method: FETCH\n"
    )
    problems = _problems(text, "bad.yaml")
    assert problems[0].startswith("bad.yaml:6: action.method: Input should be")


def test_host_and_scheme_must_be_literal_and_secrets_stay_out_of_replies_and_urls() -> None:
    text = GOOD.replace("https://api.example.com/items/{value}", "https://{value}/x")
    assert any("scheme and host must be literal" in p for p in _problems(text, "m.toml"))
    text = GOOD.replace('reply = "sent {value}: {steps.action.n}"', 'reply = "{secret.token}"')
    assert any("a reply never shows a secret" in p for p in _problems(text, "m.toml"))
    text = GOOD.replace("/items/{value}", "/items/{secret.token}")
    assert any("secrets may go in headers or body only" in p for p in _problems(text, "m.toml"))
    text = GOOD.replace('query = { q = "{value}" }', 'query = { key = "{secret.token}" }')
    assert any(
        "action.query.key: {secret.token}: secrets may go" in p for p in _problems(text, "m")
    )


def test_a_literal_credential_is_refused() -> None:
    text = GOOD.replace("Bearer {secret.token}", "Bearer abc123")
    problems = _problems(text, "m.toml")
    assert any("action.headers.Authorization: a credential must come from" in p for p in problems)
    assert all("abc123" not in p for p in problems)


def test_a_manifest_that_is_not_toml_is_refused_with_its_file() -> None:
    assert _problems("name = ", "x.toml")[0].startswith("x.toml: not valid TOML")


async def test_values_are_encoded_for_where_they_go() -> None:
    def check(request: httpx.Request) -> None:
        assert request.url.raw_path.startswith(b"/items/a%2Fb%3Fc%3D1%20%22x%22")
        assert request.url.params["q"] == 'a/b?c=1 "x"'
        assert request.headers["X-Value"] == 'a/b?c=1 "x"'
        body = json.loads(request.content)
        assert body == {"value": 'a/b?c=1 "x"', "n": 3, "nested": ["by alice@example.com"]}

    fake = FakeSystem(
        "api.example.com",
        [Exchange("POST", '/items/a/b?c=1 "x"', 200, {"n": 3}, check=check)],
        headers={"Authorization": "Bearer s3cr3t-value"},
    )
    fake.script[0].path = '/items/a/b?c=1 "x"'  # httpx decodes the path; raw_path is checked
    manifest = parse_manifest(
        GOOD.replace("{steps_count}", "{steps.action.n}").replace(
            'body = { value = "{value}", n = "{steps.action.n}"',
            'body = { value = "{value}", n = 3',
        ),
        "m.toml",
        HOSTS,
    )
    skill = ManifestSkill(manifest, HOSTS, sleep=Sleeps())
    outcome = await skill.run(_ctx(fake, {"value": 'a/b?c=1 "x"'}, {"token": "s3cr3t-value"}))
    assert outcome.summary == 'sent a/b?c=1 "x": 3'


async def test_a_header_value_with_a_line_break_is_refused() -> None:
    fake = FakeSystem("api.example.com", [])
    manifest = parse_manifest(GOOD.replace('"{steps_count}"', "1"), "m.toml", HOSTS)
    skill = ManifestSkill(manifest, HOSTS, sleep=Sleeps())
    with pytest.raises(SkillError, match="header X-Value contains a line break"):
        await skill.run(_ctx(fake, {"value": "x\r\nX-Admin: 1"}, {"token": "t0ken-value"}))
    assert fake.seen == []


async def test_a_host_no_longer_allowed_gets_no_request() -> None:
    fake = FakeSystem("api.example.com", [])
    manifest = parse_manifest(GOOD.replace('"{steps_count}"', "1"), "m.toml", HOSTS)
    skill = ManifestSkill(manifest, ["other.example.com"], sleep=Sleeps())
    with pytest.raises(SkillError, match="not an allowed host"):
        await skill.run(_ctx(fake, {"value": "x"}, {"token": "t0ken-value"}))


STEPS = """\
name = "two.steps"
description = "Two steps"
examples = ["do two things"]
reply = "done {steps.first.id}"

[[steps]]
name = "first"
method = "POST"
url = "https://api.example.com/things"
body = { what = "first" }

[[steps]]
name = "second"
method = "POST"
url = "https://api.example.com/things/{steps.first.id}/publish"

[rollback]
name = "undo"
method = "DELETE"
url = "https://api.example.com/things/{steps.first.id}"
"""


async def test_a_failed_step_runs_the_rollback() -> None:
    fake = FakeSystem(
        "api.example.com",
        [
            Exchange("POST", "/things", 201, {"id": "t-1"}, body={"what": "first"}),
            Exchange("POST", "/things/t-1/publish", 409, {"message": "already published"}),
            Exchange("DELETE", "/things/t-1", 204),
        ],
    )
    skill = ManifestSkill(parse_manifest(STEPS, "s.toml", HOSTS), HOSTS, sleep=Sleeps())
    with pytest.raises(SkillError) as caught:
        await skill.run(_ctx(fake, {}, {}))
    text = str(caught.value)
    assert "step second failed: api.example.com refused (409): already published" in text
    assert "rolled back (undo)" in text
    fake.done()


async def test_steps_in_order_when_all_succeed() -> None:
    fake = FakeSystem(
        "api.example.com",
        [
            Exchange("POST", "/things", 201, {"id": "t-2"}),
            Exchange("POST", "/things/t-2/publish", 200, {"ok": True}),
        ],
    )
    skill = ManifestSkill(parse_manifest(STEPS, "s.toml", HOSTS), HOSTS, sleep=Sleeps())
    assert (await skill.run(_ctx(fake, {}, {}))).summary == "done t-2"
