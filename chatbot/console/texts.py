"""Every sentence the console's Python code says to people, in one place (page wording lives
in the templates). Admins read skill names here; nobody reads JSON or rule numbers."""

from __future__ import annotations

NOT_ALLOWED = "Not allowed"
NOT_AVAILABLE = "Not available"
CROSS_SITE = "cross-site request refused"
NOT_IN_DIRECTORY = "{who} is not in the directory, so the console does not know your roles"
READERS_ONLY = (
    "The console is for admins and auditors. {person} holds: {held}. "
    "Ask an admin for the auditor role to read it."
)
ADMINS_ONLY = "Only admins may do this; {person} may only read."

UNKNOWN_BUTTON = "That button is not one the console offers; reload the page."
DONE = "Done."

CHAIN_INTACT = "Chain intact: {count} entries verified."
CHAIN_BROKEN = "Chain broken{where}: {problem}"
EXPORTED = "exported the audit trail as {kind}{filters}"

NO_SKILL = "There is no skill {name}."
PICK_VERSION = "Pick the version to restore."
DRAFT_SHOWN = "A draft manifest: finish it, then add it."
NOTHING_TO_ADD = "Nothing to add yet."
PASTE_MANIFEST = "Paste a manifest (TOML or YAML) here."
MANIFEST_LIMITS = "A manifest is TOML or YAML of at most {kb} KB."
NOT_ADDED = "The manifest was not added."
NOT_ADDED_PROBLEMS = "The manifest was not added: {count}, shown at the manifest. First: {first}"
ADDED_DISABLED = " It is disabled until you enable it."
SAY_SOMETHING = "Type what a person would say."
SAY_EXAMPLE = "Type a request, e.g. reset my vpn."
NOT_UNDERSTOOD = "Not understood as a request ({why}); nothing would run."
DRY_RUN_REFUSED = "Understood; the dry run was not allowed."
DRY_RUN_DONE = "Understood as {skill}; dry run done."
