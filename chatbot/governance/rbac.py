"""Role-based access: deny by default; roles grant skills, narrowed by slot values and target.

Roles come to a person directly or through groups; a role may include others. A denial names
the rule that came closest and who could help, so nobody is left guessing whom to ask.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from chatbot.config import Grant, Settings
from chatbot.types import Principal
from skills.api import SkillSpec


@dataclass(frozen=True, slots=True)
class Access:
    allowed: bool
    rule: str
    reason: str = ""


@dataclass
class ChannelBook:
    """Chat channel names and ids, as the chat platform resolved them (Slack's
    conversations.info / conversations.list, chatbot/channel_names.py): a grant written
    `#ops` applies in the channel `#ops` was resolved to, and people read `#ops`, not C0123.
    Filled at start and when the adapter learns more; empty, grants match as written."""

    ids: dict[str, str] = field(default_factory=dict)  # name (lower, no '#') -> channel id
    names: dict[str, str] = field(default_factory=dict)  # channel id -> name (no '#')

    def shown(self, channel: str) -> str:
        """`#name` for a channel whose name is known (or was written as a name)."""
        if channel == DIRECT:
            return "direct messages"
        name = self.names.get(channel)
        return f"#{name}" if name else channel


# A person's manager's name as the directory names them now (None: nobody, or unknown).
ManagerOf = Callable[[str], str | None]

TARGET_TEXT = {"self": " (for yourself only)", "reports": " (for the people you manage only)"}


def _nobody(_person: str) -> str | None:
    """Without the directory nobody manages anybody: a "reports" grant covers no one."""
    return None


def _grant_text(grant: Grant, book: ChannelBook | None = None) -> str:
    where = "; ".join(f"{k} in {', '.join(v)}" for k, v in grant.where.items())
    target = TARGET_TEXT.get(grant.target, "")
    shown = [(book or ChannelBook()).shown(c) for c in grant.channels]
    places = f" (only in {', '.join(shown)})" if grant.channels else ""
    return f"{grant.skill}{' where ' + where if where else ''}{target}{places}"


DIRECT = "direct"


def channel_kind(platform: str, channel: str) -> str:
    """`direct` for a direct message on any platform, else the channel id: Slack DM ids start
    with D, Teams personal chats with a:, local platforms say `direct`."""
    if channel == DIRECT or (platform == "slack" and channel.startswith("D")):
        return DIRECT
    if platform == "teams":
        # A Teams channel conversation id carries the thread: "19:x@thread.tacv2;messageid=N".
        if channel.startswith("a:"):
            return DIRECT
        return channel.split(";", 1)[0]
    return channel


def _in_channel(grant: Grant, channel: str | None, book: ChannelBook | None = None) -> bool:
    """A grant without `channels` applies everywhere; one with them only where they name
    (ids or names, with or without '#'; `direct` for direct messages). No channel known (a
    timed start, an API call) means only unscoped grants apply."""
    if not grant.channels:
        return True
    if channel is None:
        return False
    here = channel.lstrip("#").lower()
    ids = book.ids if book is not None else {}
    return any(
        c.lstrip("#").lower() == here or ids.get(c.lstrip("#").lower()) == channel
        for c in grant.channels
    )


class Rbac:
    """Grants per role; `roles_of` expands includes, so each role lists only its own grants.
    `manager_of` reads the directory's manager relation for grants that cover the requester's
    reports (`target = "reports"`); read at each check, so a move is seen at the start gate."""

    def __init__(self, settings: Settings, manager_of: ManagerOf = _nobody) -> None:
        self.manager_of = manager_of
        self._grants = {name: role.grants for name, role in settings.roles.items()}
        self._group_roles = {name: group.roles for name, group in settings.groups.items()}
        self._includes = {name: role.includes for name, role in settings.roles.items()}
        # Effective roles per (direct roles, groups): settings never change after start, and
        # the number of distinct combinations is bounded by the configuration, so this cache
        # keeps decisions in microseconds without ever going stale.
        self._expanded: dict[tuple[frozenset[str], frozenset[str]], tuple[str, ...]] = {}
        self._may: dict[tuple[tuple[str, ...], str], bool] = {}
        self.channels = ChannelBook()

    def roles_of(self, principal: Principal) -> tuple[str, ...]:
        """Effective roles: direct, through groups, and every role those include."""
        key = (principal.roles, principal.groups)
        found = self._expanded.get(key)
        if found is None:
            found = self._expanded[key] = self._expand(principal)
        return found

    def _expand(self, principal: Principal) -> tuple[str, ...]:
        via_groups = (r for g in sorted(principal.groups) for r in self._group_roles.get(g, ()))
        todo, seen = [*sorted(principal.roles), *via_groups], dict[str, None]()
        while todo:
            role = todo.pop(0)
            if role not in seen:
                seen[role] = None
                todo.extend(self._includes.get(role, ()))
        return tuple(seen)

    def holders(self, people: Mapping[str, Principal], spec: SkillSpec) -> list[str]:
        """Who may run the skill for others without narrowing: the people to ask."""
        return [
            name
            for name, person in people.items()
            if any(
                fnmatchcase(spec.permission, g.skill) and g.target == "any" and not g.where
                for role in self.roles_of(person)
                for g in self._grants.get(role, ())
            )
        ]

    def may_use(self, principal: Principal, spec: SkillSpec) -> bool:
        """Whether any grant covers the skill, however narrowed (for help and whoami, and
        every skill's context lists what its requester may use). Kept per (roles,
        permission): the grants never change after start, like `_expanded`."""
        roles = self.roles_of(principal)
        key = (roles, spec.permission)
        found = self._may.get(key)
        if found is None:
            found = self._may[key] = any(
                fnmatchcase(spec.permission, g.skill)
                for role in roles
                for g in self._grants.get(role, ())
            )
        return found

    def check(
        self,
        principal: Principal,
        spec: SkillSpec,
        slots: Mapping[str, str],
        channel: str | None = DIRECT,
    ) -> Access:
        """`channel`: where the request was made (`channel_kind`), for channel-scoped grants."""
        closest: tuple[str, Grant] | None = None
        closest_fits = False
        for role in self.roles_of(principal):
            for grant in self._grants.get(role, ()):
                if not fnmatchcase(spec.permission, grant.skill):
                    continue
                fits = self._fits(grant, principal, slots)
                if fits and _in_channel(grant, channel, self.channels):
                    return Access(True, f"role {role} grants {_grant_text(grant, self.channels)}")
                # A grant that fits but for the channel says most about what to do instead.
                if closest is None or (fits and not closest_fits):
                    closest, closest_fits = (role, grant), fits
        if closest:
            role, grant = closest
            said = self._role_text(role, grant, spec)
            reason = f"your role {role} allows only {said}"
            return Access(False, f"role {role} grants {said}", reason)
        roles = ", ".join(self.roles_of(principal)) or "none"
        return Access(False, "default deny", f"none of your roles ({roles}) grants {spec.name}")

    def _role_text(self, role: str, closest: Grant, spec: SkillSpec) -> str:
        """The closest grant, and the role's other grants of the skill (for yourself, for
        the people you manage): a denial says everything the role allows of it."""
        same = [
            g
            for g in self._grants.get(role, ())
            if g is not closest and fnmatchcase(spec.permission, g.skill)
        ]
        return " or ".join(_grant_text(g, self.channels) for g in (closest, *same))

    def manages(self, principal: Principal, person: str) -> bool:
        """Whether the directory names `principal` as `person`'s manager now; nobody
        manages themselves."""
        return person != principal.name and self.manager_of(person) == principal.name

    def _fits(self, grant: Grant, principal: Principal, slots: Mapping[str, str]) -> bool:
        user = slots.get("user", principal.name)
        if grant.target == "self" and user != principal.name:
            return False
        if grant.target == "reports" and not self.manages(principal, user):
            return False
        return all(slots.get(name) in allowed for name, allowed in grant.where.items())


def written_channels(settings: Settings) -> set[str]:
    """Every channel a grant names, as written (ids, `#names`, `direct`)."""
    return {c for role in settings.roles.values() for g in role.grants for c in g.channels} - {
        DIRECT
    }
