"""Microsoft Teams through the Bot Framework SDK 4.17.1 (CloudAdapter): `/api/messages`."""

from chatbot.adapters.teams.adapter import PLATFORM, TeamsAdapter
from chatbot.adapters.teams.http import routes, running

__all__ = ["PLATFORM", "TeamsAdapter", "routes", "running"]
