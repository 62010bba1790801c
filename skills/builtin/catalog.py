"""Declarations of the built-in skills: names, slots, risk and the examples that teach them.

Names and slot names are a contract (DESIGN.md). Behaviour lives in the sibling modules; a
declaration here without a behaviour is recognised and says it has no back end yet.
"""

from __future__ import annotations

from skills.api import Requirement, Risk, SkillSpec, SlotSpec, SlotType

USER = SlotSpec("user", SlotType.PERSON, required=False, prompt="For whom?")
SERVICE = SlotSpec("service", SlotType.SERVICE, prompt="Which service?")
ENV = SlotSpec("env", SlotType.ENV, prompt="Which environment?")
TICKET = SlotSpec("ticket", SlotType.TICKET, prompt="Which ticket (INC and 7 digits)?")

VPN_RESET = SkillSpec(
    name="vpn.reset",
    description="Reset a VPN connection: ends every VPN session so the next login starts clean.",
    examples=(
        "reset my vpn",
        "my vpn is broken",
        "vpn not working",
        "can you reset the vpn for me",
        "clear my vpn sessions",
        "reconnect my vpn please",
        "reset vpn for bob",
        "vpn keeps disconnecting, please reset it",
    ),
    keywords=("vpn", "reset"),
    slots=(USER,),
    risk=Risk.LOW,
)

PASSWORD_RESET = SkillSpec(
    name="password.reset",
    description="Reset a password and send a one-time link to set a new one.",
    examples=(
        "reset my password",
        "i forgot my password",
        "i need a new password",
        "change my password",
        "password reset for erin",
    ),
    keywords=("password", "reset", "forgot"),
    slots=(USER,),
    risk=Risk.MEDIUM,
)

ACCOUNT_UNLOCK = SkillSpec(
    name="account.unlock",
    description="Unlock an account that was locked after failed logins.",
    examples=(
        "unlock my account",
        "my account is locked",
        "i am locked out",
        "unlock the account of alice",
    ),
    keywords=("unlock", "locked", "account"),
    slots=(USER,),
    risk=Risk.LOW,
)

ACCESS_REQUEST = SkillSpec(
    name="access.request",
    description="Ask for temporary access to a resource; its owner approves.",
    examples=(
        "i need access to grafana",
        "give me access to jenkins for 2 hours",
        "request access to prod-db for 1 day",
        "grant me github access",
    ),
    keywords=("access", "grant", "permission"),
    slots=(
        SlotSpec("resource", SlotType.RESOURCE, prompt="Access to what?"),
        USER,
        SlotSpec("duration", SlotType.DURATION, required=False, default="8h"),
    ),
    risk=Risk.HIGH,
    requires=Requirement.APPROVAL,
)

DEPLOY = SkillSpec(
    name="deploy",
    description="Deploy a version of a service to an environment.",
    examples=(
        "deploy payments-api 2.3.1 to prod",
        "deploy web 5.2.0 to staging",
        "ship checkout v1.4.0 to production",
        "release search 3.0.0 on dev",
        "push billing 2.0.1 to stg",
        "roll out api-gateway 1.2.3 to staging",
    ),
    keywords=("deploy", "ship", "release", "rollout"),
    slots=(
        SERVICE,
        SlotSpec("version", SlotType.VERSION, prompt="Which version?"),
        ENV,
    ),
    risk=Risk.MEDIUM,
)

DEPLOY_STATUS = SkillSpec(
    name="deploy.status",
    description="Show which version of each service runs in each environment.",
    examples=(
        "what is deployed",
        "what version of checkout is in prod",
        "which version runs on staging",
        "show deployments",
    ),
    keywords=("deployed", "version", "running"),
    slots=(
        SlotSpec("service", SlotType.SERVICE, required=False),
        SlotSpec("env", SlotType.ENV, required=False),
    ),
    side_effect=False,
    risk=Risk.NONE,
    requires=Requirement.NOTHING,
)

DEPLOY_ROLLBACK = SkillSpec(
    name="deploy.rollback",
    description="Roll a service back to the version it ran before the last deploy.",
    examples=(
        "rollback checkout in prod",
        "roll back payments-api on staging",
        "revert the last deploy of web in production",
        "undo the billing deploy on dev",
    ),
    keywords=("rollback", "revert", "undo"),
    slots=(SERVICE, ENV),
    risk=Risk.HIGH,
)

SERVICE_RESTART = SkillSpec(
    name="service.restart",
    description="Restart a service in an environment (a rolling restart).",
    examples=(
        "restart billing in prod",
        "bounce checkout on stg",
        "restart the search service on dev",
        "reboot web in staging",
    ),
    keywords=("restart", "bounce", "reboot"),
    slots=(SERVICE, ENV),
    risk=Risk.MEDIUM,
)

TICKET_CREATE = SkillSpec(
    name="ticket.create",
    description="Open a ticket with the service desk.",
    examples=(
        "open a ticket",
        "create an incident for the broken printer",
        "log a ticket: laptop will not boot",
        "file a high priority ticket about email",
    ),
    keywords=("ticket", "incident", "open", "create"),
    slots=(
        SlotSpec("summary", SlotType.TEXT, prompt="What is the problem, in one line?"),
        SlotSpec("priority", SlotType.PRIORITY, required=False, default="medium"),
    ),
    risk=Risk.LOW,
)

TICKET_STATUS = SkillSpec(
    name="ticket.status",
    description="Show a ticket's status, or my open tickets.",
    examples=(
        "what is the status of INC0012345",
        "show my tickets",
        "any update on my incident",
        "check ticket INC0000042",
    ),
    keywords=("status", "tickets"),
    slots=(SlotSpec("ticket", SlotType.TICKET, required=False),),
    side_effect=False,
    risk=Risk.NONE,
    requires=Requirement.NOTHING,
)

TICKET_UPDATE = SkillSpec(
    name="ticket.update",
    description="Change a ticket's priority or another field.",
    examples=(
        "set INC0012345 to high priority",
        "update ticket INC0000042",
        "change the urgency of my incident to low",
    ),
    keywords=("update", "change", "priority", "urgency"),
    slots=(TICKET, SlotSpec("priority", SlotType.PRIORITY, required=False)),
    risk=Risk.LOW,
)

TICKET_CLOSE = SkillSpec(
    name="ticket.close",
    description="Close a ticket that is solved.",
    examples=(
        "close INC0012345",
        "close my ticket",
        "resolve incident INC0000042, it works now",
    ),
    keywords=("close", "resolve"),
    slots=(TICKET,),
    risk=Risk.LOW,
)

CHANGE_CLOSE = SkillSpec(
    name="change.close",
    description="Close a change request after the change is done.",
    examples=("close change CHG0001234", "mark CHG0000042 as complete"),
    keywords=("change", "close"),
    slots=(SlotSpec("change", SlotType.CHANGE, prompt="Which change (CHG and 7 digits)?"),),
    risk=Risk.LOW,
)

KB_SEARCH = SkillSpec(
    name="kb.search",
    description="Search the knowledge base.",
    examples=(
        "how do i set up the printer",
        "search the knowledge base for vpn setup",
        "find an article about email on my phone",
    ),
    keywords=("knowledge", "article", "how"),
    slots=(SlotSpec("query", SlotType.TEXT, prompt="What are you looking for?"),),
    side_effect=False,
    risk=Risk.NONE,
    requires=Requirement.NOTHING,
)

ONCALL_WHO = SkillSpec(
    name="oncall.who",
    description="Say who is on call for a service.",
    examples=("who is on call for checkout", "who's on call", "on-call for billing"),
    keywords=("oncall", "call", "pager"),
    slots=(SlotSpec("service", SlotType.SERVICE, required=False),),
    side_effect=False,
    risk=Risk.NONE,
    requires=Requirement.NOTHING,
)

HELP = SkillSpec(
    name="help",
    description="Say what I can do for you.",
    examples=("help", "what can you do", "how do i use this"),
    keywords=("help",),
    side_effect=False,
    risk=Risk.NONE,
    requires=Requirement.NOTHING,
)

WHOAMI = SkillSpec(
    name="whoami",
    description="Say who you are to me and what you may do.",
    examples=("who am i", "whoami", "what are my roles"),
    keywords=("whoami",),
    side_effect=False,
    risk=Risk.NONE,
    requires=Requirement.NOTHING,
)

HANDOFF = SkillSpec(
    name="handoff",
    description="Bring a person from the service desk into the conversation.",
    examples=("talk to a human", "i want to speak to an agent", "get me a person"),
    keywords=("human", "agent", "person"),
    risk=Risk.NONE,
    requires=Requirement.NOTHING,
)

BUILTIN_SPECS: tuple[SkillSpec, ...] = (
    VPN_RESET,
    PASSWORD_RESET,
    ACCOUNT_UNLOCK,
    ACCESS_REQUEST,
    DEPLOY,
    DEPLOY_STATUS,
    DEPLOY_ROLLBACK,
    SERVICE_RESTART,
    TICKET_CREATE,
    TICKET_STATUS,
    TICKET_UPDATE,
    TICKET_CLOSE,
    CHANGE_CLOSE,
    KB_SEARCH,
    ONCALL_WHO,
    HELP,
    WHOAMI,
    HANDOFF,
)
