"""The authorization stage: RBAC, then freezes and change windows, then policy; one Decision
with the rule that gave it. Rate limits are counted separately (`count`), in the database.

`decide` is pure and fast (no I/O): help, whoami and the benchmark call it freely. The clock
is injected so a test can ask "what if it were Saturday night in Berlin?".
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot.config import MANAGER_APPROVER, Resource
from chatbot.governance import actions, checks
from chatbot.governance.calendar import ChangeCalendar
from chatbot.governance.clock import Clock, system_clock
from chatbot.governance.policy import PolicyBook
from chatbot.governance.ratelimit import RateLimiter
from chatbot.governance.rbac import DIRECT, Rbac
from chatbot.identity import Directory
from chatbot.store.tables import Action
from chatbot.types import Decision, Principal, Verdict
from skills.api import Requirement, SkillSpec


class Authorizer:
    def __init__(
        self,
        rbac: Rbac,
        policy: PolicyBook,
        directory: Directory,
        calendar: ChangeCalendar | None = None,
        limiter: RateLimiter | None = None,
        clock: Clock = system_clock,
        resources: Mapping[str, Resource] | None = None,
    ) -> None:
        self.rbac, self.policy, self.directory = rbac, policy, directory
        self.calendar = calendar or ChangeCalendar((), ())
        self.limiter, self.clock = limiter, clock
        # Whom to ask, per permission and directory version (a directory change renews it).
        self._ask: dict[tuple[str, int], str] = {}
        cap = checks.DurationCap(resources or {})
        # Checks a request must pass that need more than `decide` (the database, the cap).
        self.request_checks: list[checks.Check] = [cap]
        # Everything, again, at the moment an action moves to running (see `review_start`).
        self.start_checks: list[checks.Check] = [
            checks.StillInDirectory(),
            checks.RoleAllows(rbac),
            checks.WindowOpen(self.calendar),
            cap,
            checks.PolicyUnchanged(policy),
            checks.ApprovalsValid(directory, rbac),
        ]
        if limiter is not None:
            self.start_checks.append(checks.RateLimit(limiter, directory))

    def may(self, principal: Principal, spec: SkillSpec) -> bool:
        """Whether the person may use the skill at all (for help and whoami)."""
        return self.rbac.may_use(principal, spec)

    def decide(
        self,
        principal: Principal,
        spec: SkillSpec,
        slots: Mapping[str, str],
        dry_run: bool = False,
        channel: str | None = DIRECT,
    ) -> Decision:
        """A dry run changes nothing, so windows and freezes do not apply to it (RBAC does).
        `channel` is where the request was made, for channel-scoped grants."""
        access = self.rbac.check(principal, spec, slots, channel)
        if not access.allowed:
            key = (spec.permission, self.directory.version)
            ask = self._ask.get(key)
            if ask is None:
                helpers = self.rbac.holders(self.directory.principals, spec)
                shown = ", ".join(helpers[:5]) + (" or another admin" if len(helpers) > 5 else "")
                ask = self._ask[key] = f" Ask {shown}." if helpers else ""
            return Decision(Verdict.DENY, access.rule, f"{access.reason}.{ask}", spec.risk.value)
        need = self.policy.requirements(spec, slots)
        rule = f"{access.rule}; {need.rule}"
        if spec.side_effect and not dry_run:
            closed = self.calendar.check(spec.name, slots, self.clock())
            if closed is not None:
                return Decision(Verdict.DENY, f"{rule}; {closed.rule}", closed.reason, need.risk)
        if need.requires is Requirement.APPROVAL and need.approvers == MANAGER_APPROVER:
            manager = self.directory.acting_manager(principal)
            if manager is None or manager.name == principal.name:
                reason = "it needs your manager's approval, and the directory names no manager"
                return Decision(Verdict.DENY, rule, f"{reason} for you", need.risk)
            return Decision(Verdict.APPROVE, rule, "", need.risk, f"@manager:{manager.name}", 1)
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

    def counts_in_database(self, spec: SkillSpec, slots: Mapping[str, str]) -> bool:
        """Whether `count` writes for this request (a rate limit applies to it)."""
        return self.limiter is not None and self.limiter.applies(spec.name, slots)

    async def count(
        self,
        session: AsyncSession,
        principal: Principal,
        spec: SkillSpec,
        slots: Mapping[str, str],
        decision: Decision,
    ) -> Decision:
        """Run the request checks (duration caps), then count a request that may go ahead
        against the person's rate limits (persisted, so every replica agrees); the decision
        becomes a denial when a check refuses or a limit is used up."""
        if decision.verdict is Verdict.DENY:
            return decision
        attempt = checks.Attempt(
            principal.name, principal, spec, slots, self.clock(), checks.Stage.REQUEST
        )
        refused = await checks.first_refusal(self.request_checks, session, attempt)
        if refused is not None:
            rule = f"{decision.rule}; {refused.rule}"
            return Decision(Verdict.DENY, rule, refused.reason, decision.risk)
        if self.limiter is None:
            return decision
        zone = self.directory.zone(principal.name)
        limited = await self.limiter.take(
            session, principal.name, spec.name, slots, self.clock(), zone=zone
        )
        if limited is None:
            return decision
        return Decision(
            Verdict.DENY, f"{decision.rule}; {limited.rule}", limited.reason, decision.risk
        )

    async def review_start(
        self, session: AsyncSession, action: Action, spec: SkillSpec | None
    ) -> checks.Refusal | None:
        """The one decision at the moment an action starts: every start check, for the
        requester as the directory knows them now. None: it may run."""
        if spec is None:
            return checks.Refusal("registry", f"{action.skill} is no longer available")
        attempt = checks.Attempt(
            action.requester,
            self.directory.find(action.requester),
            spec,
            actions.slots_of(action),
            self.clock(),
            checks.Stage.START,
            action,
        )
        return await checks.first_refusal(self.start_checks, session, attempt)
