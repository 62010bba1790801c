"""The skill registry: name -> skill, and the declarations understanding trains on."""

from __future__ import annotations

from collections.abc import Iterable

from chatbot.types import Outcome
from skills.api import Skill, SkillContext, SkillSpec


class Unconnected:
    """A recognised skill with no back end yet: it says so instead of pretending."""

    def __init__(self, spec: SkillSpec) -> None:
        self.spec = spec

    async def preview(self, ctx: SkillContext) -> Outcome:
        return await self.run(ctx)

    async def run(self, ctx: SkillContext) -> Outcome:
        return Outcome(
            False, f"I understood {self.spec.name}, but no back end is connected for it yet."
        )


class Disabled(Unconnected):
    """A skill an admin disabled or removed. It stays known by name, so a request already
    waiting for confirmation or approval ends with a clear answer instead of an error, but it
    is not trained on and not offered (`specs()` leaves it out)."""

    async def run(self, ctx: SkillContext) -> Outcome:
        return Outcome(False, f"{self.spec.name} was disabled by an admin, so nothing was done.")


class SkillRegistry:
    def __init__(self, skills: Iterable[Skill] = ()) -> None:
        self._skills: dict[str, Skill] = {}
        for skill in skills:
            self.add(skill)

    def add(self, skill: Skill) -> None:
        if skill.spec.name in self._skills:
            raise ValueError(f"skill {skill.spec.name!r} is registered twice")
        self._skills[skill.spec.name] = skill

    def replace(self, other: SkillRegistry) -> None:
        """Take another registry's skills in one assignment (a reload on a live replica)."""
        self._skills = dict(other._skills)

    def get(self, name: str) -> Skill | None:
        return self._skills.get(name)

    def spec(self, name: str) -> SkillSpec | None:
        skill = self._skills.get(name)
        return skill.spec if skill else None

    def specs(self) -> tuple[SkillSpec, ...]:
        """The skills in service (what understanding trains on and help offers)."""
        return tuple(s.spec for s in self._skills.values() if not isinstance(s, Disabled))

    def connected(self, name: str) -> bool:
        skill = self._skills.get(name)
        return not isinstance(getattr(skill, "inner", skill), Unconnected)

    def __len__(self) -> int:
        return len(self._skills)
