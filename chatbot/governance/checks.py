"""Governance checks: one shape for every rule an action must pass, at request and at start.

Each check is a small object with one method, `check(tx, attempt) -> Refusal | None`, as
errbot's command filters and opsdroid's constraints are. The start gate (`start.py`) runs the
whole list at the moment an action moves to `running`; the request stage runs the checks that
make sense before anything was approved. A new rule is one more object in the list, never a
subclass.

    StillInDirectory   the requester as the directory knows them now (removed -> refused)
    RoleAllows         RBAC for that person now, with the action's slots
    WindowOpen         freezes and change windows at this moment
    DurationCap        access durations within the resource's cap (default 30 days)
    PolicyUnchanged    the policy does not now ask for more approvals than were collected for
    ApprovalsValid     enough approvals from people who still hold the approvers' role
    RateLimit          a start in a later rate-limit period than its request counts again
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot.config import Resource
from chatbot.governance import actions
from chatbot.governance.calendar import ChangeCalendar
from chatbot.governance.policy import PolicyBook
from chatbot.governance.ratelimit import RateLimiter
from chatbot.governance.rbac import DIRECT, Rbac, channel_kind
from chatbot.identity import Directory
from chatbot.store.tables import Action
from chatbot.texts import MANAGER_PREFIX
from chatbot.times import UNKNOWN
from chatbot.types import Principal
from skills.api import Requirement, SkillSpec


class Stage(StrEnum):
    REQUEST = "request"  # the person asked; nothing was confirmed or approved yet
    START = "start"  # the action is about to run (confirm, approval, timed start, retry)


@dataclass(frozen=True, slots=True)
class Attempt:
    """What is about to happen. `principal` is the requester as the directory knows them
    now (None: no longer there); `action` is None at request time."""

    requester: str
    principal: Principal | None
    spec: SkillSpec
    slots: Mapping[str, str]
    now: datetime
    stage: Stage
    action: Action | None = None


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why it may not happen: the rule (for the audit) and a sentence for the person."""

    rule: str
    reason: str


class Check(Protocol):
    async def check(self, tx: AsyncSession, attempt: Attempt) -> Refusal | None: ...


class StillInDirectory:
    async def check(self, tx: AsyncSession, attempt: Attempt) -> Refusal | None:
        if attempt.principal is not None and not attempt.principal.guest:
            return None
        return Refusal(
            "directory", f"{attempt.requester} is no longer in the directory, so it may not run"
        )


class RoleAllows:
    def __init__(self, rbac: Rbac) -> None:
        self.rbac = rbac

    async def check(self, tx: AsyncSession, attempt: Attempt) -> Refusal | None:
        if attempt.principal is None:
            return None  # StillInDirectory names that
        action = attempt.action  # channel-scoped grants hold where the request was made
        channel = channel_kind(action.platform, action.channel) if action else DIRECT
        access = self.rbac.check(attempt.principal, attempt.spec, attempt.slots, channel)
        return None if access.allowed else Refusal(access.rule, access.reason)


class WindowOpen:
    def __init__(self, calendar: ChangeCalendar) -> None:
        self.calendar = calendar

    async def check(self, tx: AsyncSession, attempt: Attempt) -> Refusal | None:
        if not attempt.spec.side_effect:
            return None
        closed = self.calendar.check(attempt.spec.name, attempt.slots, attempt.now)
        return None if closed is None else Refusal(closed.rule, closed.reason)


_DURATION = re.compile(r"\s*(\d+)\s*(m|min|h|d|w)\s*")
_UNITS = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def duration(text: str) -> timedelta | None:
    """`30m`, `8h`, `2d`, `1w` as a timedelta; None when it is not one."""
    found = _DURATION.fullmatch(text.lower())
    if found is None or len(found.group(1)) > 7:
        return None
    return timedelta(seconds=int(found.group(1)) * _UNITS[found.group(2)])


class DurationCap:
    """Access is never open-ended: each resource caps the duration one request may grant."""

    def __init__(self, resources: Mapping[str, Resource], default: str = "30d") -> None:
        self.caps = {name: r.max_duration for name, r in resources.items()}
        self.default = default

    async def check(self, tx: AsyncSession, attempt: Attempt) -> Refusal | None:
        asked = attempt.slots.get("duration")
        if asked is None or attempt.spec.slot("duration") is None:
            return None
        resource = attempt.slots.get("resource", "")
        cap_text = self.caps.get(resource, self.default)
        cap, span = duration(cap_text), duration(asked)
        if span is None or span <= timedelta(0):
            return Refusal("duration", f"I can't read the duration {asked!r}; say e.g. 8h or 2d")
        if cap is not None and span > cap:
            where = f"{resource} access" if resource else "access"
            return Refusal(
                f"catalog.resources.{resource or '*'}.max_duration",
                f"{where} can be granted for at most {cap_text.strip()}; you asked for "
                f"{asked.strip()}. Ask again for {cap_text.strip()} or less",
            )
        return None


class PolicyUnchanged:
    """A policy tightened after the request (now approval, or more approvers) applies."""

    def __init__(self, policy: PolicyBook) -> None:
        self.policy = policy

    async def check(self, tx: AsyncSession, attempt: Attempt) -> Refusal | None:
        action = attempt.action
        if action is None:
            return None
        need = self.policy.requirements(attempt.spec, attempt.slots)
        needed = need.approvals if need.requires is Requirement.APPROVAL else 0
        if needed <= action.approvals_needed:
            return None
        return Refusal(
            need.rule,
            f"the policy now needs {needed} approval(s) from role {need.approvers} and it "
            f"had {action.approvals_needed}; ask again so it can be approved",
        )


class ApprovalsValid:
    """Only approvals from people who, now, are in the directory with the approvers' role
    and are not the requester count."""

    def __init__(self, directory: Directory, rbac: Rbac) -> None:
        self.directory, self.rbac = directory, rbac

    async def check(self, tx: AsyncSession, attempt: Attempt) -> Refusal | None:
        action = attempt.action
        if action is None or action.approvals_needed <= 0:
            return None
        role = action.approvers_role or "admin"
        valid = [
            name
            for name in await actions.approvals(tx, action.id or 0)
            if name != action.requester
            and (person := self.directory.find(name)) is not None
            and self._may_decide(person, role, attempt.slots.get("person") or action.requester)
        ]
        if len(valid) >= action.approvals_needed:
            return None
        return Refusal(
            "approvals",
            f"it needs {action.approvals_needed} approval(s) from role {role} by people who "
            f"still hold it, and has {len(valid)}",
        )

    def _may_decide(self, person: Principal, role: str, requester: str) -> bool:
        """A role holder, or for the manager approver kind the manager now of the person the
        request is about: the `person` slot (a joiner or mover), else the requester."""
        if role.startswith(MANAGER_PREFIX):
            asker = self.directory.find(requester)
            manager = self.directory.acting_manager(asker) if asker is not None else None
            return manager is not None and manager.name == person.name
        return role in self.rbac.roles_of(person)


class RateLimit:
    """Requests are counted when asked; a start in a later period (a timed start, a long
    wait for approval) counts again in the period it runs in."""

    def __init__(self, limiter: RateLimiter, directory: Directory | None = None) -> None:
        self.limiter, self.directory = limiter, directory

    async def check(self, tx: AsyncSession, attempt: Attempt) -> Refusal | None:
        if attempt.action is None or attempt.stage is not Stage.START:
            return None
        limited = await self.limiter.take(
            tx,
            attempt.requester,
            attempt.spec.name,
            attempt.slots,
            attempt.now,
            counted_at=attempt.action.created_at,
            zone=self.directory.zone(attempt.requester) if self.directory else UNKNOWN,
        )
        return None if limited is None else Refusal(limited.rule, limited.reason)


async def first_refusal(
    checks: Sequence[Check], tx: AsyncSession, attempt: Attempt
) -> Refusal | None:
    """Run the checks in order; the first refusal, or None when every one passes."""
    for rule in checks:
        refused = await rule.check(tx, attempt)
        if refused is not None:
            return refused
    return None
