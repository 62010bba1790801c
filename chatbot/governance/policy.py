"""Policy: what a skill requires before it runs (nothing, confirmation, approval) and its risk.

The first configured rule whose skill glob and slot values match wins; otherwise the skill's
own declared defaults apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase

from chatbot.config import Settings
from skills.api import Requirement, SkillSpec


@dataclass(frozen=True, slots=True)
class Requirements:
    requires: Requirement
    risk: str
    rule: str
    approvers: str = ""
    approvals: int = 0
    # Whether a configured rule decided (False: the skill's own defaults did), so a caller
    # with a better default approver (a joiner's manager) never overrides an admin's rule.
    configured: bool = False


class PolicyBook:
    def __init__(self, settings: Settings) -> None:
        self._rules = settings.policy
        self._owners = {name: r.owner_role for name, r in settings.catalog.resources.items()}

    def requirements(self, spec: SkillSpec, slots: Mapping[str, str]) -> Requirements:
        for index, rule in enumerate(self._rules):
            if not fnmatchcase(spec.name, rule.skill):
                continue
            if all(slots.get(k) in allowed for k, allowed in rule.where.items()):
                requires = Requirement(rule.requires) if rule.requires else spec.requires
                approvers = rule.approvers or self._default_approvers(slots)
                count = rule.approvals if requires is Requirement.APPROVAL else 0
                return Requirements(
                    requires,
                    rule.risk or spec.risk.value,
                    f"policy[{index}]",
                    approvers,
                    count,
                    configured=True,
                )
        count = 1 if spec.requires is Requirement.APPROVAL else 0
        return Requirements(
            spec.requires,
            spec.risk.value,
            f"{spec.name} default",
            self._default_approvers(slots),
            count,
        )

    def _default_approvers(self, slots: Mapping[str, str]) -> str:
        """The owner of the resource asked for, else an admin."""
        return self._owners.get(slots.get("resource", ""), "admin")
