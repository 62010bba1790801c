"""RBAC and policy, case by case: who asks for what -> allowed, confirm, approval or denied,
with the rule and whom to ask; help and whoami show only what each person may do."""

from __future__ import annotations

import pytest

from chatbot.testing import Chat, text_of
from chatbot.types import ReplyKind
from tests.governance.harness import MakeChat

# who, what -> the reply's kind, words it must contain, words it must not contain
CASES = [
    ("alice", "reset my vpn", ReplyKind.CONFIRM, ["Reset your VPN sessions"], ["vpn.reset"]),
    (
        "alice",
        "reset the vpn for bob",
        ReplyKind.ERROR,
        [
            'your role employee allows only "Reset a VPN connection" (for yourself only)',
            "Ask",
            "erin",
            "dave",
        ],
        ["alice,"],
    ),
    ("erin", "reset the vpn for bob", ReplyKind.CONFIRM, ["Reset bob's VPN sessions"], []),
    ("bob", "deploy web 5.2.0 to dev", ReplyKind.CONFIRM, ["Deploy web 5.2.0 to dev?"], ["Risk:"]),
    (
        "bob",
        "deploy payments-api 2.3.1 to prod",
        ReplyKind.ERROR,
        [
            'your role developer allows only "Deploy a service" where env in dev, staging',
            "carol",
            "dave",
        ],
        [],
    ),
    (
        "alice",
        "deploy payments-api 2.3.1 to staging",
        ReplyKind.ERROR,
        ['none of your roles (employee) grants "Deploy a service"', "carol"],
        [],
    ),
    (
        "carol",
        "deploy payments-api 2.3.1 to prod",
        ReplyKind.CONFIRM,
        ["needs approval by a release-manager (not you)"],
        [],
    ),
    (
        "dave",
        "deploy payments-api 2.3.1 to prod",
        ReplyKind.CONFIRM,
        ["needs approval by a release-manager"],
        [],
    ),
    ("mallory", "reset my vpn", ReplyKind.ERROR, ["don't know you"], []),
]


@pytest.mark.parametrize(("who", "text", "kind", "present", "absent"), CASES)
async def test_who_may_do_what(
    chat: Chat, who: str, text: str, kind: ReplyKind, present: list[str], absent: list[str]
) -> None:
    replies = await chat.say(who, text)
    shown = text_of(replies)
    assert replies[0].kind is kind, shown
    for words in present:
        assert words in shown
    for words in absent:
        assert words not in shown


async def test_help_shows_only_permitted_skills(chat: Chat) -> None:
    alice = text_of(await chat.say("alice", "show me what you can do"))
    bob = text_of(await chat.say("bob", "show me what you can do"))
    assert "Reset a VPN connection" in alice and "Deploy a version" not in alice
    assert "Deploy a version" in bob and "Close a change request" not in bob
    dave = text_of(await chat.say("dave", "show me what you can do"))
    assert "Close a change request" in dave


async def test_whoami_shows_roles_and_only_permitted_skills(chat: Chat) -> None:
    alice = text_of(await chat.say("alice", "who am i"))
    assert "roles: employee (directory entry)" in alice and "Deploy a version" not in alice
    carol = text_of(await chat.say("carol", "who am i"))
    assert "release-manager (directory entry), developer (included), employee (included)" in carol
    assert "Deploy a version" in carol


GROUPS = """
[people]
replace = true

[people.frank]
email = "frank@example.com"
groups = ["oncall"]

[people.carol]
email = "carol@example.com"
roles = ["release-manager"]

[people.gina]
email = "gina@example.com"

[groups.oncall]
roles = ["developer"]
"""


async def test_roles_through_groups_and_nobody_without_a_role(make_chat: MakeChat) -> None:
    chat = await make_chat(GROUPS)
    frank = await chat.say("frank", "deploy web 5.2.0 to staging")
    assert frank[0].kind is ReplyKind.CONFIRM
    gina = await chat.say("gina", "reset my vpn")
    assert gina[0].kind is ReplyKind.ERROR
    assert 'none of your roles (none) grants "Reset a VPN connection"' in text_of(gina)
    # deny by default covers even help: a person with no role is told whom to ask
    helpless = await chat.say("gina", "show me what you can do")
    assert helpless[0].kind is ReplyKind.ERROR and 'grants "What I can do"' in text_of(helpless)


async def test_deny_when_nobody_else_can_approve(make_chat: MakeChat) -> None:
    only_carol = (
        "[people]\nreplace = true\n"
        '[people.carol]\nemail = "carol@example.com"\nroles = ["release-manager"]\n'
    )
    chat = await make_chat(only_carol)
    denied = await chat.say("carol", "deploy payments-api 2.3.1 to prod")
    assert denied[0].kind is ReplyKind.ERROR
    assert "not enough people other than you" in text_of(denied)
