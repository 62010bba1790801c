"""Declarations of the built-in skills: names, slots, risk and the examples that teach them.

Names and slot names are a contract (DESIGN.md); one module per family. Behaviour lives in the
sibling modules of skills/builtin; a declaration without one is recognised and says so.
"""

from __future__ import annotations

from skills.api import SkillSpec
from skills.builtin.catalog.desk import (
    CHANGE_CLOSE,
    HANDOFF,
    KB_SEARCH,
    ONCALL_WHO,
    TICKET_CLOSE,
    TICKET_CREATE,
    TICKET_STATUS,
    TICKET_UPDATE,
)
from skills.builtin.catalog.incidents import INCIDENT_ACK, INCIDENT_LIST, INCIDENT_RESOLVE
from skills.builtin.catalog.info import HELP, WHOAMI
from skills.builtin.catalog.ops import DEPLOY, DEPLOY_ROLLBACK, DEPLOY_STATUS, SERVICE_RESTART
from skills.builtin.catalog.selfservice import (
    ACCESS_REQUEST,
    ACCESS_REVOKE,
    ACCOUNT_UNLOCK,
    PASSWORD_RESET,
    VPN_RESET,
)
from skills.builtin.catalog.slots import ENV, SERVICE, TICKET, USER

BUILTIN_SPECS: tuple[SkillSpec, ...] = (
    VPN_RESET,
    PASSWORD_RESET,
    ACCOUNT_UNLOCK,
    ACCESS_REQUEST,
    ACCESS_REVOKE,
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
    INCIDENT_LIST,
    INCIDENT_ACK,
    INCIDENT_RESOLVE,
)

__all__ = [
    "ACCESS_REQUEST",
    "ACCESS_REVOKE",
    "ACCOUNT_UNLOCK",
    "BUILTIN_SPECS",
    "CHANGE_CLOSE",
    "DEPLOY",
    "DEPLOY_ROLLBACK",
    "DEPLOY_STATUS",
    "ENV",
    "HANDOFF",
    "HELP",
    "INCIDENT_ACK",
    "INCIDENT_LIST",
    "INCIDENT_RESOLVE",
    "KB_SEARCH",
    "ONCALL_WHO",
    "PASSWORD_RESET",
    "SERVICE",
    "SERVICE_RESTART",
    "TICKET",
    "TICKET_CLOSE",
    "TICKET_CREATE",
    "TICKET_STATUS",
    "TICKET_UPDATE",
    "USER",
    "VPN_RESET",
    "WHOAMI",
]
