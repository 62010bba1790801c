"""Telling people about a new incident where they work, after the intake has answered.

Who responds: the people configured for the service (`incidents.responders`) and, when on-call
look-ups run on PagerDuty (`backends."oncall.who" = "pagerduty"`), whoever is on call first for
the service's escalation policy, found in the directory by email. PagerDuty being slow, down
or unconfigured is a line on the timeline, never a reason to hold the incident back: the card
goes out to the configured people and channel all the same.

The card (text and buttons, as in the outbox) goes to the service's incident channel and to
each responder on every chat platform that is running; where it landed is remembered, so the
replies in its thread reach the incident (threads.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from chatbot import texts
from chatbot.adapters.relay import Relay
from chatbot.config import Settings
from chatbot.governance import audit, outbox
from chatbot.governance.redaction import redact
from chatbot.identity import Directory
from chatbot.incidents import desk, threads
from chatbot.incidents.book import EventKind, IncidentBook, incident_ref
from chatbot.incidents.tables import Incident
from chatbot.types import Button, Reply
from skills.backends import chosen
from skills.connectors.factory import connector
from skills.connectors.secrets import load_secrets

log = logging.getLogger(__name__)
PAGERDUTY = "pagerduty"
# Long enough for one retry after a rate limit, short enough that a card is never held long.
ONCALL_TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True, slots=True)
class Responders:
    """Directory people PagerDuty says are on call, and the timeline lines that say so (or
    say why PagerDuty could not be asked)."""

    people: tuple[str, ...] = ()
    lines: tuple[str, ...] = ()
    failed: bool = False


async def on_call(
    settings: Settings, http: httpx.AsyncClient, directory: Directory, service: str
) -> Responders:
    """Who PagerDuty pages first for `service`, as directory people; never raises."""
    if chosen(settings.backends, "oncall.who") != PAGERDUTY or not service:
        return Responders()
    try:
        make = connector(
            PAGERDUTY, settings.connectors, load_secrets(settings.secrets_file), asyncio.sleep
        )
        found = await asyncio.wait_for(make(http).responders(service), ONCALL_TIMEOUT_SECONDS)
    except Exception as exc:  # PagerDuty's trouble is told on the timeline, never raised
        why = redact(str(exc).strip() or type(exc).__name__)[:300]
        log.warning("incidents: PagerDuty on-call look-up for %s failed: %s", service, why)
        return Responders(lines=(texts.oncall_failed(why),), failed=True)
    if not found:
        return Responders(lines=(texts.ONCALL_NOBODY,))
    known: list[str] = []
    strangers: list[str] = []
    for person in found:
        principal = directory.find(person.email)
        if principal is None:
            strangers.append(person.name)
        else:
            known.append(principal.name)
    lines = [texts.oncall_found(_shown(directory, known))] if known else []
    if strangers:
        lines.append(texts.oncall_strangers(strangers))
    return Responders(tuple(dict.fromkeys(known)), tuple(lines))


def _shown(directory: Directory, names: Sequence[str]) -> list[str]:
    """People's display names, as a card shows them."""
    return [(p.display_name or p.name) if (p := directory.find(n)) else n for n in names]


class Announcer:
    def __init__(
        self,
        book: IncidentBook,
        settings: Settings,
        http: httpx.AsyncClient,
        directory: Directory,
        relay: Relay,
    ) -> None:
        self.book, self.settings, self.http = book, settings, http
        self.directory, self.relay = directory, relay

    async def announce(self, opened: Sequence[int]) -> None:
        """Each new incident in turn; one failing is logged and the others still go out.
        With no chat platform running and no on-call look-up, the outbox written with the
        incident already said everything there is to say."""
        asks = chosen(self.settings.backends, "oncall.who") == PAGERDUTY
        if not asks and not self.relay.joined_any:
            return
        for incident_id in opened:
            try:
                await self.one(incident_id)
            except Exception:  # a background task: nobody is waiting to be told
                log.exception("incidents: announcing %s failed", incident_ref(incident_id))

    async def one(self, incident_id: int) -> None:
        incident = await self.book.get(incident_id)
        team = await on_call(self.settings, self.http, self.directory, incident.service)
        pick = self.settings.incidents
        configured = pick.responders.get(incident.service) or pick.responders.get("*", ())
        names = list(dict.fromkeys([*configured, *team.people]))
        summary, shown = await self._summary(incident_id), _shown(self.directory, names)

        def said(reader: str | None) -> str:
            """The card on the reader's clock (a channel reads UTC, named)."""
            return desk.card_text(
                incident_id,
                incident.title,
                incident.service,
                incident.env,
                incident.started_at,
                summary,
                shown,
                zone=self.directory.zone(reader),
            )

        text = said(None)
        offered = desk.remedies(pick, incident.title, incident.service, incident.env)
        buttons = desk.card_buttons(incident_id, offered)
        await self._record(
            incident, team, [n for n in team.people if n not in configured], text, buttons
        )
        channel = pick.channels.get(incident.service) or pick.channels.get("*")
        cards = [Reply(text, buttons=buttons, channel=channel)] if channel else []
        cards += [Reply(said(name), buttons=buttons, to=name) for name in names]
        for card in cards:
            for platform, conversation, message_id in await self.relay.announce(card):
                await threads.remember(
                    self.book.store, incident_id, platform, [(conversation, message_id)]
                )

    async def _summary(self, incident_id: int) -> str:
        for alert in await self.book.alerts(incident_id):
            try:
                summary = json.loads(alert.annotations).get("summary", "")
            except ValueError:
                continue
            if summary:
                return str(summary)
        return ""

    async def _record(
        self,
        incident: Incident,
        team: Responders,
        extra: Sequence[str],
        text: str,
        buttons: Sequence[Button],
    ) -> None:
        """The responders on the timeline, audited, and the on-call people's card in the
        outbox (the configured ones got theirs with the incident), in one transaction."""
        assert incident.id is not None
        ref = incident_ref(incident.id)
        if not team.lines and not extra:
            return
        async with self.book.store.transaction() as tx:
            for i, line in enumerate(team.lines):
                key = f"inc:{incident.id}:responders:{i}"
                await self.book.record(tx, incident.id, EventKind.RESPONDERS, PAGERDUTY, line, key)
            if extra:
                outbox.notify(tx, extra, text, buttons=buttons)
            if team.lines:
                await audit.append(
                    tx,
                    audit.AuditRecord(
                        actor=PAGERDUTY,
                        event="incident.responders",
                        platform="alerts",
                        channel="",
                        outcome="failed" if team.failed else "found",
                        detail={"incident": ref, "responders": list(team.people)},
                    ),
                )
