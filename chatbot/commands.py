"""The handlers behind each `chatops` subcommand (the parser lives in cli.py).

Each handler imports what it needs when it runs: listings open the store and the skill
registry only, so they start in a fraction of a second; only the commands that talk to the
assistant (say, shell, approve...) load the language model.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from chatbot.config import Settings
from chatbot.errors import NotFound, UserError

if TYPE_CHECKING:
    from chatbot.identity import Directory
    from chatbot.store.engine import Store
    from chatbot.store.tables import AuditEntry
    from skills.admin import Actor
    from skills.checks import ManifestCheck


@asynccontextmanager
async def open_store(settings: Settings) -> AsyncIterator[Store]:
    """The store alone, migrated: what listings need, without the assistant."""
    from chatbot.store.engine import Store

    store = Store(settings.database)
    try:
        await store.migrate()
        yield store
    finally:
        await store.close()


def _person(settings: Settings, who: str) -> str:
    name = who.strip().lower()
    if name in settings.people or any(p.email == name for p in settings.people.values()):
        return name
    known = ", ".join(settings.people) or "nobody"
    raise UserError(f"unknown person {who!r}; the directory knows: {known}")


def _known(directory: Directory, who: str) -> str:
    """The person `--as` names, by name or email, from the directory in the database (so
    people provisioned over SCIM can be tried from a terminal); their name."""
    principal = directory.find_any(who)
    if principal is None:
        raise UserError(
            f"unknown person {who!r}; give a name or an email from the directory, "
            "e.g. --as alice or --as alice@example.com"
        )
    return principal.name


async def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from chatbot.server import serve
    from skills.builtin import builtin_skills
    from skills.connectors.secrets import load_secrets

    # Back ends, connector settings and secrets are checked before listening, so a mistake is
    # one line naming the key, not a server that fails its start-up.
    builtin_skills(settings.backends, settings.connectors, load_secrets(settings.secrets_file))
    # An unreachable database is one line and exit 3 here, not a failed start-up traceback.
    from chatbot.governance import storage

    await storage.reachable(settings.database)

    return await serve(settings, args.host, args.port)


async def cmd_shell(settings: Settings, args: argparse.Namespace) -> int:
    from chatbot.adapters import shell
    from chatbot.app import runtime

    async with runtime(settings) as rt:
        await shell.repl(rt.assistant, _known(rt.assistant.directory, args.who))
    return 0


async def cmd_say(settings: Settings, args: argparse.Namespace) -> int:
    from chatbot.adapters import shell
    from chatbot.app import runtime

    text = " ".join(args.text)
    if not text.strip() and not args.press:
        raise UserError(
            "nothing to say; give the message, e.g. chatops say --as alice reset my vpn"
        )
    async with runtime(settings) as rt:
        who = _known(rt.assistant.directory, args.who)
        replies = await rt.assistant.handle(shell.message(who, text, args.press))
        if rt.assistant.health.failing:
            from chatbot import texts
            from chatbot.errors import StorageUnavailable

            raise StorageUnavailable(texts.STORAGE_DOWN)
    if args.json:
        print(json.dumps(shell.as_json(replies), ensure_ascii=False))
    else:
        for reply in replies:
            print(shell.render(reply))
    return 0


async def cmd_parse(settings: Settings, args: argparse.Namespace) -> int:
    from chatbot.app import build_understander
    from intents.jsonl import interpretation_to_json
    from skills.builtin import builtin_skills
    from skills.registry import SkillRegistry

    understander = build_understander(settings, SkillRegistry(builtin_skills()))
    limit = settings.limits.max_message_chars
    for line in sys.stdin:
        text = line.rstrip("\n")[:limit]
        print(json.dumps(interpretation_to_json(understander.parse(text)), ensure_ascii=False))
    return 0


async def cmd_eval(settings: Settings, args: argparse.Namespace) -> int:
    from chatbot.app import build_understander
    from intents.evaluation import evaluate
    from skills.builtin import builtin_skills
    from skills.registry import SkillRegistry

    registry = SkillRegistry(builtin_skills())
    understander = build_understander(settings, registry)
    side_effect = {s.name for s in registry.specs() if s.side_effect}
    high = {s.name for s in registry.specs() if s.risk.value == "high"} | {"service.restart"}
    report = evaluate(understander, [Path(f) for f in args.files], side_effect, high)
    print(report.render())
    return 0


def _entry_json(entry: AuditEntry) -> dict[str, object]:
    return {
        "seq": entry.seq,
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "event": entry.event,
        "platform": entry.platform,
        "channel": entry.channel,
        "skill": entry.skill,
        "action_id": entry.action_id,
        "outcome": entry.outcome,
        "detail": json.loads(entry.detail),
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


async def cmd_audit_list(settings: Settings, args: argparse.Namespace) -> int:
    from sqlmodel import col, select

    from chatbot import channel_names
    from chatbot.store.tables import AuditEntry

    async with open_store(settings) as store:
        async with store.read() as tx:
            query = select(AuditEntry).order_by(col(AuditEntry.seq).desc())
            rows = list(reversed((await tx.exec(query.limit(max(args.limit, 1)))).all()))
        shown = await channel_names.names(store)  # people read #ops, not C0123
    for e in rows:
        if args.json:
            print(json.dumps(_entry_json(e), ensure_ascii=False))
        else:
            where = f"{e.platform}:{shown.get(e.channel, e.channel)}"
            what = f"{e.event} {e.skill or ''}".strip()
            action = f" #{e.action_id}" if e.action_id else ""
            print(
                f"{e.seq:>6} {e.at:%Y-%m-%d %H:%M:%S} {e.actor:<8} {where:<16} {what}{action} "
                f"-> {e.outcome}"
            )
    return 0


async def cmd_audit_verify(settings: Settings, args: argparse.Namespace) -> int:
    from chatbot.governance import audit_cli

    return await audit_cli.cmd_verify(settings, args)


async def cmd_audit_export(settings: Settings, args: argparse.Namespace) -> int:
    from chatbot.governance import audit
    from chatbot.times import parse_since

    since = parse_since(args.since) if args.since else None

    async with open_store(settings) as store, store.snapshot() as tx:
        async for entry in audit.entries(tx):
            if since is None or entry.at >= since:
                print(json.dumps(_entry_json(entry), ensure_ascii=False))
    return 0


async def cmd_approvals_list(settings: Settings, args: argparse.Namespace) -> int:
    from chatbot.adapters import shell
    from chatbot.light import governance

    async with open_store(settings) as store, governance(settings, store) as approvals:
        principal = approvals.directory.find_any(_known(approvals.directory, args.who))
        assert principal is not None
        cards = await approvals.inbox(principal)
        notes = await approvals.deliver(principal.name)
    if args.json:
        for line in shell.as_json([*notes, *cards]):
            print(json.dumps(line, ensure_ascii=False))
        return 0
    for note in notes:
        print(shell.render(note))
    for card in cards:
        print(shell.render(card))
    if not cards:
        print("Nothing is waiting for your approval.")
    return 0


async def _votes(store: Store, action_id: int) -> tuple[str, int] | None:
    """The request's state and approval count, or None when there is no such request."""
    from chatbot.governance import actions

    async with store.transaction() as tx:
        action = await actions.get(tx, action_id)
        if action is None:
            return None
        return str(action.state), len(await actions.voters(tx, action_id))


async def _decide(settings: Settings, args: argparse.Namespace, verb: str) -> int:
    from chatbot.adapters import shell
    from chatbot.app import runtime

    async with runtime(settings) as rt:
        who = _known(rt.assistant.directory, args.who)
        before = await _votes(rt.store, args.id)
        if before is None:
            raise NotFound(
                f"request {args.id} does not exist; see 'chatops approvals list --as {args.who}'"
            )
        replies = await rt.assistant.handle(shell.message(who, press=f"{verb}:{args.id}"))
        after = await _votes(rt.store, args.id)
    for reply in replies:
        print(shell.render(reply))
    # 0 only when the decision was recorded: the request moved or gained this vote; "already
    # approved", "you already voted" and refusals change nothing and exit 1.
    failed = any(r.kind == "error" for r in replies)
    return 1 if failed or after == before else 0


async def cmd_approvals_approve(settings: Settings, args: argparse.Namespace) -> int:
    return await _decide(settings, args, "approve")


async def cmd_approvals_reject(settings: Settings, args: argparse.Namespace) -> int:
    return await _decide(settings, args, "reject")


def _admin(settings: Settings, args: argparse.Namespace) -> Actor:
    """The CLI acts as the named admin, or as the operating-system user running it."""
    from skills.admin import Actor

    who = args.who or getpass.getuser()
    if args.who:
        _person(settings, args.who)
    return Actor(who, "cli", "terminal")


async def cmd_skills_list(settings: Settings, args: argparse.Namespace) -> int:
    from chatbot.light import installed_skills
    from skills import admin as skill_admin
    from skills import replicas

    check = manifest_check(settings)
    async with open_store(settings) as store:
        rows = await skill_admin.listing(store, installed_skills(settings), check)
        live = await replicas.live(store)
        head = await skill_admin.head(store)
    rows = replicas.annotate(rows, live)
    for row in rows:
        if args.json:
            print(json.dumps(row.as_json(), ensure_ascii=False))
            continue
        effect = "side effect" if row.side_effect else "read-only"
        state = "" if row.state == "active" else f" [{row.state}]"
        kind = f"v{row.version}" if row.version else row.kind
        came = f" (from {row.source})" if row.source.startswith("package") else ""
        # Replicas that see this skill otherwise than "active" are named with their state.
        odd = "".join(f" [on {r}: {s}]" for r, s in row.replicas if s != "active")
        line = f"{row.name:<16} {row.risk:<6} {effect:<11} {kind:<8} {row.description}"
        print(f"{line}{state}{came}{odd}")
    if not args.json:
        for line in replicas.summary(live, head):
            print(line)
    return 0


async def cmd_skills_show(settings: Settings, args: argparse.Namespace) -> int:
    from chatbot.app import runtime
    from skills import admin as skill_admin

    async with runtime(settings) as rt:
        spec = rt.assistant.registry.spec(args.name)
        history = await skill_admin.versions(rt.store, args.name)
    if spec is None:
        if history:
            raise NotFound(f"skill {args.name!r} is disabled or removed; see its versions")
        raise NotFound(f"no skill named {args.name!r}; see 'chatops skills list'")
    print(f"{spec.name}: {spec.description}")
    print(f"  risk {spec.risk.value}; requires {spec.requires.value}; permission {spec.permission}")
    for slot in spec.slots:
        need = "required" if slot.required and slot.default is None else f"default {slot.default}"
        print(f"  slot {slot.name}: {slot.type.value}, {need}")
    for example in spec.examples:
        print(f"  e.g. {example}")
    if history:
        print(f"  manifest versions: {', '.join(str(v.version) for v in history)}")
    return 0


def _read(file: str) -> str:
    try:
        return Path(file).read_text("utf-8")
    except FileNotFoundError:
        raise UserError(f"{file}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{file}: cannot be read ({type(exc).__name__})") from None


def manifest_check(settings: Settings) -> ManifestCheck:
    """What `skills check`, `skills list` and the servers use to tell a manifest that can work
    here from one that cannot (allowed hosts, connectors, secrets: this machine's)."""
    from chatbot.light import installed_skills
    from skills.checks import ManifestCheck
    from skills.connectors.secrets import load_secrets

    base = installed_skills(settings)
    return ManifestCheck(
        lambda: [s.spec.name for s in base],
        settings.skills.allowed_hosts,
        settings.connectors,
        lambda: load_secrets(settings.secrets_file),
    )


async def cmd_skills_check(settings: Settings, args: argparse.Namespace) -> int:
    manifest = manifest_check(settings).validate(_read(args.file), args.file)
    print(f"{args.file}: ok ({manifest.model.name}, {len(manifest.model.examples)} examples)")
    return 0


async def _change(settings: Settings, args: argparse.Namespace, verb: str) -> int:
    from chatbot.app import runtime

    actor = _admin(settings, args)
    async with runtime(settings) as rt:
        assert rt.skills is not None
        if verb == "add":
            change = await rt.skills.add(_read(args.file), args.file, actor)
        elif verb == "restore":
            change = await rt.skills.restore(args.name, args.version, actor)
        elif verb == "remove":
            change = await rt.skills.remove(args.name, actor)
        else:
            change = await rt.skills.set_enabled(args.name, verb == "enable", actor)
    later = " Running servers pick it up within seconds." if change.changed else ""
    print(change.text() + later)
    return 0


async def cmd_skills_add(settings: Settings, args: argparse.Namespace) -> int:
    return await _change(settings, args, "add")


async def cmd_skills_disable(settings: Settings, args: argparse.Namespace) -> int:
    return await _change(settings, args, "disable")


async def cmd_skills_enable(settings: Settings, args: argparse.Namespace) -> int:
    return await _change(settings, args, "enable")


async def cmd_skills_remove(settings: Settings, args: argparse.Namespace) -> int:
    return await _change(settings, args, "remove")


async def cmd_skills_restore(settings: Settings, args: argparse.Namespace) -> int:
    return await _change(settings, args, "restore")


async def cmd_skills_reload(settings: Settings, args: argparse.Namespace) -> int:
    """Every running server reloads its skills; the packages this machine sees are listed."""
    from chatbot.app import runtime
    from skills.packages import described, distributions

    actor = _admin(settings, args)
    async with runtime(settings) as rt:
        assert rt.skills is not None
        await rt.skills.reload(actor)
        base = rt.reloader.source.base if rt.reloader else []
    dists = distributions(base)
    packaged = sorted({described(s, dists) for s in base} - {"builtin"})
    print("Reload requested: running servers load their skills again within seconds.")
    print(f"Packages with skills here: {', '.join(packaged) or 'none'}.")
    print(
        "A newly installed package is picked up without a restart; a package upgraded in "
        "place needs a restart of each server that had imported it (its log says so)."
    )
    return 0


async def cmd_skills_versions(settings: Settings, args: argparse.Namespace) -> int:
    from skills import admin as skill_admin

    async with open_store(settings) as store:
        history = await skill_admin.versions(store, args.name)
    if not history:
        raise NotFound(f"skill {args.name!r} has no stored manifest versions")
    diffs = [skill_admin.diff(p, v) for p, v in zip([None, *history], history, strict=False)]
    if args.json:
        for v, text in zip(history, diffs, strict=True):
            row = {
                "name": v.name,
                "version": v.version,
                "created_at": v.created_at.isoformat(),
                "created_by": v.created_by,
                "format": v.format,
                "sha256": v.sha256,
                **({"diff": text} if args.diff else {}),
            }
            print(json.dumps(row, ensure_ascii=False))
        return 0
    for v, text in zip(history, diffs, strict=True):
        print(
            f"{v.version:>4} {v.created_at:%Y-%m-%d %H:%M:%S} {v.created_by:<10} {v.format} "
            f"sha256 {v.sha256[:12]}"
        )
        if args.diff:
            print(text, end="")
    return 0
