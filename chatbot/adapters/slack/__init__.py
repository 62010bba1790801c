"""Slack through slack-bolt (async): `/slack/events` over HTTP, or Socket Mode."""

from chatbot.adapters.slack.adapter import PLATFORM, SlackAdapter
from chatbot.adapters.slack.http import routes, running

__all__ = ["PLATFORM", "SlackAdapter", "routes", "running"]
