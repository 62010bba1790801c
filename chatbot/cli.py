"""The `chatops` command. Bad input gives one line on stderr and exit 2, never a traceback.

Every subcommand names its handler with `set_defaults(handler=...)`, an async
`handler(settings, args) -> int`. A module that adds subcommands exposes `register(sub)`
(sub: the subparsers object below) and gets one line in `_build_parser()`. Building the parser
imports only those modules, which import nothing heavy at their top; each handler imports
what its command needs when it runs, so `chatops --help` starts at once and the listings
open the store and the skill registry without the language model. `run()` is the console
script: `main()` plus the collector settings of a short-lived process.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from chatbot.errors import (
    ChatOpsError,
    ConfigError,
    NotFound,
    Refused,
    StorageUnavailable,
    StoreError,
    UserError,
)

if TYPE_CHECKING:  # imported in main(), after run() has tuned the collector
    from chatbot.config import Settings


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"chatops: {message} (see 'chatops --help')\n")


class _Version(argparse.Action):
    """`--version`, looked up only when asked: reading the installed package's metadata costs
    every other command time for nothing."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> NoReturn:
        print(f"chatops {_version()}")
        parser.exit()


def _build_parser() -> argparse.ArgumentParser:
    from chatbot import assistant_cli, schedules_cli, skills_cli
    from chatbot.directory import offboard_cli, sync_cli
    from chatbot.governance import approvals_cli, trail_cli
    from chatbot.incidents import cli as incidents_cli
    from chatbot.jml import cli as jml_cli
    from chatbot.jobs import cli as jobs_cli
    from skills.connectors import cli as connectors_cli

    parser = _Parser(prog="chatops", description="A ChatOps assistant.")
    parser.add_argument("--config", help="TOML settings file (default: $CHATOPS_CONFIG)")
    parser.add_argument(
        "--version", action=_Version, nargs=0, help="show program's version number and exit"
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    # The order is the order `chatops --help` lists them in.
    for module in (
        assistant_cli,
        trail_cli,
        offboard_cli,
        sync_cli,
        approvals_cli,
        skills_cli,
        incidents_cli,
        schedules_cli,
        connectors_cli,
        jobs_cli,
        jml_cli,
    ):
        module.register(sub)
    return parser


Handler = Callable[["Settings", argparse.Namespace], Coroutine[Any, Any, int]]


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
    """Run one `chatops` command; its exit code. Tests call this with `argv`."""
    return _run(_build_parser().parse_args(argv))


# The console script's collector thresholds while it starts: a command imports and builds some
# hundred thousand objects that live until it exits, and the default threshold (700) walks them
# again and again (a tenth of its start-up CPU). Collections still run, only rarer, so a long
# export stays bounded; commands that keep running get the defaults back before they start.
START_THRESHOLDS = (50_000, 50, 50)


def run() -> int:
    """The `chatops` console script: main() in a process of its own, tuned for a short life."""
    defaults = gc.get_threshold()
    gc.set_threshold(*START_THRESHOLDS)
    args = _build_parser().parse_args()
    if args.command in LONG_RUNNING:
        gc.set_threshold(*defaults)
    code = _run(args)
    # Everything left lives until the process ends: frozen, the interpreter's final
    # collections skip it instead of walking every object once more on the way out.
    gc.freeze()
    return code


def _run(args: argparse.Namespace) -> int:
    from chatbot.config import load_settings
    from chatbot.logs import configure as configure_logging

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
    sys.exit(run())
