"""A generic HTTP/webhook connector: POST a JSON event to a configured URL.

Used for `handoff` (the service desk's chat channel or queue) and by any skill whose back end
is `webhook`. The body is JSON built from values, never string-pasted; a `X-Idempotency-Key`
header lets the receiver drop duplicates when we retry.
"""

from __future__ import annotations

from collections.abc import Mapping

from chatbot.types import Principal
from skills.connectors.base import Connector
from skills.connectors.config import ConnectorSettings


class WebhookSettings(ConnectorSettings):
    path: str = ""


class Webhook(Connector):
    settings: WebhookSettings

    async def send(self, event: str, values: Mapping[str, object], key: str) -> int:
        response = await self.request(
            "POST",
            self.settings.path or "/",
            json_body={"event": event, **values},
            idempotency_key=key,
        )
        return response.status_code

    async def handoff(self, person: Principal, note: str) -> str:
        await self.send(
            "handoff",
            {"person": person.name, "email": person.email, "note": note},
            key=f"handoff-{person.name}-{note[:40]}",
        )
        return "the service desk was notified"
