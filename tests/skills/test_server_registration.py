"""Done when: a manifest added with `chatops skills add` is understood and runnable in the
running server without a restart. The server runs in-process (uvicorn on a loopback port),
the CLI is the installed `chatops` command against the same SQLite file, and the remote system
is a small local server that asserts what it is sent."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from chatbot.config import load_settings
from chatbot.server import create_app

EXAMPLE = Path(__file__).parents[2] / "deploy" / "examples" / "cache-flush.toml"
ADMIN_TOKEN = "dave-admin-token-0123456789"
ALICE_TOKEN = "alice-token-0123456789"
SECRET = "cdn-s3cret-token-456"


def _chatops() -> str:
    found = Path(sys.executable).with_name("chatops")
    return str(found) if found.exists() else (shutil.which("chatops") or "chatops")


async def _serve(app: Any) -> tuple[uvicorn.Server, asyncio.Task[None], int]:
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    for _ in range(600):
        if server.started:
            break
        await asyncio.sleep(0.05)
    assert server.started, "server did not start"
    return server, task, server.servers[0].sockets[0].getsockname()[1]


async def _stop(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    server.should_exit = True
    await asyncio.wait_for(task, 10)


@pytest.fixture
async def cdn() -> AsyncIterator[tuple[int, list[dict[str, Any]]]]:
    """A CDN purge API: asserts method, path, headers and body, answers as documented."""
    seen: list[dict[str, Any]] = []

    async def purge(request: Request) -> JSONResponse:
        body = await request.json()
        ok = (
            request.headers.get("authorization") == f"Bearer {SECRET}"
            and request.headers.get("idempotency-key", "").startswith("chatops-")
            and body == {"tags": ["service:checkout"], "requested_by": "dave@example.com"}
            and request.path_params["zone"] == "staging"
        )
        seen.append({"ok": ok, "body": body})
        if not ok:
            return JSONResponse({"error": "unexpected request"}, status_code=400)
        return JSONResponse({"id": "purge-77"}, status_code=202)

    app = Starlette(routes=[Route("/api/v1/zones/{zone}/purge", purge, methods=["POST"])])
    server, task, port = await _serve(app)
    yield port, seen
    await _stop(server, task)


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cdn: tuple[int, list[Any]]) -> Path:
    def sha(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    path = tmp_path / "chatops.toml"
    path.write_text(
        '[skills]\nallowed_hosts = ["127.0.0.1"]\nreload_seconds = 0.3\n\n'
        f'[api_tokens.ops]\nperson = "dave"\nsha256 = "{sha(ADMIN_TOKEN)}"\n\n'
        f'[api_tokens.alice]\nperson = "alice"\nsha256 = "{sha(ALICE_TOKEN)}"\n'
    )
    monkeypatch.setenv("CHATOPS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CHATOPS_SECRET__CACHE_FLUSH__API_TOKEN", SECRET)
    return path


def _manifest(port: int) -> str:
    return EXAMPLE.read_text().replace("https://cdn.example.com", f"http://127.0.0.1:{port}")


async def _say(http: httpx.AsyncClient, text: str = "", press: str | None = None) -> dict:
    body = {"as": "dave", "text": text, **({"press": press} if press else {})}
    answer = await http.post("/api/chat", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_cli_added_manifest_runs_in_the_running_server(
    config: Path, tmp_path: Path, cdn: tuple[int, list[dict[str, Any]]]
) -> None:
    port, seen = cdn
    manifest = tmp_path / "cache-flush.toml"
    manifest.write_text(_manifest(port))
    server, task, chat_port = await _serve(create_app(load_settings(config)))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{chat_port}", timeout=30) as http:
            first = await _say(http, "flush the cache of checkout in staging")
            assert first["replies"][0]["kind"] != "confirm"
            proc = await asyncio.create_subprocess_exec(
                _chatops(),
                "--config",
                str(config),
                "skills",
                "add",
                str(manifest),
                "--as",
                "dave",
                env=dict(os.environ),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            out, err = await asyncio.wait_for(proc.communicate(), 120)
            assert proc.returncode == 0, err.decode()
            assert "Skill cache.flush added (version 1)" in out.decode()
            asked: dict = {}
            for _ in range(100):  # the server's reloader notices within seconds
                asked = await _say(http, "flush the cache of checkout in staging")
                if asked["replies"][0]["kind"] == "confirm":
                    break
                await asyncio.sleep(0.2)
            reply = asked["replies"][0]
            assert reply["kind"] == "confirm", reply
            confirm = next(b["value"] for b in reply["buttons"] if b["label"] == "Confirm")
            done = await _say(http, press=confirm)
            text = done["replies"][0]["text"]
            assert text == "Purged the CDN cache of checkout in staging (purge purge-77)."
            assert seen and all(s["ok"] for s in seen)
            assert SECRET not in str(done)
    finally:
        await _stop(server, task)


async def test_the_admin_api(config: Path, cdn: tuple[int, list[Any]]) -> None:
    port, _ = cdn
    server, task, chat_port = await _serve(create_app(load_settings(config)))
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{chat_port}", timeout=60) as http:
            assert (await http.get("/api/skills")).status_code == 401
            assert (
                await http.get("/api/skills", headers={"Authorization": "Bearer nope"})
            ).status_code == 401
            alice = {"Authorization": f"Bearer {ALICE_TOKEN}"}
            assert (await http.get("/api/skills", headers=alice)).status_code == 403

            bad = _manifest(port).replace('type = "env"', 'type = "planet"')
            refused = await http.post("/api/skills", content=bad, headers=admin)
            assert refused.status_code == 422
            assert refused.json()["problems"][0].startswith("manifest.toml:32: slots[1].type")

            added = await http.post(
                "/api/skills",
                content=_manifest(port),
                headers={**admin, "Content-Type": "application/toml"},
            )
            assert added.status_code == 201 and added.json()["version"] == 1
            same = await http.post(
                "/api/skills",
                content=_manifest(port),
                headers={**admin, "Content-Type": "application/toml"},
            )
            assert same.status_code == 200 and same.json()["event"] == "skill.unchanged"
            listed = (await http.get("/api/skills", headers=admin)).json()["skills"]
            assert {
                "name": "cache.flush",
                "kind": "manifest",
                "enabled": True,
                "version": 1,
                "state": "active",
            }.items() <= next(s for s in listed if s["name"] == "cache.flush").items()
            reloaded = await http.post("/api/skills/reload", headers=admin)
            assert reloaded.status_code == 200
            assert reloaded.json() == {"event": "skill.reload", "restart_needed": []}
            shown = (await http.get("/api/skills/cache.flush", headers=admin)).json()
            assert shown["source"] == _manifest(port) and len(shown["versions"]) == 1

            off = await http.post("/api/skills/cache.flush/disable", headers=admin)
            assert off.json()["event"] == "skill.disabled"
            on = await http.post("/api/skills/kb.search/disable", headers=admin)
            assert on.status_code == 200
            again = await http.post("/api/skills/kb.search/disable", headers=admin)
            assert again.status_code == 409 and "already disabled" in again.json()["error"]
            back = await http.post(
                "/api/skills/cache.flush/restore", json={"version": 1}, headers=admin
            )
            assert back.json()["version"] == 2
            gone = await http.delete("/api/skills/cache.flush", headers=admin)
            assert gone.json()["event"] == "skill.removed"
            assert (await http.get("/api/skills/nothing.here", headers=admin)).status_code == 404
    finally:
        await _stop(server, task)
