"""Declarations of help and whoami."""

from __future__ import annotations

from skills.api import Requirement, Risk, SkillSpec

HELP = SkillSpec(
    name="help",
    title="What I can do",
    description="Say what I can do for you.",
    examples=(
        "help",
        "what can you do for me",
        "how do i use this",
        "help me",
        "i could use some help",
        "what are your commands",
        "show me what you can do",
        "how does this bot work",
        "can you assist me",
        "i need assistance",
        "what should i ask",
        "list your skills",
        "help please",
        "give me a hand",
        "any tips on using you",
        "what can i do here",
        "how do i get started",
        "how does it work",
        "help me out here",
        "can i get some help",
        "how do i do this",
        "what do i do now",
    ),
    keywords=(
        "help",
        "assist",
        "assistance",
        "commands",
        "skills",
    ),
    side_effect=False,
    risk=Risk.NONE,
    requires=Requirement.NOTHING,
)


WHOAMI = SkillSpec(
    name="whoami",
    title="Who am I to you",
    description="Say who you are to me and what you may do.",
    examples=(
        "who am i",
        "whoami",
        "what are my roles",
        "what am i allowed to do",
        "what permissions do i have",
        "show my roles",
        "which groups am i in",
        "tell me who i am",
    ),
    keywords=(
        "whoami",
        "roles",
        "groups",
        "permissions",
    ),
    side_effect=False,
    risk=Risk.NONE,
    requires=Requirement.NOTHING,
)
