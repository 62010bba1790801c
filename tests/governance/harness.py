"""What governance tests import besides the fixtures: the chat factory's type and a settings
loader for a test's own config sections."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from chatbot.config import Settings, load_settings
from chatbot.testing import Chat

MakeChat = Callable[..., Awaitable[Chat]]


def settings_from(tmp_path: Path, toml: str, name: str = "chatops.toml") -> Settings:
    path = tmp_path / name
    path.write_text(f'data_dir = "{tmp_path}"\n{toml}', "utf-8")
    return load_settings(path)
