"""Slots several built-in skills share (names are part of the contract)."""

from __future__ import annotations

from skills.api import SlotSpec, SlotType

USER = SlotSpec("user", SlotType.PERSON, required=False, prompt="For whom?")
SERVICE = SlotSpec("service", SlotType.SERVICE, prompt="Which service?")
ENV = SlotSpec("env", SlotType.ENV, prompt="Which environment?")
TICKET = SlotSpec("ticket", SlotType.TICKET, prompt="Which ticket (INC and 7 digits)?")
