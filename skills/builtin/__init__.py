"""Built-in skills: declarations in catalog.py, behaviour in the sibling modules."""

from __future__ import annotations

from skills.api import Skill
from skills.builtin.catalog import BUILTIN_SPECS
from skills.builtin.deploy import SandboxDeploy, SandboxDeployStatus, SandboxRollback
from skills.builtin.info import Help, WhoAmI
from skills.builtin.vpn import SandboxVpnReset
from skills.registry import Unconnected


def builtin_skills() -> list[Skill]:
    """The built-in catalog on its sandbox back ends; unconnected ones say so when asked."""
    implemented: list[Skill] = [
        SandboxVpnReset(),
        SandboxDeploy(),
        SandboxRollback(),
        SandboxDeployStatus(),
        Help(),
        WhoAmI(),
    ]
    names = {skill.spec.name for skill in implemented}
    return implemented + [Unconnected(spec) for spec in BUILTIN_SPECS if spec.name not in names]
