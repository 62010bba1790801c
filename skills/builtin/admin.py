"""Chat skills for admins: "disable skill kb.search", "enable skill weather.report", and
adding a manifest sent in chat.

Only the pipeline decides who may use them (the admin role's grants); the change itself goes
through skills.admin like the CLI and the API, so it is audited, versioned and picked up by
every replica's reloader.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace

from chatbot.errors import UserError
from chatbot.store.tables import SkillDraft
from chatbot.types import Outcome
from skills import drafts
from skills.admin import Actor, SkillAdmin
from skills.api import Requirement, Risk, SkillContext, SkillError, SkillSpec, SlotSpec, SlotType
from skills.checks import hosts_of
from skills.manifest.load import Manifest
from skills.manifest.skill import ManifestSkill

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


# -- adding a skill from chat: a manifest sent as a code block or a file (issue 17) ---------

SKILL_ADD = SkillSpec(
    name="skills.add",
    title="Add a skill",
    confirmation="Add the skill {skill} from {file} for everyone?",
    # No examples: understanding never picks it from words. It is offered only when an admin
    # sends a manifest (chatbot/skill_upload.py), and then runs through the pipeline.
    description="Add or update a manifest skill sent in chat (admins).",
    slots=(
        SlotSpec("skill", SlotType.TEXT),
        SlotSpec("file", SlotType.TEXT),
        SlotSpec("draft", SlotType.TEXT),
        SlotSpec("example", SlotType.TEXT, required=False, default=""),
        SlotSpec("values", SlotType.TEXT, required=False, default=""),
    ),
    risk=Risk.MEDIUM,
    requires=Requirement.CONFIRM,
)


class SkillAdd:
    """Adds the checked draft (`draft` is its sha256) through skills.admin, as the CLI does;
    the dry run checks it again and shows what it would send for its first example."""

    spec = SKILL_ADD

    def __init__(self, admin: SkillAdmin | None) -> None:
        self._admin = admin

    def _needed(self) -> SkillAdmin:
        if self._admin is None:
            raise SkillError("Skills can be added from chat only on the server.")
        return self._admin

    async def check(self, text: str, file: str) -> Manifest:
        """The same check as `chatops skills check` (raises UserError with every reason)."""
        admin = self._needed()
        return await asyncio.to_thread(admin.validate, text, file)

    async def _draft(self, ctx: SkillContext) -> SkillDraft:
        draft = await drafts.load(self._needed().store, ctx.slots["draft"])
        if draft is None:
            raise SkillError("That manifest is no longer here; send it again.")
        return draft

    async def preview(self, ctx: SkillContext) -> Outcome:
        draft = await self._draft(ctx)
        try:
            manifest = await self.check(draft.source, draft.file)
        except UserError as exc:
            raise SkillError(str(exc)) from None
        values = dict(drafts.values_of(ctx.slots.get("values", "")))
        trial = ManifestSkill(manifest, hosts_of(manifest))
        shown = await trial.preview(replace(ctx, slots=values, secrets={}))
        example = ctx.slots.get("example") or manifest.model.examples[0]
        return Outcome(True, f'Would add {manifest.model.name}. For "{example}": {shown.summary}')

    async def run(self, ctx: SkillContext) -> Outcome:
        draft = await self._draft(ctx)
        try:
            change = await self._needed().add(
                draft.source, draft.file, Actor(ctx.principal.name, "chat")
            )
        except UserError as exc:
            raise SkillError(str(exc)) from None
        if not change.changed:
            return Outcome(True, change.text())
        return Outcome(True, change.text() + " Every replica picks it up within seconds.")
