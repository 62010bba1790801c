"""Understanding: text in, `Interpretation` out. `Understander` is the one entry point.

The names below load on first use (PEP 562): `intents.understand` brings spaCy, and a
command that only needs `intents.when` or `intents.dates` (a listing) must not pay for it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from intents.evaluation import EvalReport, evaluate
    from intents.jsonl import interpretation_to_json
    from intents.understand import SlotReading, Understander

_HOMES = {
    "EvalReport": "intents.evaluation",
    "evaluate": "intents.evaluation",
    "interpretation_to_json": "intents.jsonl",
    "SlotReading": "intents.understand",
    "Understander": "intents.understand",
}

__all__ = ["EvalReport", "SlotReading", "Understander", "evaluate", "interpretation_to_json"]


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'intents' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
