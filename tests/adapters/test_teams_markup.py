"""Teams sends what people type as HTML: a manifest pasted as a code block arrives as
<pre>/<codeblock> with <br> and entities, and must reach the manifest check as the fenced
block the person sees."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from chatbot.adapters.teams.markup import as_text, message_text
from skills import admin
from tests.adapters.conftest import running, server_settings
from tests.adapters.teamsside import TeamsSide, personal
from tests.adapters.test_teams import MEMBERS
from tests.fakes.botframework import FakeConnector

CACHE = (Path(__file__).parents[2] / "deploy" / "examples" / "cache-flush.toml").read_text()


def new_compose_box(source: str) -> str:
    """Teams' newer compose box: <codeblock> around <code>, lines as <br>, quotes escaped."""
    lines = "<br>".join(html.escape(line) for line in source.rstrip("\n").split("\n"))
    return f'<p>please add this skill:</p><codeblock class="Toml"><code>{lines}</code></codeblock>'


def classic(source: str) -> str:
    """The classic one: <pre><code class="language-toml"> with the newlines kept."""
    code = html.escape(source)
    said = "<div>please&nbsp;add this skill:</div>"
    return f'{said}<pre><code class="hljs language-toml">{code}</code></pre>'


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    fake = await FakeConnector(members=dict(MEMBERS)).start()
    yield fake
    await fake.stop()


@pytest.mark.parametrize("posted", [new_compose_box, classic])
async def test_a_manifest_pasted_as_a_teams_code_block_is_checked_and_added(
    model_dir: Path,
    database_url: str,
    connector: FakeConnector,
    monkeypatch: pytest.MonkeyPatch,
    posted: object,
) -> None:
    assert callable(posted)
    monkeypatch.setenv("CHATOPS_SECRET__CACHE_FLUSH__API_TOKEN", "cdn-s3cret-token-123")
    settings = server_settings(
        model_dir,
        database_url,
        teams={"allow_unauthenticated": True},
        skills={"allowed_hosts": ("cdn.example.com",)},
    )
    async with running(settings) as (app, http):
        teams = TeamsSide(app, http, connector)
        answer = await teams.say("dave", posted(CACHE), textFormat="xml")
        assert answer.status_code == 201
        sent = connector.messages_in(personal("dave"))
        assert "manifest.toml: ok (cache.flush, 8 examples)" in "\n".join(s.text for s in sent)
        card = next(s for s in sent if s.buttons)
        await teams.click("dave", card, "Confirm")
        (version,) = await admin.versions(app.state.runtime.store, "cache.flush")
        assert version.source == CACHE  # every character as typed: entities and breaks undone


def test_the_text_people_see_in_teams() -> None:
    assert as_text("<p>reset my vpn</p>") == "reset my vpn"
    assert as_text("<div>a &amp; b&nbsp;&lt;c&gt;</div><div>next</div>") == "a & b <c>\nnext"
    assert as_text("one<br>two<br/>three") == "one\ntwo\nthree"
    assert message_text("is 3 < 4 & 5 > 2?", "plain") == "is 3 < 4 & 5 > 2?"  # no markup
    fenced = as_text('<pre><code class="language-yaml">name: x\n</code></pre>')
    assert fenced == "```yaml\nname: x\n```"
    plain = as_text('<codeblock class="Text"><code>a<br>b</code></codeblock>')
    assert plain == "```\na\nb\n```"
