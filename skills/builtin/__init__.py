"""Built-in skills: declarations in catalog.py, behaviour in the sibling modules."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from skills.api import Skill
from skills.builtin.catalog import BUILTIN_SPECS
from skills.builtin.deploy import SandboxDeployStatus
from skills.builtin.info import Help, WhoAmI
from skills.connectors.base import Sleep
from skills.connectors.secrets import Secrets
from skills.registry import Unconnected


def builtin_skills(
    backends: Mapping[str, str] | None = None,
    connectors: Mapping[str, Mapping[str, Any]] | None = None,
    secrets: Secrets | None = None,
    sleep: Sleep = asyncio.sleep,
) -> list[Skill]:
    """The built-in catalog, each skill on the back end its settings choose (sandbox default)."""
    from skills.backends import builtin_backed

    implemented: list[Skill] = [
        *builtin_backed(backends, connectors, secrets, sleep),
        SandboxDeployStatus(),
        Help(),
        WhoAmI(),
    ]
    names = {skill.spec.name for skill in implemented}
    return implemented + [Unconnected(spec) for spec in BUILTIN_SPECS if spec.name not in names]
