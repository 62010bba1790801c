"""What people can do about an incident from its card: acknowledge, resolve, remediate.

Acknowledge and resolve need a grant for `incident.ack` / `incident.resolve` like any skill.
A remediation button is a request like any other: it goes through understanding's slots,
RBAC, policy, confirmation and approval in `Assistant`, and its outcome, refusals included,
is written on the incident's timeline. The buttons are worked out again from configuration and
the incident when pressed, never taken from the click, so a forged value can only name an
incident and an index, nothing to run.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from fnmatch import fnmatchcase

from chatbot import texts
from chatbot.config import IncidentSettings
from chatbot.errors import UserError
from chatbot.governance import audit
from chatbot.governance.rbac import Rbac
from chatbot.incidents.book import IncidentBook, IncidentState, incident_ref
from chatbot.times import UNKNOWN, Zone, say
from chatbot.types import Button, ButtonStyle, ButtonValue, ButtonVerb, Principal
from skills.builtin.catalog.incidents import INCIDENT_ACK as ACK
from skills.builtin.catalog.incidents import INCIDENT_RESOLVE as RESOLVE

_MOVES = {
    ButtonVerb.INCIDENT_ACK: (ACK, IncidentState.ACKNOWLEDGED),
    ButtonVerb.INCIDENT_RESOLVE: (RESOLVE, IncidentState.RESOLVED),
}
MAX_REMEDIES = 4


@dataclass(frozen=True, slots=True)
class Remedy:
    title: str
    skill: str
    slots: dict[str, str] = field(default_factory=dict)
    auto: bool = False


def remedies(settings: IncidentSettings, alert: str, service: str, env: str) -> list[Remedy]:
    """Configured runbooks for this alert or service first, then a rollback and a restart of
    the service where the incident names one."""
    found = [
        Remedy(book.title or book.skill, book.skill, dict(book.slots), book.auto)
        for book in settings.runbooks
        if fnmatchcase(alert, book.alert) and fnmatchcase(service, book.service)
    ]
    if service and env:
        where = {"service": service, "env": env}
        found.append(Remedy(f"Roll back {service} in {env}", "deploy.rollback", where))
        found.append(Remedy(f"Restart {service} in {env}", "service.restart", where))
    return found[:MAX_REMEDIES]


def card_text(
    incident_id: int,
    title: str,
    service: str,
    env: str,
    starts_at: datetime,
    summary: str = "",
    responders: Sequence[str] = (),
    zone: Zone = UNKNOWN,
) -> str:
    """The card's words: what, where, since when (on the reader's clock), and who was asked
    to respond."""
    where = " ".join(part for part in (service, env) if part)
    return (
        f"Incident {incident_ref(incident_id)}: {title}"
        + (f" on {where}" if where else "")
        + f", since {say(starts_at, zone)}."
        + (f" {summary}." if summary else "")
        + (f" {texts.responders_line(responders)}" if responders else "")
    )


def rollback_of(offered: Sequence[Remedy]) -> int | None:
    """Which offered remediation "roll it back" means: the rollback of the incident's service,
    when one is offered; never a guess among others."""
    found = [i for i, r in enumerate(offered) if r.skill == "deploy.rollback"]
    return found[0] if len(found) == 1 else None


def card_buttons(incident_id: int, offered: Sequence[Remedy]) -> tuple[Button, ...]:
    ident = str(incident_id)
    return (
        Button(
            texts.INCIDENT_ACK,
            str(ButtonValue(ButtonVerb.INCIDENT_ACK, ident)),
            ButtonStyle.PRIMARY,
        ),
        *(
            Button(r.title, str(ButtonValue(ButtonVerb.REMEDY, f"{ident}.{i}")))
            for i, r in enumerate(offered)
        ),
        Button(texts.INCIDENT_RESOLVE, str(ButtonValue(ButtonVerb.INCIDENT_RESOLVE, ident))),
    )


def _remedy_ref(arg: str) -> tuple[int, int] | None:
    incident, sep, index = arg.partition(".")
    ok = sep and incident.isascii() and incident.isdigit() and index.isascii() and index.isdigit()
    if not ok or len(incident) > 12 or len(index) > 2:
        return None
    return int(incident), int(index)


class IncidentDesk:
    def __init__(self, book: IncidentBook, rbac: Rbac) -> None:
        self.book, self.rbac = book, rbac

    async def move(
        self, principal: Principal, verb: ButtonVerb, incident_id: int, event_id: str | None = None
    ) -> str:
        spec, state = _MOVES[verb]
        access = self.rbac.check(principal, spec, {})
        ref = incident_ref(incident_id)
        try:
            await self.book.get(incident_id)
        except UserError as exc:
            return str(exc)
        if not access.allowed:
            text = texts.incident_refused(state, access.reason)
            refused = audit.AuditRecord(
                actor=principal.name,
                event=f"incident.{state.value}",
                platform="chat",
                channel="",
                outcome="denied",
                detail={"incident": ref, "reason": access.reason},
            )
            await self._note(incident_id, principal.name, text, event_id, refused)
            return texts.denied(access.reason)
        try:
            await self.book.move(incident_id, state, principal.name)
        except UserError as exc:
            return str(exc)
        return texts.incident_moved(ref, state)

    async def remedy(self, arg: str) -> tuple[int, Remedy] | None:
        """The incident and the remediation a button names, worked out again now."""
        ref = _remedy_ref(arg)
        if ref is None:
            return None
        try:
            incident = await self.book.get(ref[0])
        except UserError:
            return None
        offered = remedies(self.book.settings, incident.title, incident.service, incident.env)
        return (ref[0], offered[ref[1]]) if ref[1] < len(offered) else None

    async def rollback_arg(self, incident_id: int) -> str | None:
        """The remediation button "roll it back" in the incident's thread stands for (as
        "12.0"), so it takes exactly the button's path; None when there is none to take."""
        incident = await self.book.get(incident_id)
        offered = remedies(self.book.settings, incident.title, incident.service, incident.env)
        index = rollback_of(offered)
        return None if index is None else f"{incident_id}.{index}"

    async def requested(
        self, incident_id: int, who: str, remedy: Remedy, answer: str, event_id: str | None = None
    ) -> None:
        text = texts.remedy_requested(who, remedy.title, answer)
        await self._note(incident_id, who, text, event_id)

    async def _note(
        self,
        incident_id: int,
        who: str,
        text: str,
        event_id: str | None,
        audited: audit.AuditRecord | None = None,
    ) -> None:
        """A timeline line keyed by the platform's event: a redelivered click adds nothing.
        `audited` is written in the same transaction (a refusal)."""
        key = f"act:{incident_id}:{event_id or uuid.uuid4().hex}"
        async with self.book.store.transaction() as tx:
            await self.book.record_action(tx, incident_id, who, text, key)
            if audited is not None:
                await audit.append(tx, audited)
