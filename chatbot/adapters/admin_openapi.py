"""The admin API's operations for /api/openapi.json (see chatbot.openapi): what each route of
chatbot.adapters.admin_api takes and may answer, kept beside it so the two change together."""

from __future__ import annotations

from typing import Any

from chatbot.openapi import Operation, Schema, path_parameter

SKILL: Schema = {
    "type": "object",
    "required": ["name", "kind", "enabled"],
    "properties": {
        "name": {"type": "string"},
        "kind": {"type": "string"},
        "enabled": {"type": "boolean"},
        "version": {"type": ["integer", "null"]},
        "description": {"type": ["string", "null"]},
        "risk": {"type": ["string", "null"]},
        "side_effect": {"type": ["boolean", "null"]},
    },
}
CHANGE: Schema = {
    "type": "object",
    "required": ["name", "event", "version"],
    "properties": {
        "name": {"type": "string"},
        "event": {"type": "string"},
        "version": {"type": ["integer", "null"]},
    },
}
GUARDED = {
    401: ("no token, or an unknown one", None),
    403: ("the token's person is not an admin", None),
    503: ("the skill registry is not available", None),
}
NAME = path_parameter("name", "the skill's name")
TAG = "admin: skills"


def _change(method: str, path: str, op_id: str, summary: str, **more: Any) -> Operation:
    return Operation(
        method,
        path,
        op_id,
        summary,
        TAG,
        {
            200: ("what changed", CHANGE),
            404: ("no such skill", None),
            409: ("nothing changed: it is already so, or not allowed", None),
            **GUARDED,
        },
        parameters=(NAME,),
        bearer=True,
        **more,
    )


operations = (
    Operation(
        "GET",
        "/api/skills",
        "listSkills",
        "Every skill with its kind, state and version",
        TAG,
        {
            200: (
                "the skills",
                {
                    "type": "object",
                    "required": ["skills"],
                    "properties": {"skills": {"type": "array", "items": SKILL}},
                },
            ),
            **GUARDED,
        },
        bearer=True,
    ),
    Operation(
        "POST",
        "/api/skills",
        "addSkill",
        "Add or update a manifest skill (TOML or YAML text, or JSON wrapping it)",
        TAG,
        {
            200: ("nothing changed: the current version is already this manifest", CHANGE),
            201: ("the skill's new version", CHANGE),
            422: ("the manifest is refused", None),
            **GUARDED,
        },
        body={
            "application/toml": {"type": "string"},
            "application/yaml": {"type": "string"},
            "application/json": {
                "type": "object",
                "required": ["manifest"],
                "properties": {
                    "manifest": {"type": "string"},
                    "format": {"enum": ["toml", "yaml"]},
                    "file": {"type": "string"},
                },
            },
        },
        bearer=True,
    ),
    Operation(
        "GET",
        "/api/skills/{name}",
        "showSkill",
        "A skill's declaration, versions and current manifest source",
        TAG,
        {
            200: (
                "the skill",
                {
                    "type": "object",
                    "required": ["skill", "versions", "source"],
                    "properties": {
                        "skill": {"anyOf": [SKILL, {"type": "null"}]},
                        "versions": {"type": "array", "items": {"type": "object"}},
                        "source": {"type": ["string", "null"]},
                    },
                },
            ),
            404: ("no such skill", None),
            **GUARDED,
        },
        parameters=(NAME,),
        bearer=True,
    ),
    Operation(
        "POST",
        "/api/skills/reload",
        "reloadSkills",
        "Every server reloads its skills now, rescanning installed packages",
        TAG,
        {
            200: (
                "reload requested; what this server could not take without a restart",
                {
                    "type": "object",
                    "required": ["event", "restart_needed"],
                    "properties": {
                        "event": {"type": "string"},
                        "restart_needed": {"type": "array", "items": {"type": "string"}},
                    },
                },
            ),
            **GUARDED,
        },
        bearer=True,
    ),
    _change("DELETE", "/api/skills/{name}", "removeSkill", "Remove a manifest skill"),
    _change("POST", "/api/skills/{name}/disable", "disableSkill", "Disable a skill"),
    _change("POST", "/api/skills/{name}/enable", "enableSkill", "Enable a skill"),
    _change(
        "POST",
        "/api/skills/{name}/restore",
        "restoreSkill",
        "Make an earlier version of a manifest skill current",
        body={
            "application/json": {
                "type": "object",
                "required": ["version"],
                "properties": {"version": {"type": "integer", "minimum": 1}},
            }
        },
    ),
)
