"""Finding the incident an alert belongs to, or opening it: same group, else the same
service, environment and alert name within the grouping window, else a new incident, which
is audited and announced (through the outbox, in the same transaction) to the service's
responders and incident channel with its buttons.

Open incidents carry an `open_key` (source and group) under a unique constraint, so two
deliveries opening the same group at once make one incident on any database.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot.governance import audit, outbox
from chatbot.incidents.payloads import Notice
from chatbot.incidents.statements import statements
from chatbot.incidents.states import IncidentState, incident_ref
from chatbot.incidents.writer import IncidentWriter


class IncidentOpening(IncidentWriter):
    """The incident of an alert not seen open before (a mixin of the book)."""

    async def _incident_for(
        self, tx: AsyncSession, notice: Notice, now: datetime
    ) -> tuple[int, bool]:
        """The open incident this alert belongs to: same group, else same service, env and
        alert name opened within the window; else a new one. Returns it and whether it is
        new."""
        sql = statements(self.store.dialect)
        key = f"{notice.source}:{notice.group_key}"
        found = (await tx.execute(sql.incident_by_key, {"open_key": key})).scalar()
        if found is not None:
            return int(found), False
        window = now - timedelta(minutes=self.settings.group_window_minutes)
        where = {"service": notice.service, "env": notice.env, "title": title(notice)}
        similar = (await tx.execute(sql.similar_incident, where | {"since": window})).scalar()
        if similar is not None:
            return int(similar), False
        inserted = await tx.execute(
            sql.open_incident,
            {
                "open_key": key,
                "group_key": notice.group_key,
                "source": notice.source.value,
                "title": title(notice),
                "service": notice.service,
                "env": notice.env,
                "severity": notice.labels.get("severity", ""),
                "state": IncidentState.TRIGGERED.value,
                "partial": notice.partial,
                "started_at": notice.starts_at,
                "created_at": now,
                "updated_at": now,
            },
        )
        new_id = inserted.scalar()
        if new_id is None:  # a concurrent delivery opened it first
            first = (await tx.execute(sql.incident_by_key, {"open_key": key})).scalar_one()
            return int(first), False
        await audit.append(
            tx,
            audit.AuditRecord(
                actor=notice.source.value,
                event="incident.opened",
                platform="alerts",
                channel=notice.source.value,
                outcome=IncidentState.TRIGGERED.value,
                detail={
                    "incident": incident_ref(new_id),
                    "title": title(notice),
                    "service": notice.service,
                    "env": notice.env,
                },
            ),
        )
        self._announce(tx, new_id, notice)
        return new_id, True

    def _announce(self, tx: AsyncSession, incident_id: int, notice: Notice) -> None:
        """Tell the service's responders and its incident channel, through the outbox in
        this transaction (the adapters deliver it after the intake has answered), with the
        buttons to acknowledge, remediate and resolve."""
        from chatbot.incidents import desk  # desk builds on the book

        pick = self.settings
        people = pick.responders.get(notice.service) or pick.responders.get("*", ())
        channel = pick.channels.get(notice.service) or pick.channels.get("*")

        def said(reader: str | None) -> str:
            """The card on the reader's clock (a channel reads UTC, named)."""
            return desk.card_text(
                incident_id,
                title(notice),
                notice.service,
                notice.env,
                notice.starts_at,
                notice.annotations.get("summary", ""),
                zone=self.zone_of(reader),
            )

        offered = desk.remedies(self.settings, title(notice), notice.service, notice.env)
        buttons = desk.card_buttons(incident_id, offered)
        if channel:
            outbox.notify(tx, [], said(None), channel=channel, buttons=buttons)
        for person in dict.fromkeys(people):
            outbox.notify(tx, [person], said(person), buttons=buttons)


def title(notice: Notice) -> str:
    """An incident's title: the alert's name, else its summary."""
    return notice.name or notice.annotations.get("summary", "") or "alert"
