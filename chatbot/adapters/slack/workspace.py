"""Which Slack workspace a request is for, and whether a person belongs to it.

A signed request proves it came from Slack, not which workspace it is meant for: one app can be
installed in several, and each would then act in this one's name. And in a Slack Connect
channel, people of another organisation write too; their email is vouched for by their own
workspace, not ours, so they are guests here whatever it says.
"""

from __future__ import annotations

from typing import Any

from chatbot.config import SlackSettings


def ours(settings: SlackSettings, team: str | None, enterprise: str | None) -> bool:
    """Is a request from the configured workspace (and organisation, when one is set)?"""
    if settings.team_id and team != settings.team_id:
        return False
    return not (settings.enterprise_id and enterprise != settings.enterprise_id)


def foreign(settings: SlackSettings, user: dict[str, Any], team: str) -> bool:
    """Is a users.info `user` a member of another organisation? Home is slack.team_id, or
    else the workspace the request was delivered for (`team`); members of the configured
    Enterprise Grid organisation count as home."""
    if user.get("is_stranger"):
        return True
    home = settings.team_id or team
    theirs = user.get("team_id")
    if not home or not theirs or theirs == home:
        return False
    org = (user.get("enterprise_user") or {}).get("enterprise_id")
    return not (bool(settings.enterprise_id) and org == settings.enterprise_id)
