"""`chatops approvals list | approve | reject`: the approver's view from a terminal. list reads
the store and the skill registry without the language model; approve and reject press the
card's button through the assistant, so they go through the same checks as the chat."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from chatbot.cli_people import known
from chatbot.errors import NotFound
from chatbot.store.opening import open_store

if TYPE_CHECKING:  # the CLI imports this module to build its parser: keep that fast
    from chatbot.config import Settings
    from chatbot.store.engine import Store


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `approvals` group to the `chatops` subcommands."""
    approvals = sub.add_parser("approvals", help="the approver's view")
    ap_sub = approvals.add_subparsers(dest="approvals_command", required=True)
    ap_list = ap_sub.add_parser("list", help="requests waiting for you")
    ap_list.add_argument("--as", dest="who", required=True)
    ap_list.add_argument("--json", action="store_true", help="one JSON object per line")
    ap_list.set_defaults(handler=cmd_list)
    for verb, decide in (("approve", cmd_approve), ("reject", cmd_reject)):
        cmd = ap_sub.add_parser(verb, help=f"{verb} a request")
        cmd.add_argument("id", type=int)
        cmd.add_argument("--as", dest="who", required=True)
        cmd.set_defaults(handler=decide)


async def cmd_list(settings: Settings, args: argparse.Namespace) -> int:
    from chatbot.adapters import shell
    from chatbot.light import governance

    async with open_store(settings) as store, governance(settings, store) as approvals:
        principal = approvals.directory.find_any(known(approvals.directory, args.who))
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
        who = known(rt.assistant.directory, args.who)
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


async def cmd_approve(settings: Settings, args: argparse.Namespace) -> int:
    return await _decide(settings, args, "approve")


async def cmd_reject(settings: Settings, args: argparse.Namespace) -> int:
    return await _decide(settings, args, "reject")
