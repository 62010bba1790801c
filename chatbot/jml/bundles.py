"""Which access bundles a person should hold, from their roles, department and job title.

A `Profile` is read from the directory as it is now (roles from the in-memory index, where
group mappings are already applied; department and title from the person's record), so a
joiner, a mover and a reconciliation all answer the same question the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot.config import Bundle, BundleItem
from chatbot.identity import Directory
from chatbot.store.tables import DirectoryPerson


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    roles: frozenset[str]
    department: str
    title: str
    manager: str | None


@dataclass(frozen=True, slots=True)
class Wanted:
    """One bundle item a person should hold, and the bundle that justifies it."""

    bundle: str
    item: BundleItem

    @property
    def key(self) -> tuple[str, str]:
        return self.item.backend, self.item.group


def matches(bundle: Bundle, profile: Profile) -> bool:
    lower = {x.lower() for x in (profile.department, profile.title) if x}
    return (
        bool(profile.roles & set(bundle.roles))
        or any(d.lower() in lower for d in bundle.departments if profile.department)
        or any(t.lower() in lower for t in bundle.titles if profile.title)
    )


def named(bundles: Mapping[str, Bundle], said: str) -> list[str]:
    """The bundles a role word someone typed ("developer", "Engineering", "a designer")
    names: by the bundle's own name or any of its roles, departments or titles, without
    case, a plural "s" or a leading article."""
    words = said.strip().lower().removeprefix("a ").removeprefix("an ").removeprefix("the ")
    wanted = {words, words.removesuffix("s"), words.removesuffix(" team")}
    found = []
    for name, bundle in sorted(bundles.items()):
        keys = {k.lower() for k in (name, *bundle.roles, *bundle.departments, *bundle.titles)}
        if keys & wanted or {k.removesuffix("s") for k in keys} & wanted:
            found.append(name)
    return found


def wanted(
    bundles: Mapping[str, Bundle], profile: Profile, extra: Iterable[str] = ()
) -> dict[tuple[str, str], Wanted]:
    """Every item the person's bundles give, once each (the first bundle naming it wins);
    `extra` names bundles given whatever the profile says (a role said in chat)."""
    found: dict[tuple[str, str], Wanted] = {}
    also = set(extra)
    for name in sorted(bundles):
        if name in also or matches(bundles[name], profile):
            for item in bundles[name].items:
                found.setdefault((item.backend, item.group), Wanted(name, item))
    return found


async def profile(tx: AsyncSession, directory: Directory, name: str) -> Profile | None:
    """The person as the directory knows them now; None when unknown or inactive."""
    who = directory.find(name)
    if who is None or who.guest:
        return None
    query = select(DirectoryPerson).where(
        DirectoryPerson.name == who.name,
        DirectoryPerson.deleted == False,  # noqa: E712
    )
    row = (await tx.exec(query)).first()
    department, title = "", ""
    if row is not None:
        department = row.department
        try:
            title = str(json.loads(row.resource or "{}").get("title") or "")
        except ValueError:
            title = ""
    return Profile(who.name, who.roles, department, title, who.manager)
