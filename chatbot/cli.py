"""The `chatops` command. Bad input gives one line on stderr and exit 2, never a traceback.

Every subcommand names its handler with `set_defaults(handler=...)`, an async
`handler(settings, args) -> int`. A module that adds subcommands exposes `register(sub)`
(sub: the subparsers object below) and gets one line in `_build_parser()`. Handlers import
heavy modules (the runtime, spaCy) when they run, so `chatops --help` and the listings start
fast.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, NoReturn

from chatbot import commands, schedules_cli
from chatbot.config import Settings, load_settings
from chatbot.directory import offboard_cli, sync_cli
from chatbot.errors import (
    ChatOpsError,
    ConfigError,
    NotFound,
    Refused,
    StorageUnavailable,
    StoreError,
    UserError,
)
from chatbot.governance import audit_cli, evidence_cli
from chatbot.incidents import cli as incidents_cli
from chatbot.jml import cli as jml_cli
from chatbot.jobs import cli as jobs_cli
from chatbot.logs import configure as configure_logging
from skills.connectors import cli as connectors_cli


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"chatops: {message} (see 'chatops --help')\n")


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return int(text)


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="chatops", description="A ChatOps assistant.")
    parser.add_argument("--config", help="TOML settings file (default: $CHATOPS_CONFIG)")
    parser.add_argument("--version", action="version", version=f"chatops {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    serve = sub.add_parser("serve", help="the HTTP server: web chat, adapters, admin API")
    serve.add_argument("--host", help="address to listen on (default from settings)")
    serve.add_argument("--port", type=int, help="port (default from settings)")
    serve.set_defaults(handler=commands.cmd_serve)

    shell = sub.add_parser("shell", help="chat in the terminal")
    shell.add_argument("--as", dest="who", default="alice", help="demo person (default alice)")
    shell.set_defaults(handler=commands.cmd_shell)

    say = sub.add_parser("say", help="send one message through the whole pipeline")
    say.add_argument("--as", dest="who", required=True, help="who is speaking")
    say.add_argument("--json", action="store_true", help="print the replies as JSON")
    say.add_argument("--press", help="press a button by its value instead of typing")
    say.add_argument("text", nargs="*", help="the message")
    say.set_defaults(handler=commands.cmd_say)

    parse = sub.add_parser("parse", help="one utterance per stdin line -> one JSON line")
    parse.add_argument("--json", action="store_true", help="JSON lines (the only format)")
    parse.set_defaults(handler=commands.cmd_parse)

    evaluate = sub.add_parser("eval", help="accuracy and false triggers on labelled TSV files")
    evaluate.add_argument("files", nargs="+", help="TSV files: text, expected, source")
    evaluate.set_defaults(handler=commands.cmd_eval)

    audit = sub.add_parser("audit", help="read, check and export the audit trail")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True, parser_class=_Parser)
    listing = audit_sub.add_parser("list", help="the latest entries")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=commands.cmd_audit_list)
    verify = audit_sub.add_parser(
        "verify", help="check the hash chain; exit 1 if it was tampered with"
    )
    verify.add_argument(
        "--processes",
        type=_positive,
        help="processes that walk a long SQLite chain (default: one per core)",
    )
    verify.set_defaults(handler=commands.cmd_audit_verify)
    verify.add_argument(
        "--checkpoints", help="signed checkpoint log to compare with (default: the file sink)"
    )
    audit_cli.register(audit_sub)
    evidence_cli.register(audit_sub)
    offboard_cli.register(sub)
    sync_cli.register(sub)
    export = audit_sub.add_parser("export", help="every entry as JSON lines")
    export.add_argument(
        "--since", help="entries at or after: ISO date or time, 'yesterday', '2h', '7d'"
    )
    export.set_defaults(handler=commands.cmd_audit_export)

    approvals = sub.add_parser("approvals", help="the approver's view")
    ap_sub = approvals.add_subparsers(dest="approvals_command", required=True, parser_class=_Parser)
    ap_list = ap_sub.add_parser("list", help="requests waiting for you")
    ap_list.add_argument("--as", dest="who", required=True)
    ap_list.add_argument("--json", action="store_true", help="one JSON object per line")
    ap_list.set_defaults(handler=commands.cmd_approvals_list)
    for verb, decide in (
        ("approve", commands.cmd_approvals_approve),
        ("reject", commands.cmd_approvals_reject),
    ):
        cmd = ap_sub.add_parser(verb, help=f"{verb} a request")
        cmd.add_argument("id", type=int)
        cmd.add_argument("--as", dest="who", required=True)
        cmd.set_defaults(handler=decide)

    skills = sub.add_parser("skills", help="the skill registry")
    sk_sub = skills.add_subparsers(dest="skills_command", required=True, parser_class=_Parser)
    sk_list = sk_sub.add_parser("list", help="every registered skill")
    sk_list.add_argument("--json", action="store_true", help="one JSON object per line")
    sk_list.set_defaults(handler=commands.cmd_skills_list)
    show = sk_sub.add_parser("show", help="one skill's declaration")
    show.add_argument("name")
    show.set_defaults(handler=commands.cmd_skills_show)
    add = sk_sub.add_parser("add", help="add or update a manifest skill (TOML or YAML)")
    add.add_argument("file")
    add.add_argument("--as", dest="who", default="", help="the admin making the change")
    add.set_defaults(handler=commands.cmd_skills_add)
    check = sk_sub.add_parser("check", help="validate a manifest without adding it")
    check.add_argument("file")
    check.set_defaults(handler=commands.cmd_skills_check)
    for verb, text, change in (
        ("disable", "disable a skill for everyone", commands.cmd_skills_disable),
        ("enable", "enable a disabled skill", commands.cmd_skills_enable),
        ("remove", "remove a manifest skill (its versions are kept)", commands.cmd_skills_remove),
        ("versions", "the stored versions of a manifest skill", commands.cmd_skills_versions),
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
    reload.set_defaults(handler=commands.cmd_skills_reload)
    restore = sk_sub.add_parser("restore", help="make an earlier manifest version current")
    restore.add_argument("name")
    restore.add_argument("version", type=int)
    restore.add_argument("--as", dest="who", default="", help="the admin making the change")
    restore.set_defaults(handler=commands.cmd_skills_restore)
    incidents_cli.register(sub)
    schedules_cli.register(sub)
    connectors_cli.register(sub)
    jobs_cli.register(sub)
    jml_cli.register(sub)
    return parser


Handler = Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]


def _handler(args: argparse.Namespace) -> Handler:
    handler: Handler = args.handler  # every subcommand sets one (parser.set_defaults)
    return handler


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("chatops-assistant")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


# Processes that run for a while log as configured; a one-shot command's errors are its one
# line on stderr, so it logs only what was asked for explicitly (CHATOPS_LOG_LEVEL or
# [logging] level), never INFO chatter or warnings with tracebacks.
LONG_RUNNING = ("serve", "worker", "shell")


def _log_settings(args: argparse.Namespace, settings: Settings) -> tuple[str, str]:
    level, fmt = settings.log_settings
    asked = settings.logging.level or os.environ.get("CHATOPS_LOG_LEVEL")
    if args.command not in LONG_RUNNING and not asked:
        level = "CRITICAL"
    return level, fmt


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
        configure_logging(*_log_settings(args, settings))
        return asyncio.run(_handler(args)(settings, args))
    except ConfigError as exc:
        print(f"chatops: configuration error: {exc}", file=sys.stderr)
        return 2
    except StorageUnavailable as exc:
        print(f"chatops: {exc}", file=sys.stderr)
        return 3
    except (NotFound, Refused) as exc:  # well-formed input, nothing done: exit 1
        print(f"chatops: {exc}", file=sys.stderr)
        return 1
    except (StoreError, UserError) as exc:
        print(f"chatops: {exc}", file=sys.stderr)
        return 2
    except ChatOpsError as exc:
        print(f"chatops: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a database that went away mid-command: one line, exit 3
        from chatbot.governance import storage

        if not storage.unavailable(exc):
            raise
        print(f"chatops: the database is unavailable: {storage.one_line(exc)}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
