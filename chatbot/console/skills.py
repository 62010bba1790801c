"""Skills: list, show, enable/disable, versions and restore, add a manifest (its problems at
the fields they name), and a box that tests an utterance: parse, then a dry run.

Changes go through skills.admin (versioned, audited, applied on this replica before the
answer, as the admin API does); the console adds its own `console.<verb>` audit entry.
"""

from __future__ import annotations

import asyncio

from starlette.responses import Response

from chatbot.console import manifest_form
from chatbot.console.frame import Context, Page, Result
from chatbot.errors import NotFound, Refused, UserError
from skills import admin
from skills.admin import SkillAdmin
from skills.manifest.load import ManifestError

MANIFEST = "manifest"
MAX_MANIFEST = 128 * 1024


def _admin(ctx: Context) -> SkillAdmin:
    if ctx.runtime.skills is None:
        raise Refused("the skill registry is not available on this server")
    return ctx.runtime.skills


def _actor(ctx: Context) -> admin.Actor:
    return admin.Actor(ctx.viewer.name, "web", "console")


async def _rows(ctx: Context) -> list[admin.Listed]:
    rt = ctx.runtime
    base = rt.reloader.source.base if rt.reloader else []
    return await admin.listing(rt.store, base, _admin(ctx).check)


async def _applied(ctx: Context) -> None:
    if ctx.runtime.reloader is not None:
        await ctx.runtime.reloader.check()


async def read_list(ctx: Context) -> Response:
    return ctx.page("skills.html", "Skills", rows=await _rows(ctx))


async def read_one(ctx: Context) -> Response:
    name = str(ctx.params["name"])
    row = next((r for r in await _rows(ctx) if r.name == name), None)
    history = await admin.versions(ctx.runtime.store, name)
    if row is None and not history:
        return ctx.page("missing.html", "No such skill", 404, what=f"There is no skill {name}.")
    diffs = {v.version: admin.diff(history[i - 1] if i else None, v) for i, v in enumerate(history)}
    current = next((v for v in history if row and v.version == row.version), None)
    spec = ctx.runtime.assistant.registry.spec(name)
    return ctx.page(
        "skill.html",
        f"Skill {name}",
        name=name,
        row=row,
        spec=spec,
        versions=list(reversed(history)),
        diffs=diffs,
        source=current.source if current else None,
    )


def _toggle(enabled: bool):  # type: ignore[no-untyped-def]
    async def act(ctx: Context) -> Result:
        name = str(ctx.params["name"])
        try:
            change = await _admin(ctx).set_enabled(name, enabled, _actor(ctx))
        except (NotFound, Refused) as exc:
            return Result(False, str(exc), 409, skill=name, target=name)
        await _applied(ctx)
        return Result(True, change.text(), skill=name, target=name)

    return act


async def restore(ctx: Context) -> Result:
    name = str(ctx.params["name"])
    number = ctx.form.get("version", "")
    if not number.isdigit() or int(number) < 1:
        return Result(False, "Pick the version to restore.", 400, skill=name, target=name)
    try:
        change = await _admin(ctx).restore(name, int(number), _actor(ctx))
    except (NotFound, UserError) as exc:
        return Result(False, str(exc), 409, skill=name, target=name)
    await _applied(ctx)
    return Result(True, change.text(), skill=name, target=f"{name} version {number}")


def _form_values(ctx: Context) -> dict[str, str]:
    draft = ctx.form.get(MANIFEST) or ctx.form.get("draft") or ctx.query.get("draft", "")
    fmt = ctx.form.get("format") or (
        "yaml" if draft.lstrip().startswith(("---", "name:")) else "toml"
    )
    enable = ctx.form.get("enable", "on" if not ctx.form else "")
    return {MANIFEST: draft, "format": fmt, "enable": enable}


async def read_new(ctx: Context) -> Response:
    values = dict(ctx.result.values) if ctx.result and ctx.result.values else _form_values(ctx)
    problems = ctx.result.errors if ctx.result else {}
    return ctx.page("skill_new.html", "Add a skill", values=values, problems=problems)


async def draft(ctx: Context) -> Result:
    """A draft manifest sent from another page (the "draft a skill" button): shown, not added."""
    values = _form_values(ctx)
    return Result(True, "A draft manifest: finish it, then add it.", values=values, target="draft")


async def add(ctx: Context) -> Result:
    values = _form_values(ctx)
    text, fmt = values[MANIFEST], values["format"]
    if not text.strip():
        errors = {MANIFEST: "Paste a manifest (TOML or YAML) here."}
        return Result(False, "Nothing to add yet.", 422, values=values, errors=errors)
    if len(text.encode()) > MAX_MANIFEST or fmt not in ("toml", "yaml"):
        errors = {MANIFEST: f"A manifest is TOML or YAML of at most {MAX_MANIFEST // 1024} KB."}
        return Result(False, "The manifest was not added.", 422, values=values, errors=errors)
    try:
        change = await _admin(ctx).add(text, f"manifest.{fmt}", _actor(ctx))
        if values["enable"] != "on":
            await _admin(ctx).set_enabled(change.name, False, _actor(ctx))
    except ManifestError as exc:
        return _refused(values, [str(p) for p in manifest_form.placed(exc.problems)], exc)
    except UserError as exc:
        return _refused(values, [str(p) for p in manifest_form.placed([str(exc)])], exc)
    await _applied(ctx)
    shown = "" if values["enable"] == "on" else " It is disabled until you enable it."
    return Result(
        True,
        change.text() + shown,
        skill=change.name,
        target=change.name,
        redirect=f"/skills/{change.name}",
    )


def _refused(values: dict[str, str], problems: list[str], exc: Exception) -> Result:
    errors = {MANIFEST: "\n".join(problems)}
    first = problems[0] if problems else str(exc)
    count = f"{len(problems)} problems" if len(problems) > 1 else "a problem"
    text = f"The manifest was not added: {count}, shown at the manifest. First: {first}"
    return Result(False, text, 422, values=values, errors=errors)


async def test(ctx: Context) -> Result:
    """Parse an utterance as the assistant would, then dry-run what it understood (the skill's
    preview) as the admin, after the same RBAC check as chat; nothing runs for real."""
    said = ctx.form.get("utterance", "").strip()[: ctx.runtime.settings.limits.max_message_chars]
    values = {"utterance": said}
    if not said:
        return Result(
            False,
            "Type what a person would say.",
            422,
            values=values,
            errors={"utterance": "Type a request, e.g. reset my vpn."},
        )
    assistant = ctx.runtime.assistant
    understood = await asyncio.to_thread(assistant.understander.parse, said)
    if understood.skill is None:
        why = understood.declined or "no skill matches"
        return Result(
            True,
            f"Not understood as a request ({why}); nothing would run.",
            values={**values, "understood": "nothing"},
            target=said,
        )
    slots = understood.slot_values()
    shown = ", ".join(f"{k} = {v}" for k, v in slots.items()) or "none"
    values |= {
        "understood": understood.skill,
        "confidence": f"{understood.confidence:.2f}",
        "slots": shown,
    }
    spec = assistant.registry.spec(understood.skill)
    access = assistant.authorizer.rbac.check(ctx.viewer.principal, spec, slots) if spec else None
    if spec is None or access is None or not access.allowed:
        values["dry_run"] = access.reason if access else "the skill is not loaded"
        return Result(
            True,
            "Understood; the dry run was not allowed.",
            values=values,
            skill=understood.skill,
            target=said,
        )
    run = assistant.executor.context(ctx.viewer.principal, spec.name, slots)
    outcome = await assistant.executor.run(run, spec.name, preview=True)
    values["dry_run"] = outcome.summary
    return Result(
        True,
        f"Understood as {spec.name}; dry run done.",
        values=values,
        skill=spec.name,
        target=said,
    )


pages = (
    Page("/skills", "Skills", read_list, {"test": test}),
    Page("/skills/new", "Add a skill", read_new, {"": draft, "add": add}, nav=False),
    Page(
        "/skills/{name}",
        "Skill",
        read_one,
        {"enable": _toggle(True), "disable": _toggle(False), "restore": restore},
        nav=False,
    ),
)
