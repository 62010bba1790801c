"""Offboarding on Okta (the vendor's API faked from its contract): what Okta refuses is not
hidden. The grant stays on record for the expiry revoker, the report names Okta's reason,
sessions are still ended, and a back end that cannot disable accounts is reported as such."""

from __future__ import annotations

import json

from sqlmodel import select

from chatbot.directory.leaver import Leaver
from chatbot.directory.offboard import Offboarding
from chatbot.governance import audit
from chatbot.store.tables import DirectoryPerson
from chatbot.testing import text_of
from skills.kv import StoreKeyValue
from tests.skills.skill_fakes import Exchange, FakeSystem

OKTA = {"Authorization": "SSWS okta-s3cret-123", "Accept": "application/json"}
ALICE = Exchange("GET", "/api/v1/users/alice@example.com", 200, {"id": "00u1alice"})
MEMBER = "/api/v1/groups/00g-grafana/users/00u1alice"
REFUSED = {"errorCode": "E0000006", "errorSummary": "You do not have permission"}


async def test_what_okta_refuses_is_in_the_report_with_its_reason(connected) -> None:
    okta = FakeSystem(
        "acme.okta.com",
        [
            ALICE,
            Exchange("PUT", MEMBER, 204),
            ALICE,
            Exchange("DELETE", MEMBER, 403, REFUSED),
            ALICE,
            Exchange("DELETE", "/api/v1/users/00u1alice/sessions", 204),
        ],
        headers=OKTA,
    )
    async with connected({"access.request": "okta"}, okta) as chat:
        asked = await chat.say("alice", "give me access to grafana for 2 hours")
        sent = await chat.click("alice", asked, "Send for approval")
        approved = await chat.click("dave", [r for r in sent if r.to == "dave"], "Approve")
        assert "alice has access to grafana" in text_of(approved)
        rt = chat.runtime
        leaver = Leaver(rt.store, rt.assistant.registry, rt.http)
        offboard = Offboarding(
            rt.store, rt.assistant.directory, rt.assistant.authorizer.rbac, leaver
        )
        async with rt.store.transaction() as tx:
            query = select(DirectoryPerson).where(DirectoryPerson.name == "alice")
            alice = (await tx.exec(query)).one()
        report = await offboard.person(alice.id)
        assert report is not None and not report.complete
        [grant] = [i for i in report.items if i.step == "grant"]
        assert not grant.done and "Okta refused (403): You do not have permission" in grant.detail
        [sessions] = [i for i in report.items if i.step == "sessions"]
        assert sessions.done and "every Okta session ended" in sessions.detail
        [disable] = [i for i in report.items if i.step == "disable"]
        assert not disable.done and "cannot disable" in disable.detail
        assert await StoreKeyValue(rt.store, "access").get("grant:grafana:alice") is not None
        async with rt.store.transaction() as tx:
            [entry] = [e async for e in audit.entries(tx) if e.event == "person.offboarded"]
        assert entry.outcome == "partial"
        assert json.loads(entry.detail)["complete"] is False
