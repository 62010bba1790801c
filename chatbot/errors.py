"""One small exception tree.

    ChatOpsError
     ├── ConfigError        a configuration file or variable is wrong (start-up stops, exit 2)
     ├── StoreError         the database cannot be reached or migrated
     │    └── StorageUnavailable  it cannot be reached, read or written now (exit 3)
     └── UserError          meant for the person; the text says what is wrong and what to do
          ├── NotFound      what was named does not exist (the CLI exits 1)
          └── Refused       it exists, but nothing was done: already so, or not allowed (exit 1)

Skill failures meant for the person are `skills.api.SkillError`. Anything else is a bug: it
is logged with its traceback and the person gets a short apology with an audit reference.
"""

from __future__ import annotations


class ChatOpsError(Exception):
    """Base of every error this project raises on purpose."""


class ConfigError(ChatOpsError):
    """Names the file, the key and what was expected, in one line."""

    def __init__(self, source: str, key: str, expected: str) -> None:
        self.source, self.key, self.expected = source, key, expected
        where = f"{source}: {key}" if key else source
        super().__init__(f"{where}: {expected}")


class StoreError(ChatOpsError):
    """The database is unreachable, or its schema cannot be brought up to date."""


class UserError(ChatOpsError):
    """An error whose text is shown to the person as is."""


class StorageUnavailable(StoreError):
    """The database cannot be reached, or is read-only or full, right now: the CLI says so in
    one line and exits 3; a person is told nothing was done."""


class NotFound(UserError):
    """What the person named (a skill, a request, a version) does not exist: exit 1, not 2,
    because the input was well formed; scripts tell "no such thing" from "bad arguments"."""


class Refused(UserError):
    """The thing exists but nothing was done (already in that state, not allowed): exit 1."""
