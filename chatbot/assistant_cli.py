"""`chatops serve`, `shell`, `say`, `parse` and `eval`: the commands that run the assistant, or
its understanding alone. They are the ones that load the language model; each imports the
runtime when it runs, so building the parser stays cheap for every other command."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from chatbot.cli_people import known
from chatbot.errors import UserError

if TYPE_CHECKING:  # the CLI imports this module to build its parser: keep that fast
    from chatbot.config import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `serve`, `shell`, `say`, `parse` and `eval` to the `chatops` subcommands."""
    serve = sub.add_parser("serve", help="the HTTP server: web chat, adapters, admin API")
    serve.add_argument("--host", help="address to listen on (default from settings)")
    serve.add_argument("--port", type=int, help="port (default from settings)")
    serve.set_defaults(handler=cmd_serve)

    shell = sub.add_parser("shell", help="chat in the terminal")
    shell.add_argument("--as", dest="who", default="alice", help="demo person (default alice)")
    shell.set_defaults(handler=cmd_shell)

    say = sub.add_parser("say", help="send one message through the whole pipeline")
    say.add_argument("--as", dest="who", required=True, help="who is speaking")
    say.add_argument("--json", action="store_true", help="print the replies as JSON")
    say.add_argument("--press", help="press a button by its value instead of typing")
    say.add_argument("text", nargs="*", help="the message")
    say.set_defaults(handler=cmd_say)

    parse = sub.add_parser("parse", help="one utterance per stdin line -> one JSON line")
    parse.add_argument("--json", action="store_true", help="JSON lines (the only format)")
    parse.set_defaults(handler=cmd_parse)

    evaluate = sub.add_parser("eval", help="accuracy and false triggers on labelled TSV files")
    evaluate.add_argument("files", nargs="+", help="TSV files: text, expected, source")
    evaluate.set_defaults(handler=cmd_eval)


async def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from chatbot.governance import storage
    from chatbot.server import serve
    from skills.builtin import builtin_skills
    from skills.connectors.secrets import load_secrets

    # Back ends, connector settings and secrets are checked before listening, so a mistake is
    # one line naming the key, not a server that fails its start-up.
    builtin_skills(settings.backends, settings.connectors, load_secrets(settings.secrets_file))
    # An unreachable database is one line and exit 3 here, not a failed start-up traceback.
    await storage.reachable(settings.database)

    return await serve(settings, args.host, args.port)


async def cmd_shell(settings: Settings, args: argparse.Namespace) -> int:
    from chatbot.adapters import shell
    from chatbot.app import runtime

    async with runtime(settings) as rt:
        await shell.repl(rt.assistant, known(rt.assistant.directory, args.who))
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
        who = known(rt.assistant.directory, args.who)
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
