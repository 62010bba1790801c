"""Sandbox back ends: the ports of skills.ports with real state in the skill's key-value store.

The demo and the tests see real changes (a created ticket can be looked up, updated and
closed; an unlocked account stays unlocked), with nothing outside the database touched.
"""

from __future__ import annotations

from collections.abc import Mapping

from chatbot.types import Principal, utcnow
from skills.api import KeyValue, Progress, SkillError
from skills.ports import Article, Ticket

ARTICLES = (
    ("KB0000001", "Set up the VPN client on a new laptop"),
    ("KB0000002", "Connect to the office wifi"),
    ("KB0000003", "Install and set up a network printer"),
    ("KB0000004", "Add your work email to an Android or iPhone"),
    ("KB0000005", "Turn on two-factor authentication"),
    ("KB0000006", "Change your Outlook signature"),
    ("KB0000007", "Submit an expense report"),
    ("KB0000008", "Install Microsoft Teams"),
)
ONCALL = {
    "api-gateway": "bob",
    "billing": "carol",
    "checkout": "bob",
    "payments-api": "carol",
    "search": "erin",
    "web": "dave",
}


class SandboxIdentity:
    def __init__(self, kv: KeyValue) -> None:
        self.kv = kv

    async def end_sessions(self, login: str) -> str:
        await self.kv.put(f"sessions:{login}", [])
        return "every session ended"

    async def reset_password(self, login: str) -> str:
        count = int(await self.kv.get(f"password-resets:{login}", 0)) + 1
        await self.kv.put(f"password-resets:{login}", count)
        return f"a one-time reset link was sent to {login} (reset #{count})"

    async def unlock(self, login: str) -> str:
        locked = await self.kv.get(f"locked:{login}", True)
        await self.kv.put(f"locked:{login}", False)
        return "the account is unlocked" if locked else "the account was not locked"

    async def disable(self, login: str) -> str:
        await self.kv.put(f"disabled:{login}", True)
        return "the account is disabled"

    async def add_to_group(self, login: str, resource: str) -> str:
        members = set(await self.kv.get(f"members:{resource}", []))
        await self.kv.put(f"members:{resource}", sorted(members | {login}))
        return f"added to the {resource} group"

    async def remove_from_group(self, login: str, resource: str) -> str:
        members = set(await self.kv.get(f"members:{resource}", []))
        await self.kv.put(f"members:{resource}", sorted(members - {login}))
        return f"removed from the {resource} group"


class SandboxTickets:
    """Incidents INC + 7 digits, numbered from a counter; changes CHG0000001..CHG0000099 exist."""

    def __init__(self, kv: KeyValue) -> None:
        self.kv = kv

    @staticmethod
    def _ticket(row: Mapping[str, str]) -> Ticket:
        return Ticket(row["id"], row["summary"], row["priority"], row["state"])

    async def create(self, person: Principal, summary: str, priority: str, key: str) -> Ticket:
        existing = await self.kv.get(f"request:{key}")
        if existing:  # the same action twice creates one ticket
            return self._ticket(await self.kv.get(f"incident:{existing}"))
        number = int(await self.kv.get("counter", 1000)) + 1
        await self.kv.put("counter", number)
        row = {
            "id": f"INC{number:07d}",
            "summary": summary,
            "priority": priority,
            "state": "new",
            "caller": person.name,
            "at": utcnow().isoformat(),
        }
        await self.kv.put(f"incident:{row['id']}", row)
        await self.kv.put(f"request:{key}", row["id"])
        return self._ticket(row)

    async def get(self, ticket: str) -> Ticket | None:
        row = await self.kv.get(f"incident:{ticket}")
        return self._ticket(row) if row else None

    async def mine(self, person: Principal) -> list[Ticket]:
        rows = (await self.kv.items("incident:")).values()
        return [
            self._ticket(r) for r in rows if r["caller"] == person.name and r["state"] != "resolved"
        ]

    async def _update(self, ticket: str, **changes: str) -> Ticket:
        row = await self.kv.get(f"incident:{ticket}")
        if not row:
            raise SkillError(f"There is no ticket {ticket}.")
        row.update(changes)
        await self.kv.put(f"incident:{ticket}", row)
        return self._ticket(row)

    async def set_priority(self, ticket: str, priority: str) -> Ticket:
        return await self._update(ticket, priority=priority)

    async def close(self, ticket: str, person: Principal) -> Ticket:
        return await self._update(ticket, state="resolved", closed_by=person.name)

    async def close_change(self, change: str, person: Principal) -> str:
        state = await self.kv.get(f"change:{change}")
        if state is None and not 0 < int(change[3:]) < 100:
            raise SkillError(f"There is no change {change}.")
        if state == "closed":
            raise SkillError(f"{change} is already closed; nothing to do.")
        await self.kv.put(f"change:{change}", "closed")
        return "closed"


class SandboxOrchestrator:
    def __init__(self, kv: KeyValue) -> None:
        self.kv = kv

    async def restart(self, service: str, env: str, progress: Progress) -> str:
        await progress(f"step 1 of 2: replacing the pods of {service} in {env}")
        count = int(await self.kv.get(f"restarts:{service}:{env}", 0)) + 1
        await self.kv.put(f"restarts:{service}:{env}", count)
        await progress("step 2 of 2: rollout finished")
        return f"3 pod(s) replaced (restart #{count})"


class SandboxKnowledge:
    async def search(self, query: str) -> list[Article]:
        words = {w for w in query.lower().split() if len(w) > 2}
        scored = [(sum(w in title.lower() for w in words), n, title) for n, title in ARTICLES]
        return [Article(n, t) for s, n, t in sorted(scored, key=lambda r: -r[0]) if s > 0][:5]


class SandboxOnCall:
    async def who(self, service: str | None) -> list[str]:
        if service:
            return [ONCALL.get(service, "dave")]
        return sorted(set(ONCALL.values()))


class SandboxDesk:
    def __init__(self, kv: KeyValue) -> None:
        self.kv = kv

    async def handoff(self, person: Principal, note: str, key: str = "") -> str:
        queue = list(await self.kv.get("queue", []))
        queue.append({"person": person.name, "note": note, "at": utcnow().isoformat()})
        await self.kv.put("queue", queue[-50:])
        return f"you are number {len(queue[-50:])} in the service desk queue"
