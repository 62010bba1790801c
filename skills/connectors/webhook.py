"""Webhooks as `handoff` targets: a generic signed JSON event, Slack and Teams incoming webhooks.

    webhook        POST {"event": "handoff", ...} to base_url + path, with
                   `X-Idempotency-Key` (one per handoff: the action id) so the receiver drops
                   our retries but never merges two genuine handoffs, and, when the secret
                   `webhook.signing_secret` is set, `X-Signature-256: sha256=<hex HMAC-SHA256
                   of the exact body>` as GitHub signs its webhooks.
    slack_webhook  Slack incoming webhook: {"text": ...} (https://api.slack.com/messaging/
                   webhooks); the URL's secret path is the secret `slack_webhook.path`.
    teams_webhook  Teams incoming webhook / Workflows: a message with one Adaptive Card
                   (https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/
                   how-to/connectors-using); secret path `teams_webhook.path`.

Bodies are built from values, never string-pasted, and sent as the exact bytes signed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any, ClassVar

from chatbot.types import Principal
from skills.connectors.base import Connector
from skills.connectors.config import ConnectorSettings
from skills.ports import Desk


class WebhookSettings(ConnectorSettings):
    path: str = ""


def signature(secret: str, body: bytes) -> str:
    """`sha256=` + hex HMAC-SHA256, the X-Signature-256 / X-Hub-Signature-256 form."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def handoff_text(person: Principal, note: str) -> str:
    who = person.display_name or person.name
    return f"{who} ({person.email}) asks for a person from the service desk: {note}"


class Webhook(Connector):
    title = "the webhook receiver"
    settings_model = WebhookSettings
    ports = (Desk,)
    idempotency_header: ClassVar[str | None] = "X-Idempotency-Key"
    settings: WebhookSettings

    @classmethod
    def headers(cls, settings: WebhookSettings, secrets: Any) -> dict[str, str]:
        token = secrets.scope("webhook").get("token")
        return {"Authorization": f"Bearer {token}"} if token else {}

    @classmethod
    def credentials(cls, settings: WebhookSettings, secrets: Any) -> dict[str, str]:
        found = secrets.scope("webhook").get("signing_secret")
        return {"signing_secret": found} if found else {}

    async def post(self, path: str, body: Mapping[str, Any], key: str) -> int:
        content = json.dumps(body, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json"}
        secret = self.endpoint.credentials.get("signing_secret")
        if secret:
            headers["X-Signature-256"] = signature(secret, content)
        response = await self.request(
            "POST", path or "/", content=content, headers=headers, idempotency_key=key
        )
        return response.status_code

    async def send(self, event: str, values: Mapping[str, object], key: str) -> int:
        return await self.post(self.settings.path, {"event": event, **values}, key)

    async def handoff(self, person: Principal, note: str, key: str) -> str:
        await self.send(
            "handoff",
            {"person": person.name, "email": person.email, "note": note, "key": key},
            key=key,
        )
        return "the service desk was notified"

    async def check(self) -> str:
        return (
            f"{self.endpoint.base_url.rstrip('/')}{self.settings.path} is configured; a "
            "webhook has no harmless read, so nothing was sent"
        )


class SlackWebhook(Webhook):
    title = "Slack"
    idempotency_header = None  # Slack's incoming webhooks take no idempotency header

    @classmethod
    def headers(cls, settings: WebhookSettings, secrets: Any) -> dict[str, str]:
        return {}

    @classmethod
    def credentials(cls, settings: WebhookSettings, secrets: Any) -> dict[str, str]:
        return {"path": secrets.require(cls.scope(), "path")}

    @classmethod
    def scope(cls) -> str:
        return "slack_webhook"

    def body(self, text: str) -> dict[str, Any]:
        return {"text": text}

    async def handoff(self, person: Principal, note: str, key: str) -> str:
        path = self.endpoint.credentials["path"]
        await self.request("POST", path, json_body=self.body(handoff_text(person, note)))
        return f"the service desk's {self.title} channel was told"


class TeamsWebhook(SlackWebhook):
    title = "Teams"

    @classmethod
    def scope(cls) -> str:
        return "teams_webhook"

    def body(self, text: str) -> dict[str, Any]:
        card = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": [{"type": "TextBlock", "text": text, "wrap": True}],
        }
        return {
            "type": "message",
            "attachments": [
                {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
            ],
        }
