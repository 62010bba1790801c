"""Chat skills for admins: "disable skill kb.search", "enable skill weather.report".

Only the pipeline decides who may use them (the admin role's grants); the change itself goes
through skills.admin like the CLI and the API, so it is audited, versioned and picked up by
every replica's reloader.
"""

from __future__ import annotations

import re

from chatbot.errors import UserError
from chatbot.types import Outcome
from skills.admin import Actor, SkillAdmin
from skills.api import Requirement, Risk, SkillContext, SkillError, SkillSpec, SlotSpec, SlotType

_SKILL = SlotSpec("skill", SlotType.TEXT, prompt="Which skill (e.g. kb.search)?")
_WORDS = {
    "disable",
    "enable",
    "skill",
    "skills",
    "the",
    "please",
    "turn",
    "off",
    "on",
    "switch",
    "deactivate",
    "activate",
    "reenable",
    "re-enable",
    "again",
    "back",
    "pause",
    "resume",
    "stop",
    "start",
    "now",
}

SKILL_DISABLE = SkillSpec(
    name="skills.disable",
    title="Disable a skill",
    confirmation="Disable the skill {skill} for everyone?",
    description="Disable a skill for everyone (admins).",
    examples=(
        "disable skill kb.search",
        "disable the skill oncall.who",
        "turn off skill handoff",
        "deactivate skill weather.report",
        "switch off the skill ticket.create",
        "please disable skill cache.flush",
        "pause skill deploy",
    ),
    keywords=("disable", "deactivate"),
    slots=(_SKILL,),
    risk=Risk.MEDIUM,
    requires=Requirement.CONFIRM,
)
SKILL_ENABLE = SkillSpec(
    name="skills.enable",
    title="Enable a skill",
    confirmation="Enable the skill {skill} again?",
    description="Enable a disabled skill again (admins).",
    examples=(
        "enable skill kb.search",
        "enable the skill oncall.who",
        "turn on skill handoff",
        "activate skill weather.report",
        "re-enable the skill ticket.create",
        "please enable skill cache.flush",
        "resume skill deploy",
    ),
    keywords=("enable", "activate", "reenable"),
    slots=(_SKILL,),
    risk=Risk.MEDIUM,
    requires=Requirement.CONFIRM,
)


def skill_name(text: str) -> str:
    words: list[str] = [
        w for w in re.findall(r"[a-z][a-z0-9_.-]*", text.lower()) if w not in _WORDS
    ]
    if not words:
        raise SkillError("Say which skill, e.g. 'disable skill kb.search'.")
    return words[-1].rstrip(".")


class SkillToggle:
    def __init__(self, spec: SkillSpec, admin: SkillAdmin | None, enable: bool) -> None:
        self.spec, self._admin, self._enable = spec, admin, enable

    async def preview(self, ctx: SkillContext) -> Outcome:
        verb = "enable" if self._enable else "disable"
        return Outcome(True, f"Would {verb} skill {skill_name(ctx.slots['skill'])} for everyone.")

    async def run(self, ctx: SkillContext) -> Outcome:
        name = skill_name(ctx.slots["skill"])
        if name in (SKILL_ENABLE.name, SKILL_DISABLE.name):
            raise SkillError("The enable and disable skills stay on; use the CLI for them.")
        if self._admin is None:
            raise SkillError("Skills can be managed from chat only on the server.")
        try:
            change = await self._admin.set_enabled(
                name, self._enable, Actor(ctx.principal.name, "chat")
            )
        except UserError as exc:
            raise SkillError(str(exc)) from None
        return Outcome(True, change.text() + " Every replica picks it up within seconds.")
