"""Declarations of the incident desk in chat: what is on fire, acknowledge, resolve.

The assistant answers them from the incident book (chatbot/incidents/chat.py): acknowledge and
resolve are checked against the `incident.ack` / `incident.resolve` grants like the card's
buttons. The incident id is its own entity, INC-12 (a hyphen and at most 6 digits), so it never
reads as a ticket (INC and 7 digits).
"""

from __future__ import annotations

from skills.api import Requirement, Risk, SkillSpec, SlotSpec, SlotType

INCIDENT = SlotSpec("incident", SlotType.INCIDENT, prompt="Which incident (like INC-12)?")

INCIDENT_LIST = SkillSpec(
    name="incident.list",
    title="Show open incidents",
    description="Show the incidents that are open right now.",
    examples=(
        "what's on fire",
        "what is on fire right now",
        "any open incidents",
        "are there any open incidents",
        "list the open incidents",
        "anything on fire",
        "which alerts are firing",
        "is anything burning",
    ),
    keywords=("firing", "burning"),
    # "Open incidents" are the alert desk's; "my incidents" stay the person's tickets.
    patterns=(
        (
            {"LOWER": {"IN": ("open", "active", "firing")}},
            {"LOWER": {"IN": ("incident", "incidents")}},
        ),
        (  # "what's on fire", "is anything on fire"; a "printer on fire" is a ticket
            {"LOWER": {"IN": ("what", "anything", "something", "everything")}},
            {"LOWER": {"IN": ("is", "'s")}, "OP": "?"},
            {"LOWER": "on"},
            {"LOWER": "fire"},
        ),
    ),
    side_effect=False,
    risk=Risk.NONE,
    requires=Requirement.NOTHING,
)

INCIDENT_ACK = SkillSpec(
    name="incident.ack",
    title="Acknowledge an incident",
    confirmation="Acknowledge {incident}?",
    description="Acknowledge an incident: say you are on it.",
    examples=(
        "ack INC-12",
        "acknowledge INC-7",
        "taking INC-21",
        "ack INC-3 now",
        "i am on INC-5",
        "ack INC-104 please",
        "ack it",
    ),
    keywords=("ack", "acknowledge"),
    slots=(INCIDENT,),
    risk=Risk.LOW,
    requires=Requirement.NOTHING,
)

INCIDENT_RESOLVE = SkillSpec(
    name="incident.resolve",
    title="Resolve an incident",
    confirmation="Resolve {incident}?",
    description="Resolve an incident once it is over.",
    examples=(
        "resolve INC-12",
        "mark INC-31 as resolved",
        "please resolve INC-15",
        "resolve INC-8 now",
    ),
    # No keyword: "resolve an incident" is a ticket; only an INC-12 id names this skill.
    slots=(INCIDENT,),
    risk=Risk.LOW,
    requires=Requirement.NOTHING,
)
