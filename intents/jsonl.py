"""`chatops parse` output: one JSON object per utterance, keys in the documented order."""

from __future__ import annotations

from typing import Any

from chatbot.types import Interpretation


def interpretation_to_json(interp: Interpretation) -> dict[str, Any]:
    """The contract keys first (text, skill, confidence, slots, alternatives), then extras
    that help a person see why: spans of the slots, reply, dry run, ambiguity, decline."""
    return {
        "text": interp.text,
        "skill": interp.skill,
        "confidence": round(interp.confidence, 4),
        "slots": interp.slot_values(),
        "alternatives": [
            {"skill": c.skill, "confidence": round(c.confidence, 4)} for c in interp.alternatives
        ],
        "spans": {
            name: {"text": s.text, "start": s.start, "end": s.end, "corrected": s.corrected}
            for name, s in interp.slots.items()
        },
        "reply": interp.reply.value if interp.reply else None,
        "dry_run": interp.dry_run,
        "ambiguous": interp.ambiguous,
        "declined": interp.declined,
    }
