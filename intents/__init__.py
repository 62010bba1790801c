"""Understanding: text in, `Interpretation` out. `Understander` is the one entry point."""

from intents.understand import SlotReading, Understander

__all__ = ["SlotReading", "Understander"]
