"""A grant with `target = "reports"` covers the people the directory names the requester as
manager of, and nobody else: the demo's employees may remove their own reports' access (a
mover's old access, decided in a review), never other people's. Deny by default: without the
directory's manager relation such a grant covers no one."""

from __future__ import annotations

from pathlib import Path

from chatbot.config import Grant, Role
from chatbot.governance.rbac import Rbac
from chatbot.testing import text_of
from chatbot.types import Principal, ReplyKind
from skills.builtin.catalog.selfservice import ACCESS_REVOKE
from tests.governance.harness import MakeChat, settings_from

TEAM = """
[people.alice]
email = "alice@example.com"
roles = ["employee"]
manager = "bob"

[people.frank]
email = "frank@example.com"
roles = ["employee"]
manager = "frank"
"""


async def test_a_manager_may_revoke_their_reports_access_only(make_chat: MakeChat) -> None:
    chat = await make_chat(TEAM)
    mine = await chat.say("bob", "remove alice from grafana")
    assert mine[0].kind is ReplyKind.CONFIRM, text_of(mine)
    assert "alice" in text_of(mine)
    others = await chat.say("bob", "remove erin from grafana")
    assert others[0].kind is ReplyKind.ERROR, text_of(others)
    assert "(for the people you manage only)" in text_of(others)
    upward = await chat.say("alice", "remove bob from grafana")
    assert upward[0].kind is ReplyKind.ERROR, text_of(upward)


async def test_nobody_manages_themselves(make_chat: MakeChat) -> None:
    chat = await make_chat(TEAM)
    rbac, directory = chat.assistant.authorizer.rbac, chat.assistant.directory
    frank, alice, bob = (directory.find(n) for n in ("frank", "alice", "bob"))
    assert frank is not None and alice is not None and bob is not None
    assert not rbac.manages(frank, "frank")
    assert rbac.manages(bob, "alice") and rbac.manages(bob, "alice@example.com")
    assert not rbac.manages(alice, "bob")


def test_without_the_directory_a_reports_grant_covers_no_one(tmp_path: Path) -> None:
    only = Role(grants=(Grant(skill="access.revoke", target="reports"),))
    settings = settings_from(tmp_path, "").model_copy(update={"roles": {"lead": only}})
    rbac = Rbac(settings)
    lead = Principal("lead", "lead@example.com", "Lead", roles=frozenset({"lead"}))
    access = rbac.check(lead, ACCESS_REVOKE, {"resource": "grafana", "user": "amy"})
    assert not access.allowed
    assert "for the people you manage only" in access.reason
    wired = Rbac(settings, {"amy": "lead"}.get)
    assert wired.check(lead, ACCESS_REVOKE, {"resource": "grafana", "user": "amy"}).allowed
    assert not wired.check(lead, ACCESS_REVOKE, {"resource": "grafana", "user": "zed"}).allowed
