"""Understanding: text in, `Interpretation` out. `Understander` is the one entry point."""

from intents.evaluation import EvalReport, evaluate
from intents.jsonl import interpretation_to_json
from intents.understand import SlotReading, Understander

__all__ = ["EvalReport", "SlotReading", "Understander", "evaluate", "interpretation_to_json"]
