"""The admin API for skills, on the one server:

    GET    /api/skills                    every skill with kind, state, version, and each
                                          replica's state of it; the replicas themselves
    POST   /api/skills                    add (or update) a manifest: TOML/YAML body, or JSON
                                          {"manifest": "...", "format": "toml", "file": "x"}
    GET    /api/skills/{name}             declaration, versions, current manifest source
    DELETE /api/skills/{name}             remove a manifest skill (versions are kept)
    POST   /api/skills/{name}/disable     and /enable
    POST   /api/skills/{name}/restore     {"version": N}

Authentication: `Authorization: Bearer TOKEN`, where sha256(TOKEN) is listed in
`[api_tokens.NAME]` (`person`, `sha256`) and that person holds the admin role. Only hashes are
configured, so the settings file never holds a usable token. Every change is audited and
versioned by skills.admin, and applied on this replica before the answer (others follow
within `skills.reload_seconds`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatbot.adapters.bodies import BadBody, decode, parse_object
from chatbot.app import Runtime
from chatbot.errors import NotFound, Refused, UserError
from skills import admin, replicas
from skills.manifest import ManifestError

MAX_MANIFEST = 128 * 1024
ADMIN_ROLE = "admin"


def _error(status: int, text: str, **more: Any) -> JSONResponse:
    return JSONResponse({"error": text, **more}, status_code=status)


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime  # set by the lifespan; State is untyped
    return runtime


def _caller(request: Request) -> str | JSONResponse:
    """The admin behind the bearer token, or the refusal to send."""
    rt = _runtime(request)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _error(401, "send Authorization: Bearer <admin API token>")
    digest = hashlib.sha256(token.strip().encode()).hexdigest()
    match = [t for t in rt.settings.api_tokens.values() if hmac.compare_digest(t.sha256, digest)]
    if not match:
        return _error(401, "unknown API token")
    principal = rt.assistant.directory.find(match[0].person)
    if principal is None:
        return _error(403, f"the token's person {match[0].person!r} is not in the directory")
    if ADMIN_ROLE not in rt.assistant.authorizer.rbac.roles_of(principal):
        return _error(403, f"{principal.name} does not hold the {ADMIN_ROLE} role")
    return principal.name


def _actor(who: str) -> admin.Actor:
    return admin.Actor(who, "api", "admin-api")


async def _apply(request: Request, change: admin.Change, status: int = 200) -> Response:
    rt = _runtime(request)
    if rt.reloader is not None:
        await rt.reloader.check()
    body = {"name": change.name, "event": change.event, "version": change.version}
    return JSONResponse(body, status_code=status)


async def _guarded(
    request: Request, act: Callable[[admin.SkillAdmin, admin.Actor], Awaitable[Response]]
) -> Response:
    who = _caller(request)
    if isinstance(who, JSONResponse):
        return who
    rt = _runtime(request)
    if rt.skills is None:
        return _error(503, "the skill registry is not available")
    try:
        return await act(rt.skills, _actor(who))
    except ManifestError as exc:
        return _error(422, "manifest refused", problems=list(exc.problems))
    except NotFound as exc:
        return _error(404, str(exc))
    except Refused as exc:  # it exists, and nothing was done
        return _error(409, str(exc))
    except UserError as exc:
        return _error(400, str(exc))


async def list_skills(request: Request) -> Response:
    async def act(skills: admin.SkillAdmin, actor: admin.Actor) -> Response:
        reloader = _runtime(request).reloader
        base = reloader.source.base if reloader else []
        rows = await admin.listing(skills.store, base, skills.check)
        live = await replicas.live(skills.store)
        head = await admin.head(skills.store)
        return JSONResponse(
            {
                "skills": [r.as_json() for r in replicas.annotate(rows, live)],
                "registry_version": head,
                "replicas": [r.as_json(head) for r in live],
            }
        )

    return await _guarded(request, act)


async def _manifest_body(request: Request) -> tuple[str, str]:
    raw = await request.body()
    if len(raw) > MAX_MANIFEST:
        raise UserError(f"manifest over {MAX_MANIFEST // 1024} KB")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        text = decode(raw)
        body = parse_object(text, empty_ok=False) if kind == "application/json" else None
    except BadBody as exc:
        raise UserError(exc.text) from None
    if body is not None:
        if not isinstance(body.get("manifest"), str):
            raise UserError('send {"manifest": "...", "format": "toml" or "yaml"}')
        fmt = body.get("format", "toml")
        return body["manifest"], str(body.get("file") or f"manifest.{fmt}")
    return text, "manifest.yaml" if "yaml" in kind else "manifest.toml"


async def add_skill(request: Request) -> Response:
    async def act(skills: admin.SkillAdmin, actor: admin.Actor) -> Response:
        text, file = await _manifest_body(request)
        change = await skills.add(text, file, actor)
        return await _apply(request, change, 201 if change.changed else 200)

    return await _guarded(request, act)


async def show_skill(request: Request) -> Response:
    name = request.path_params["name"]

    async def act(skills: admin.SkillAdmin, actor: admin.Actor) -> Response:
        rt = _runtime(request)
        base = rt.reloader.source.base if rt.reloader else []
        row = next((r for r in await admin.listing(skills.store, base) if r.name == name), None)
        history = await admin.versions(skills.store, name)
        if row is None and not history:
            return _error(404, f"no skill named {name!r}")
        current = next((v for v in history if row and v.version == row.version), None)
        return JSONResponse(
            {
                "skill": row.as_json() if row else None,
                "versions": [
                    {
                        "version": v.version,
                        "format": v.format,
                        "by": v.created_by,
                        "at": v.created_at.isoformat(),
                        "sha256": v.sha256,
                    }
                    for v in history
                ],
                "source": current.source if current else None,
            }
        )

    return await _guarded(request, act)


async def reload_skills(request: Request) -> Response:
    async def act(skills: admin.SkillAdmin, actor: admin.Actor) -> Response:
        change = await skills.reload(actor)
        rt = _runtime(request)
        if rt.reloader is not None:
            await rt.reloader.check()
        watch = rt.reloader.source.packages if rt.reloader else None
        needed = list(watch.restart_needed) if watch else []
        return JSONResponse({"event": change.event, "restart_needed": needed})

    return await _guarded(request, act)


async def remove_skill(request: Request) -> Response:
    async def act(skills: admin.SkillAdmin, actor: admin.Actor) -> Response:
        return await _apply(request, await skills.remove(request.path_params["name"], actor))

    return await _guarded(request, act)


def _toggle(enabled: bool) -> Any:
    async def endpoint(request: Request) -> Response:
        async def act(skills: admin.SkillAdmin, actor: admin.Actor) -> Response:
            name = request.path_params["name"]
            return await _apply(request, await skills.set_enabled(name, enabled, actor))

        return await _guarded(request, act)

    return endpoint


async def restore_skill(request: Request) -> Response:
    async def act(skills: admin.SkillAdmin, actor: admin.Actor) -> Response:
        try:
            version = parse_object(await request.body()).get("version")
        except BadBody as exc:
            raise UserError(exc.text) from None
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise UserError('send {"version": N} with the version to restore')
        name = request.path_params["name"]
        return await _apply(request, await skills.restore(name, version, actor))

    return await _guarded(request, act)


routes = [
    Route("/api/skills", list_skills, methods=["GET"]),
    Route("/api/skills", add_skill, methods=["POST"]),
    Route("/api/skills/reload", reload_skills, methods=["POST"]),
    Route("/api/skills/{name}", show_skill, methods=["GET"]),
    Route("/api/skills/{name}", remove_skill, methods=["DELETE"]),
    Route("/api/skills/{name}/disable", _toggle(False), methods=["POST"]),
    Route("/api/skills/{name}/enable", _toggle(True), methods=["POST"]),
    Route("/api/skills/{name}/restore", restore_skill, methods=["POST"]),
]


def admin_caller(request: Request) -> str | JSONResponse:
    """The admin API's bearer-token check, for other admin endpoints (KPIs, incidents)."""
    return _caller(request)
