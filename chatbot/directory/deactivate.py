"""Marking a person inactive in the directory by hand: what a SCIM `active: false` does to
their row, for the leaver paths that do not come from an identity provider (`chatops
employee offboard`, the employee.offboard skill)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select

from chatbot.directory import records
from chatbot.governance import audit
from chatbot.store.engine import Store
from chatbot.store.tables import DirectoryPerson
from chatbot.types import utcnow


@dataclass(frozen=True, slots=True)
class Deactivated:
    """The person's row id, where the row came from (`records.CONFIG`: the settings file,
    which brings them back at the next start unless removed there), and whether this call
    changed anything (False: they were inactive already)."""

    person_id: str
    source: str
    changed: bool


async def deactivate(store: Store, name: str, actor: str, platform: str) -> Deactivated | None:
    """Set the person inactive (audited as `directory.user.updated`, the directory head
    bumped so every replica drops them); None when the directory has no row for them."""
    async with store.transaction() as tx:
        query = select(DirectoryPerson).where(
            DirectoryPerson.name == name,
            DirectoryPerson.deleted == False,  # noqa: E712
        )
        row = (await tx.exec(query)).first()
        if row is None:
            return None
        if not row.active:
            return Deactivated(row.id, row.source, False)
        version = await records.bump(tx)
        row.active, row.version, row.updated_at = False, version, utcnow()
        await records.touch_groups_of(tx, row.id, version)
        await audit.append(
            tx,
            audit.AuditRecord(
                actor=actor,
                event="directory.user.updated",
                platform=platform,
                channel="-",
                outcome="ok",
                detail={"id": row.id, "name": row.name, "active": False},
            ),
        )
        return Deactivated(row.id, row.source, True)
