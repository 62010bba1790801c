"""Which back end each built-in skill runs on: `[backends]` in the settings, sandbox by default.

    [backends]
    deploy = "github"            # or "jenkins", "argocd"
    service.restart = "kubernetes"
    ticket.create = "servicenow" # or "jira"; likewise ticket.*, change.close
    kb.search = "servicenow"
    vpn.reset = "okta"           # or "keycloak", "entra"; password.reset, account.unlock,
                                 # access.request
    oncall.who = "pagerduty"
    handoff = "webhook"          # or "slack_webhook", "teams_webhook"

`"ticket.*" = "jira"` sets a whole family. A skill not named stays on its sandbox. The choices
of a skill are the installed connectors (entry points `chatops.connectors`) that implement the
port it is written against (PORTS), so a new connector package needs no change here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from chatbot.errors import ConfigError
from skills.api import Skill, SkillContext, SkillSpec
from skills.builtin import catalog as c
from skills.builtin import ops, sandbox, selfservice, tickets
from skills.builtin.deploy import SandboxDeploy, SandboxRollback
from skills.builtin.vpn import SandboxVpnReset
from skills.connectors.base import Connector, Sleep
from skills.connectors.factory import available, connector
from skills.connectors.registry import implementing
from skills.connectors.secrets import Secrets
from skills.ports import (
    Desk,
    IdentityProvider,
    KnowledgeBase,
    OnCall,
    Orchestrator,
    Pipeline,
    TicketSystem,
)

if TYPE_CHECKING:  # annotations only: `chatops skills list` never imports httpx
    import httpx

SANDBOX = "sandbox"
# The port each built-in skill is written against (a fact about the skill, not a list of
# systems): a skill's back-end choices are the connectors implementing it.
PORTS: Mapping[str, type] = {
    "vpn.reset": IdentityProvider,
    "password.reset": IdentityProvider,
    "account.unlock": IdentityProvider,
    "access.request": IdentityProvider,
    "access.revoke": IdentityProvider,
    "deploy": Pipeline,
    "deploy.rollback": Pipeline,
    "service.restart": Orchestrator,
    "ticket.create": TicketSystem,
    "ticket.status": TicketSystem,
    "ticket.update": TicketSystem,
    "ticket.close": TicketSystem,
    "change.close": TicketSystem,
    "kb.search": KnowledgeBase,
    "oncall.who": OnCall,
    "handoff": Desk,
}
Make = Callable[[SkillContext], Any]


def choices(known: Mapping[str, type[Connector]] | None = None) -> dict[str, tuple[str, ...]]:
    """Each built-in skill's back ends besides the sandbox, from the installed connectors."""
    known = available() if known is None else known
    return {skill: implementing(port, dict(known)) for skill, port in PORTS.items()}


def chosen(backends: Mapping[str, str], skill: str) -> str:
    """The configured back end of a skill: its own key, else a matching glob, else sandbox."""
    if skill in backends:
        return backends[skill]
    for pattern, value in backends.items():
        if fnmatchcase(skill, pattern):
            return value
    return SANDBOX


def _check(backends: Mapping[str, str], options_of: Mapping[str, tuple[str, ...]]) -> None:
    for key, value in backends.items():
        names = [s for s in options_of if fnmatchcase(s, key)]
        if not names:
            raise ConfigError("settings", f"backends.{key}", "no built-in skill has that name")
        for name in names:
            if value != SANDBOX and value not in options_of[name]:
                options = ", ".join((SANDBOX, *options_of[name]))
                raise ConfigError(
                    "settings", f"backends.{key}", f"unknown back end {value!r}; use {options}"
                )


def _per_action(build: Callable[[httpx.AsyncClient], Any]) -> Make:
    """A connector built on each action's own HTTP client."""
    return lambda ctx: build(ctx.http)


def builtin_backed(
    backends: Mapping[str, str] | None = None,
    connectors: Mapping[str, Mapping[str, Any]] | None = None,
    secrets: Secrets | None = None,
    sleep: Sleep = asyncio.sleep,
) -> list[Skill]:
    """The built-in skills that have a back end, each on the one its settings choose."""
    backends, connectors, secrets = backends or {}, connectors or {}, secrets or Secrets()
    known = available()
    _check(backends, choices(known))
    makers: dict[str, Make] = {}

    def make(skill: str, on_sandbox: Make) -> tuple[Make, bool]:
        name = chosen(backends, skill)
        if name == SANDBOX:
            return on_sandbox, True
        if name not in makers:
            makers[name] = _per_action(connector(name, connectors, secrets, sleep, known))
        return makers[name], False

    def ported(
        spec: SkillSpec, cls: Callable[[SkillSpec, Make, bool], Skill], on_sandbox: Make
    ) -> Skill:
        maker, is_sandbox = make(spec.name, on_sandbox)
        return cls(spec, maker, is_sandbox)

    identity: Make = lambda ctx: sandbox.SandboxIdentity(ctx.kv)  # noqa: E731
    desk_tickets: Make = lambda ctx: sandbox.SandboxTickets(ctx.kv)  # noqa: E731
    skills: list[Skill] = []
    if chosen(backends, "vpn.reset") == SANDBOX:
        skills.append(SandboxVpnReset())
    else:
        skills.append(ported(c.VPN_RESET, selfservice.AccountAction, identity))
    skills += [
        ported(c.PASSWORD_RESET, selfservice.AccountAction, identity),
        ported(c.ACCOUNT_UNLOCK, selfservice.AccountAction, identity),
        ported(c.ACCESS_REQUEST, selfservice.AccessRequest, identity),
        ported(c.ACCESS_REVOKE, selfservice.AccessRevoke, identity),
        ported(c.TICKET_CREATE, tickets.TicketCreate, desk_tickets),
        ported(c.TICKET_STATUS, tickets.TicketStatus, desk_tickets),
        ported(c.TICKET_UPDATE, tickets.TicketUpdate, desk_tickets),
        ported(c.TICKET_CLOSE, tickets.TicketClose, desk_tickets),
        ported(c.CHANGE_CLOSE, tickets.ChangeClose, desk_tickets),
        ported(
            c.SERVICE_RESTART, ops.ServiceRestart, lambda ctx: sandbox.SandboxOrchestrator(ctx.kv)
        ),
        ported(c.KB_SEARCH, ops.KbSearch, lambda ctx: sandbox.SandboxKnowledge()),
        ported(c.ONCALL_WHO, ops.OncallWho, lambda ctx: sandbox.SandboxOnCall()),
        ported(c.HANDOFF, ops.Handoff, lambda ctx: sandbox.SandboxDesk(ctx.kv)),
    ]
    for spec, rollback, fallback in (
        (c.DEPLOY, False, SandboxDeploy()),
        (c.DEPLOY_ROLLBACK, True, SandboxRollback()),
    ):
        maker, is_sandbox = make(spec.name, lambda ctx: None)
        skills.append(fallback if is_sandbox else ops.PipelineDeploy(spec, maker, rollback))
    return skills
