"""The code of the README's "Write your first skill", run as tests so the guide stays true."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import httpx

from chatbot.config import Settings, SkillSettings
from chatbot.testing import chat_harness, confirmed, text_of
from chatbot.types import Outcome
from skills.admin import Actor
from skills.api import Requirement, Risk, SkillContext, SkillError, SkillSpec, SlotSpec, SlotType


# --- the Python skill of the guide -------------------------------------------------------------
class UptimeCheck:
    spec = SkillSpec(
        name="uptime.check",
        description="Say whether a service answers its health check.",
        examples=(
            "is checkout up",
            "check if billing is healthy",
            "is the search service alive",
            "health check for web",
            "is payments-api responding",
            "uptime of api-gateway",
        ),
        keywords=("uptime", "healthy", "alive", "health"),
        slots=(SlotSpec("service", SlotType.SERVICE, prompt="Which service?"),),
        side_effect=False,
        risk=Risk.NONE,
        requires=Requirement.NOTHING,
    )

    async def preview(self, ctx: SkillContext) -> Outcome:
        return await self.run(ctx)

    async def run(self, ctx: SkillContext) -> Outcome:
        service = ctx.slots["service"]
        try:
            answer = await ctx.http.get(f"https://status.example.com/health/{service}")
        except httpx.HTTPError:
            raise SkillError("The status service did not answer; try again shortly.") from None
        if answer.status_code == 404:
            raise SkillError(f"The status service does not know {service}.")
        state = answer.json().get("status", "unknown")
        return Outcome(True, f"{service} is {state}.")


def status_api(request: httpx.Request) -> httpx.Response:
    assert request.method == "GET" and request.url.path == "/health/checkout"
    return httpx.Response(200, json={"status": "up"})


async def test_my_python_skill(settings: Settings, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'chat.db'}"
    fake = httpx.MockTransport(status_api)
    async with chat_harness(settings, url, transport=fake, skills=[UptimeCheck()]) as chat:
        replies = await chat.say("dave", "check if checkout is healthy")
        assert text_of(replies) == "checkout is up."


# --- the manifest of the guide -----------------------------------------------------------------
MANIFEST = Path(__file__).parents[2] / "deploy" / "examples" / "cache-flush.toml"


def cdn_api(request: httpx.Request) -> httpx.Response:
    assert request.method == "POST"
    assert request.url.path == "/api/v1/zones/prod/purge"
    assert request.headers["Authorization"] == "Bearer test-token-123"
    return httpx.Response(202, json={"id": "p-9"})


async def test_my_manifest(settings: Settings, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CHATOPS_SECRET__CACHE_FLUSH__API_TOKEN", "test-token-123")
    settings = settings.model_copy(
        update={"skills": SkillSettings(allowed_hosts=("cdn.example.com",))}
    )
    url = f"sqlite:///{tmp_path / 'chat.db'}"
    async with chat_harness(settings, url, transport=httpx.MockTransport(cdn_api)) as chat:
        await chat.runtime.skills.add(
            MANIFEST.read_text(), "cache-flush.toml", Actor("dave", "test")
        )
        await chat.runtime.reloader.check()  # what the server does every 2 seconds
        replies = await confirmed(chat, "dave", "flush the cache of web in prod")
        assert text_of(replies) == "Purged the CDN cache of web in prod (purge p-9)."


# --- the guide's commands, exactly as printed --------------------------------------------------
README = Path(__file__).parents[2] / "README.md"


def _guide() -> tuple[str, str]:
    """The guide's settings file and its console session, as the README prints them."""
    text = README.read_text("utf-8")
    guide = text[text.index("## Write your first skill") :]
    settings = guide[guide.index("```toml\n# chatops.toml\n") + len("```toml\n") :]
    console = guide[guide.index("```console\n") + len("```console\n") :]
    return settings[: settings.index("```")], console[: console.index("```")]


def test_the_guide_runs_as_written(tmp_path: Path) -> None:
    """From an empty folder: the settings step, then every command, each output as shown."""
    settings_file, session = _guide()
    (tmp_path / "chatops.toml").write_text(settings_file)
    shutil.copytree(MANIFEST.parent, tmp_path / "deploy" / "examples")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATOPS_")}
    chatops = str(Path(sys.executable).with_name("chatops"))
    lines = session.splitlines()
    ran = 0
    for i, line in enumerate(lines):
        if not line.startswith("$ "):
            continue
        words = shlex.split(line[2:])
        expected = []
        for out in lines[i + 1 :]:
            if out.startswith("$ "):
                break
            expected.append(out)
        if words[0] == "export":
            name, _, value = words[1].partition("=")
            env[name] = value
            continue
        assert words[0] == "chatops", line
        done = subprocess.run(
            [chatops, *words[1:]],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert done.returncode == 0, (line, done.stderr)
        assert done.stdout.splitlines() == expected, line
        assert done.stderr == "", (line, done.stderr)
        ran += 1
    assert ran >= 3
