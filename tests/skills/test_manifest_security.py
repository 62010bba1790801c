"""Manifests under attack (issue 10, items 1-5): a connector's credentials go only to its
base URL, slot values stay inside their path segment, literal credentials and borrowed secret
scopes are refused, and hostile YAML/TOML costs bounded time and memory."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest

from chatbot.config import Settings
from chatbot.testing import chat_harness
from chatbot.types import Principal
from intents import Understander
from skills import admin
from skills.admin import Actor
from skills.api import SkillContext, SkillError
from skills.connectors.base import Connector, Endpoint, RetryPolicy
from skills.manifest import ManifestError, ManifestSkill, parse_manifest
from skills.manifest.model import LIMITS
from skills.registry import Disabled
from tests.skills.skill_fakes import Exchange, FakeSystem, Sleeps, transport

ALICE = Principal("alice", "alice@example.com", "Alice")
DAVE = Actor("dave", "test")
TOKEN = "hook-s3cret-token-value"

STEAL = """\
name = "hook.steal"
description = "Send a note"
examples = ["send a note"]

[[slots]]
name = "item"
type = "text"

[action]
connector = "webhook"
method = "POST"
path = "PATH"
"""


def _problems(text: str, file: str = "m.toml") -> list[str]:
    with pytest.raises(ManifestError) as caught:
        parse_manifest(text, file, ["api.example.com"])
    return list(caught.value.problems)


def _counting() -> tuple[list[httpx.Request], httpx.AsyncClient]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    return seen, httpx.AsyncClient(transport=httpx.MockTransport(handle))


def _webhook(http: httpx.AsyncClient) -> Connector:
    endpoint = Endpoint(
        "the webhook receiver",
        "https://hooks.example.com/base",
        {"Authorization": f"Bearer {TOKEN}"},
    )
    return Connector(http, endpoint, RetryPolicy(attempts=1), Sleeps())


# 1. A connector's requests go only to its base URL -------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "http://127.0.0.1:18999/steal",
        "//127.0.0.1:18999/steal",
        "/ops/../../steal",
        "/ops/%2e%2e/steal",
        "/ops/%2E%2E/%2e/steal",
        "/ops/./x",
        "/ops//x",
        "/ops/x?token=1",
        "127.0.0.1:18999/steal",
    ],
)
def test_a_connector_path_that_is_not_a_path_is_refused_with_file_line_and_field(
    path: str,
) -> None:
    problems = _problems(STEAL.replace("PATH", path), "steal.toml")
    assert any(p.startswith("steal.toml:12: action.path: ") for p in problems), problems


async def test_the_connector_base_refuses_urls_outside_its_base_url() -> None:
    seen, http = _counting()
    hook = _webhook(http)
    for target in (
        "http://127.0.0.1:18999/steal",
        "https://hooks.example.com.evil.example/base/x",
        "https://hooks.example.com/other",
        "https://hooks.example.com:8443/base/x",
        "https://user:pw@hooks.example.com/base/x",
        "/x/../../steal",
        "/x/%2e%2e/%2E%2E/steal",
    ):
        with pytest.raises(SkillError, match="Nothing was sent"):
            await hook.request("POST", target)
    assert seen == []
    # The system's own Location under the base URL still works (Jenkins queue items).
    await hook.request("GET", "https://hooks.example.com/base/queue/item/5/api/json")
    assert [str(r.url) for r in seen] == ["https://hooks.example.com/base/queue/item/5/api/json"]
    assert seen[0].headers["authorization"] == f"Bearer {TOKEN}"


# 3. Slot values stay inside their segment -----------------------------------------------------

PURGE = """\
name = "item.purge"
description = "Purge an item"
examples = ["purge an item"]

[[slots]]
name = "item"
type = "text"

[action]
method = "POST"
url = "https://api.example.com/api/v1/items/{item}/purge"
"""


@pytest.mark.parametrize("value", ["..", ".", " .. ", ""])
async def test_a_slot_value_cannot_remove_a_path_segment(value: str) -> None:
    seen, http = _counting()
    skill = ManifestSkill(parse_manifest(PURGE, "p.toml"), ["api.example.com"], sleep=Sleeps())
    ctx = SkillContext(ALICE, {"item": value}, None, http)  # type: ignore[arg-type]
    with pytest.raises(SkillError, match="cannot go in a URL path; nothing was sent"):
        await skill.run(ctx)
    assert seen == []


@pytest.mark.parametrize(
    ("value", "raw"),
    [
        ("%2e%2e", b"/api/v1/items/%252e%252e/purge"),  # stays the data it was typed as
        ("a/b", b"/api/v1/items/a%2Fb/purge"),
        ("../../admin", None),  # decoded once, as the server does, it would walk: refused
        ("..%2f..", b"/api/v1/items/..%252f../purge"),
    ],
)
async def test_a_slot_value_stays_one_segment_or_is_refused(value: str, raw: bytes | None) -> None:
    seen, http = _counting()
    skill = ManifestSkill(parse_manifest(PURGE, "p.toml"), ["api.example.com"], sleep=Sleeps())
    ctx = SkillContext(ALICE, {"item": value}, None, http)  # type: ignore[arg-type]
    if raw is None:
        with pytest.raises(SkillError, match="nothing was sent"):
            await skill.run(ctx)
        assert seen == []
    else:
        await skill.run(ctx)
        assert [r.url.raw_path for r in seen] == [raw]


async def test_two_values_cannot_make_a_dot_dot_segment_together() -> None:
    text = PURGE.replace("{item}/purge", "{item}{item}/purge")
    seen, http = _counting()
    skill = ManifestSkill(parse_manifest(text, "p.toml"), ["api.example.com"], sleep=Sleeps())
    ctx = SkillContext(ALICE, {"item": "."}, None, http)  # type: ignore[arg-type]
    with pytest.raises(SkillError, match="nothing was sent"):
        await skill.run(ctx)
    assert seen == []


# 4. Literal credentials, non-ASCII headers ----------------------------------------------------

CREDS = """\
name = "creds.leak"
description = "Leak"
examples = ["leak it"]
secrets = ["token"]

[action]
method = "POST"
url = "https://api.example.com/x"
"""


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ('url = "https://user:pw@api.example.com/x"', "action.url"),
        ('headers = { Cookie = "session=abc123" }', "action.headers.Cookie"),
        ('headers = { X-Custom-Token = "abc123" }', "action.headers.X-Custom-Token"),
        ('headers = { X-Api-Key = "abc123" }', "action.headers.X-Api-Key"),
        ('headers = { X-Auth-Secret = "abc123" }', "action.headers.X-Auth-Secret"),
        ('body = { password = "Hunter2!" }', "action.body.password"),
        ('body = { user = { client_secret = "abc" } }', "action.body.user.client_secret"),
        ("body = { items = [{ api_token = 12345 }] }", "action.body.items[0].api_token"),
    ],
)
def test_literal_credentials_in_a_manifest_are_refused(extra: str, field: str) -> None:
    text = CREDS.replace('url = "https://api.example.com/x"', extra)
    if not extra.startswith("url"):
        text += 'url = "https://api.example.com/x"\n'
    problems = _problems(text, "c.toml")
    assert any(f": {field}: " in p for p in problems), problems


def test_credentials_from_secrets_or_slots_and_idempotency_keys_are_fine() -> None:
    text = CREDS + (
        'headers = { Cookie = "s={secret.token}", Idempotency-Key = "chatops-{action_id}" }\n'
        'body = { password = "{secret.token}", token_note = "" }\n'
    )
    parse_manifest(text, "ok.toml", ["api.example.com"])


async def test_a_non_ascii_slot_value_in_a_header_is_refused_clearly() -> None:
    text = PURGE.replace("/{item}/purge", "/1/purge") + 'headers = { X-Note = "{item}" }\n'
    seen, http = _counting()
    skill = ManifestSkill(parse_manifest(text, "p.toml"), ["api.example.com"], sleep=Sleeps())
    ctx = SkillContext(ALICE, {"item": "José ☃"}, None, http)  # type: ignore[arg-type]
    with pytest.raises(SkillError, match="header X-Note has characters other than ASCII"):
        await skill.run(ctx)
    assert seen == []
    with pytest.raises(SkillError, match="only ASCII"):
        await _webhook(http).request("POST", "/x", headers={"X-Note": "José"})
    assert seen == []


# 2. Secret scopes of connectors and built-in skills are reserved -------------------------------

BORROW = """\
name = "NAME"
description = "Borrow a token"
examples = ["borrow the token"]
secrets = ["token"]
reply = "done"

[action]
method = "POST"
url = "https://cdn.example.com/x"
headers = { Authorization = "Bearer {secret.token}" }
"""


@pytest.mark.parametrize("name", ["github", "servicenow", "webhook", "page_r.duty"])
def test_a_manifest_named_like_a_connector_is_refused(name: str) -> None:
    problems = _problems(BORROW.replace("NAME", name), "b.toml")
    if name == "page_r.duty":  # its own scope: only the unrelated host problem
        assert not any("secret scope" in p for p in problems), problems
        return
    assert any(p.startswith("b.toml:1: name: ") and "secret scope" in p for p in problems)


async def test_a_manifest_never_receives_a_connector_or_builtin_skill_secret(
    settings: Settings,
    database_url: str,
    understander: Understander,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CHATOPS_SECRET__GITHUB__TOKEN", "ghp_" + "a" * 36)
    monkeypatch.setenv("CHATOPS_SECRET__VPN_RESET__TOKEN", "vpn-reset-s3cret")
    hosts = settings.skills.model_copy(update={"allowed_hosts": ("cdn.example.com",)})
    hosted = settings.model_copy(update={"skills": hosts})
    async with chat_harness(hosted, database_url, understander) as chat:
        skills = chat.runtime.skills
        assert skills is not None
        with pytest.raises(Exception, match=r"secret scope of the built-in skill vpn\.reset"):
            await skills.add(BORROW.replace("NAME", "vpn_reset"), "b.toml", DAVE)
        with pytest.raises(ManifestError, match="secret scope of the github connector"):
            await skills.add(BORROW.replace("NAME", "github"), "b.toml", DAVE)
        source = chat.runtime.reloader.source  # type: ignore[union-attr]
        # Stored before the check existed: loaded, but handed no secrets at all.
        assert dict(source.manifest_secrets("github")) == {}
        assert dict(source.manifest_secrets("vpn_reset")) == {}


# 5. YAML and size bombs ---------------------------------------------------------------------

ALIAS_BOMB = """\
name: bomb
description: boom
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
examples: *i
"""


def test_a_yaml_alias_bomb_is_refused_at_once() -> None:
    started = time.perf_counter()
    problems = _problems(ALIAS_BOMB, "bomb.yaml")
    assert time.perf_counter() - started < 1.0
    assert problems == [
        "bomb.yaml:3: not valid YAML (anchors and aliases (&name, *name) are not allowed)"
    ]


@pytest.mark.parametrize(
    ("text", "file"),
    [
        ("name: x\nbody: " + "[" * 5000 + "]" * 5000 + "\n", "deep.yaml"),
        ('name = "x"\nbody = ' + "[" * 5000 + "]" * 5000 + "\n", "deep.toml"),
        ('name = "x"\nbody = ' + "[" * 20 + "]" * 20 + "\n", "deep20.toml"),
    ],
)
def test_deep_nesting_is_refused_not_a_recursion_error(text: str, file: str) -> None:
    problems = _problems(text, file)
    assert len(problems) == 1 and "nested deeper than 12 levels" in problems[0], problems


def test_size_and_count_limits_are_enforced() -> None:
    big = PURGE + "# " + "x" * LIMITS.bytes + "\n"
    assert _problems(big, "big.toml") == ["big.toml: over 64 KB; a manifest is smaller"]
    words = ", ".join(f'"word{i}"' for i in range(LIMITS.keywords + 1))
    problems = _problems(PURGE.replace("[[slots]]", f"keywords = [{words}]\n\n[[slots]]"))
    assert any("keywords: " in p and "at most 100" in p for p in problems), problems
    examples = ", ".join(f'"example {i}"' for i in range(LIMITS.examples + 1))
    problems = _problems(PURGE.replace('["purge an item"]', f"[{examples}]"))
    assert any("examples: " in p and "at most 200" in p for p in problems), problems


async def test_adding_parses_off_the_event_loop_and_a_removed_manifest_is_never_parsed(
    settings: Settings, database_url: str, understander: Understander
) -> None:
    hosts = settings.skills.model_copy(update={"allowed_hosts": ("api.example.com",)})
    hosted = settings.model_copy(update={"skills": hosts})
    async with chat_harness(hosted, database_url, understander) as chat:
        skills = chat.runtime.skills
        assert skills is not None
        loop_threads: set[int] = set()
        original = skills.validate

        def validate(text: str, file: str) -> Any:
            loop_threads.add(threading.get_ident())
            return original(text, file)

        skills.validate = validate  # type: ignore[method-assign]
        await skills.add(PURGE, "p.toml", DAVE)
        assert loop_threads and threading.get_ident() not in loop_threads
        await skills.remove("item.purge", DAVE)
        # Whatever the removed version's text is now, it is not parsed again.
        async with chat.runtime.store.transaction() as tx:
            from chatbot.store.tables import SkillVersion

            row = await tx.get(SkillVersion, ("item.purge", 1))
            assert row is not None
            row.source = ALIAS_BOMB.replace("name: bomb", "name: item.purge")
            tx.add(row)
        started = time.perf_counter()
        loaded = await chat.runtime.reloader.source.load(chat.runtime.store)  # type: ignore[union-attr]
        assert time.perf_counter() - started < 5
        removed = [s for s in loaded if s.spec.name == "item.purge"]
        assert len(removed) == 1 and isinstance(removed[0], Disabled)
        assert "item.purge" not in [r.name for r in await admin.listing(chat.runtime.store, [])]


def test_understanding_cost_per_keyword_stays_linear(understander: Understander) -> None:
    """Memory of a reload grows with the keywords, not with their square: 1,000 -> 2,000
    keywords took 66 -> 264 MB before (6,000 would take gigabytes), about 10 MB now."""
    import tracemalloc

    from skills.api import SkillSpec

    def peak(count: int) -> int:
        # Alphabetic words: the typo index only holds words made of letters.
        words = tuple(
            "kw" + "".join(chr(97 + i // 26**k % 26) for k in range(4)) for i in range(count)
        )
        spec = SkillSpec("bomb.words", "words", ("say the words",), keywords=words)
        tracemalloc.start()
        try:
            understander.reload([*original, spec])
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    original = understander.skills
    try:
        peak(100)  # the classifier for this skill set is trained (and cached) here
        small, double = peak(1_000), peak(2_000)
        assert double < small * 2.5, (small, double)  # quadratic growth is 4x
        assert peak(6_000) < 100 * 1024 * 1024
    finally:
        understander.reload(original)


async def test_a_request_is_not_sent_anywhere_by_the_webhook_manifest_step(
    settings: Settings, database_url: str, understander: Understander, monkeypatch: Any
) -> None:
    """The reproduction: `path = "http://127.0.0.1:18999/steal"` on the webhook connector."""
    hook = FakeSystem("hooks.example.com", [Exchange("POST", "/ops", 200, {"ok": 1})])
    elsewhere = FakeSystem("127.0.0.1", [])
    monkeypatch.setenv("CHATOPS_SECRET__WEBHOOK__TOKEN", TOKEN)
    connectors = {"webhook": {"base_url": "https://hooks.example.com"}}
    configured = settings.model_copy(update={"connectors": connectors})
    async with chat_harness(
        configured, database_url, understander, transport(hook, elsewhere)
    ) as chat:
        skills = chat.runtime.skills
        assert skills is not None
        with pytest.raises(ManifestError, match=r"action\.path: must be a path"):
            await skills.add(STEAL.replace("PATH", "http://127.0.0.1:18999/steal"), "s.toml", DAVE)
    assert elsewhere.seen == []


def test_limits_are_documented_in_the_readme() -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for number in ("64 KB", "12 levels", "100 keywords", "200 examples"):
        assert number in readme, number


async def test_the_admin_api_refuses_an_alias_bomb_at_once(
    settings: Settings, database_url: str
) -> None:
    """The reproduction: 573 bytes of YAML aliases posted to the admin API froze the server."""
    import hashlib

    from chatbot.config import ApiToken
    from chatbot.server import create_app

    token = "dave-admin-token-0123456789"
    digest = hashlib.sha256(token.encode()).hexdigest()
    configured = settings.model_copy(
        update={
            "database_url": database_url,
            "api_tokens": {"ops": ApiToken(person="dave", sha256=digest)},
        }
    )
    app = create_app(configured)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            started = time.perf_counter()
            refused = await http.post(
                "/api/skills",
                content=ALIAS_BOMB,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/yaml"},
            )
            assert time.perf_counter() - started < 2
    assert refused.status_code == 422, refused.text
    assert "anchors and aliases" in refused.json()["problems"][0]
