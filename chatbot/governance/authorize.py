"""The authorization stage: RBAC then policy, one Decision with the rule that gave it."""

from __future__ import annotations

from collections.abc import Mapping

from chatbot.governance.policy import PolicyBook
from chatbot.governance.rbac import Rbac
from chatbot.identity import Directory
from chatbot.types import Decision, Principal, Verdict
from skills.api import Requirement, SkillSpec


class Authorizer:
    def __init__(self, rbac: Rbac, policy: PolicyBook, directory: Directory) -> None:
        self.rbac, self.policy, self.directory = rbac, policy, directory

    def may(self, principal: Principal, spec: SkillSpec) -> bool:
        """Whether the person may use the skill at all (for help and whoami)."""
        return self.rbac.may_use(principal, spec)

    def decide(self, principal: Principal, spec: SkillSpec, slots: Mapping[str, str]) -> Decision:
        access = self.rbac.check(principal, spec, slots)
        if not access.allowed:
            helpers = self.rbac.holders(self.directory.principals, spec)
            ask = f" Ask {', '.join(helpers)}." if helpers else ""
            return Decision(Verdict.DENY, access.rule, f"{access.reason}.{ask}", spec.risk.value)
        need = self.policy.requirements(spec, slots)
        rule = f"{access.rule}; {need.rule}"
        if need.requires is Requirement.APPROVAL:
            others = [
                p.name
                for p in self.directory.with_role(need.approvers, self.rbac)
                if p.name != principal.name
            ]
            if len(others) < need.approvals:
                reason = (
                    f"it needs {need.approvals} approval(s) from role {need.approvers}, "
                    f"and not enough people other than you hold it"
                )
                return Decision(Verdict.DENY, rule, reason, need.risk)
            return Decision(Verdict.APPROVE, rule, "", need.risk, need.approvers, need.approvals)
        if need.requires is Requirement.CONFIRM:
            return Decision(Verdict.CONFIRM, rule, "", need.risk)
        return Decision(Verdict.ALLOW, rule, "", need.risk)
