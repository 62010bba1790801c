"""The inbox: an approval decided in the console goes through the chat's own governance."""

from __future__ import annotations

import re

from tests.console.conftest import ConsoleClient


def _ask_for_a_prod_deploy(console: ConsoleClient) -> int:
    asked = console.chat("carol", "deploy web 5.2.0 to prod")
    send = asked[0]["buttons"][0]
    console.chat("carol", press=send["value"])
    return int(send["value"].split(":")[1])


def test_dave_approves_carols_deploy_in_the_console(console: ConsoleClient) -> None:
    action_id = _ask_for_a_prod_deploy(console)
    inbox = console.get("/inbox")
    assert "Waiting for your decision" in inbox.text and "carol" in inbox.text
    assert f'value="approve:{action_id}"' in inbox.text
    done = console.post("/inbox/press", value=f"approve:{action_id}")
    assert done.status_code == 200
    assert f"You approved request #{action_id}" in done.text
    approved = console.audit("action.approved")
    assert approved[-1]["actor"] == "dave" and approved[-1]["channel"] == "console"
    pressed = console.audit("console.press")
    assert pressed[-1]["action_id"] == action_id and pressed[-1]["outcome"] == "ok"
    # The requester hears of it where the web chat picks up notifications.
    notes = console.client.post("/api/inbox", json={"as": "carol"}).json()["notifications"]
    assert any(f"#{action_id}" in n["text"] or "Deploy" in n["text"] for n in notes)
    again = console.post("/inbox/press", value=f"approve:{action_id}")
    assert "already" in again.text


def test_the_requester_cannot_approve_their_own_request(console: ConsoleClient) -> None:
    action_id = _ask_for_a_prod_deploy(console)
    # dave asks, carol is not an admin: dave cannot decide his own through the console either.
    asked = console.chat("dave", "deploy search 1.0.0 to prod")
    send = asked[0]["buttons"][0]
    console.chat("dave", press=send["value"])
    own = int(send["value"].split(":")[1])
    refused = console.post("/inbox/press", value=f"approve:{own}")
    assert refused.status_code == 409 and "your own request" in refused.text
    assert console.audit("console.press")[-1]["outcome"] == "failed"
    everyone = console.get("/inbox")
    assert f"#{action_id}" in everyone.text and f"#{own}" in everyone.text


def test_an_auditor_sees_the_inbox_but_cannot_decide(console: ConsoleClient) -> None:
    action_id = _ask_for_a_prod_deploy(console)
    page = console.get("/inbox", as_="frank")
    assert page.status_code == 200 and "Everyone's requests" not in page.text
    refused = console.post("/inbox/press", as_="frank", value=f"approve:{action_id}")
    assert refused.status_code == 403
    assert console.audit("console.press")[-1]["outcome"] == "refused"
    assert not console.audit("action.approved")


def test_a_forged_button_gets_a_sentence(console: ConsoleClient) -> None:
    for value in ("approve:-1", "slot:prod", "", "approve:1x"):
        answer = console.post("/inbox/press", value=value)
        assert answer.status_code == 400 and "reload the page" in answer.text
    gone = console.post("/inbox/press", value="approve:99999")
    assert gone.status_code == 200 and re.search(r"gone", gone.text)
