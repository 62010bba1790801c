"""Built-in skills: declarations in catalog.py, behaviour in the sibling modules."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from skills.admin import SkillAdmin
from skills.api import Skill
from skills.builtin.admin import SKILL_DISABLE, SKILL_ENABLE, SkillAdd, SkillToggle
from skills.builtin.catalog import BUILTIN_SPECS
from skills.builtin.deploy import SandboxDeployStatus
from skills.builtin.info import Help, WhoAmI
from skills.connectors.base import Sleep
from skills.connectors.secrets import Secrets
from skills.registry import Unconnected

if TYPE_CHECKING:
    from chatbot.jml.skill import Onboarder


def builtin_skills(
    backends: Mapping[str, str] | None = None,
    connectors: Mapping[str, Mapping[str, Any]] | None = None,
    secrets: Secrets | None = None,
    sleep: Sleep = asyncio.sleep,
    admin: SkillAdmin | None = None,
    onboarder: Onboarder | None = None,
) -> list[Skill]:
    """The built-in catalog, each skill on the back end its settings choose (sandbox default).

    `admin` lets the chat skills that enable and disable skills change the registry; without
    it (parse, eval) they are declared, so understanding is the same, but cannot act; so is
    employee.onboard without the runtime's `onboarder` (chatbot/jml)."""
    from chatbot.jml.offboard_skill import OffboardSkill
    from chatbot.jml.skill import OnboardSkill
    from skills.backends import builtin_backed

    implemented: list[Skill] = [
        *builtin_backed(backends, connectors, secrets, sleep),
        SandboxDeployStatus(),
        Help(),
        WhoAmI(),
        SkillToggle(SKILL_DISABLE, admin, enable=False),
        SkillToggle(SKILL_ENABLE, admin, enable=True),
        SkillAdd(admin),
        OnboardSkill(onboarder),
        OffboardSkill(onboarder),
    ]
    if onboarder is not None:  # access.revoke also takes back what a bundle gave
        from chatbot.jml.revoke import with_bundles

        implemented = with_bundles(implemented, onboarder.store, onboarder.backends)
    names = {skill.spec.name for skill in implemented}
    return implemented + [Unconnected(spec) for spec in BUILTIN_SPECS if spec.name not in names]
