"""`chatops skills list | show | add | check | disable | enable | remove | versions | reload |
restore`: the skill registry from a terminal. list, check and versions read the store and the
installed skills without the language model; the commands that change a skill go through the
runtime's skill admin, which audits them and tells running servers."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from chatbot.cli_people import admin
from chatbot.errors import NotFound, UserError
from chatbot.store.opening import open_store

if TYPE_CHECKING:  # the CLI imports this module to build its parser: keep that fast
    from chatbot.config import Settings
    from skills.api import Skill
    from skills.checks import ManifestCheck


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `skills` group to the `chatops` subcommands."""
    skills = sub.add_parser("skills", help="the skill registry")
    sk_sub = skills.add_subparsers(dest="skills_command", required=True)
    sk_list = sk_sub.add_parser("list", help="every registered skill")
    sk_list.add_argument("--json", action="store_true", help="one JSON object per line")
    sk_list.set_defaults(handler=cmd_list)
    show = sk_sub.add_parser("show", help="one skill's declaration")
    show.add_argument("name")
    show.set_defaults(handler=cmd_show)
    add = sk_sub.add_parser("add", help="add or update a manifest skill (TOML or YAML)")
    add.add_argument("file")
    add.add_argument("--as", dest="who", default="", help="the admin making the change")
    add.set_defaults(handler=cmd_add)
    check = sk_sub.add_parser("check", help="validate a manifest without adding it")
    check.add_argument("file")
    check.set_defaults(handler=cmd_check)
    for verb, text, change in (
        ("disable", "disable a skill for everyone", cmd_disable),
        ("enable", "enable a disabled skill", cmd_enable),
        ("remove", "remove a manifest skill (its versions are kept)", cmd_remove),
        ("versions", "the stored versions of a manifest skill", cmd_versions),
    ):
        cmd = sk_sub.add_parser(verb, help=text)
        cmd.add_argument("name")
        cmd.add_argument("--as", dest="who", default="", help="the admin making the change")
        cmd.set_defaults(handler=change)
        if verb == "versions":
            cmd.add_argument("--json", action="store_true", help="one JSON object per line")
            cmd.add_argument(
                "--diff", action="store_true", help="each version's diff against the one before"
            )
    reload = sk_sub.add_parser(
        "reload", help="servers reload skills now (new packages' chatops.skills entry points)"
    )
    reload.add_argument("--as", dest="who", default="", help="the admin asking")
    reload.set_defaults(handler=cmd_reload)
    restore = sk_sub.add_parser("restore", help="make an earlier manifest version current")
    restore.add_argument("name")
    restore.add_argument("version", type=int)
    restore.add_argument("--as", dest="who", default="", help="the admin making the change")
    restore.set_defaults(handler=cmd_restore)


async def cmd_list(settings: Settings, args: argparse.Namespace) -> int:
    from chatbot.light import installed_skills
    from skills import admin as skill_admin
    from skills import replicas

    base = installed_skills(settings)  # once: it scans entry points and builds every connector
    check = manifest_check(settings, base)
    async with open_store(settings) as store:
        rows = await skill_admin.listing(store, base, check)
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


async def cmd_show(settings: Settings, args: argparse.Namespace) -> int:
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


def manifest_check(settings: Settings, base: Sequence[Skill] | None = None) -> ManifestCheck:
    """What `skills check`, `skills list` and the servers use to tell a manifest that can work
    here from one that cannot (allowed hosts, connectors, secrets: this machine's). `base`:
    the installed skills when the caller has them already."""
    from chatbot.light import installed_skills
    from skills.checks import ManifestCheck
    from skills.connectors.secrets import load_secrets

    base = installed_skills(settings) if base is None else base
    return ManifestCheck(
        lambda: [s.spec.name for s in base],
        settings.skills.allowed_hosts,
        settings.connectors,
        lambda: load_secrets(settings.secrets_file),
    )


async def cmd_check(settings: Settings, args: argparse.Namespace) -> int:
    manifest = manifest_check(settings).validate(_read(args.file), args.file)
    print(f"{args.file}: ok ({manifest.model.name}, {len(manifest.model.examples)} examples)")
    return 0


async def _change(settings: Settings, args: argparse.Namespace, verb: str) -> int:
    from chatbot.app import runtime

    actor = admin(settings, args)
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


async def cmd_add(settings: Settings, args: argparse.Namespace) -> int:
    return await _change(settings, args, "add")


async def cmd_disable(settings: Settings, args: argparse.Namespace) -> int:
    return await _change(settings, args, "disable")


async def cmd_enable(settings: Settings, args: argparse.Namespace) -> int:
    return await _change(settings, args, "enable")


async def cmd_remove(settings: Settings, args: argparse.Namespace) -> int:
    return await _change(settings, args, "remove")


async def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    return await _change(settings, args, "restore")


async def cmd_reload(settings: Settings, args: argparse.Namespace) -> int:
    """Every running server reloads its skills; the packages this machine sees are listed."""
    from chatbot.app import runtime
    from skills.packages import described, distributions

    actor = admin(settings, args)
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


async def cmd_versions(settings: Settings, args: argparse.Namespace) -> int:
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
