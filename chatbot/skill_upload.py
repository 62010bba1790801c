"""An admin sends a manifest in chat (a fenced code block, or a .toml/.yaml file) and gets the
same check as `chatops skills check`, then a card to add it, preview it on its first example,
or cancel.

Nothing here adds anything: a manifest that passes the check is kept as a draft and offered
as a `skills.add` request through the ordinary pipeline (RBAC and policy decided and audited,
confirmation persisted, the start gate re-checked on Confirm), and the skill adds it through
skills.admin, like the CLI and the admin API. Only the admin role may; every check, passed
or refused, is audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chatbot import records, texts
from chatbot.errors import UserError
from chatbot.governance import audit
from chatbot.governance.rbac import channel_kind
from chatbot.types import Message, Principal, Reply, ReplyKind, Verdict
from skills import drafts
from skills.api import SlotType
from skills.builtin.admin import SKILL_ADD, SkillAdd
from skills.manifest.load import Manifest
from skills.manifest.skill import spec_of

if TYPE_CHECKING:
    from chatbot.assistant import Assistant

ADMIN_ROLE = "admin"
MANIFEST_FILES = (".toml", ".yaml", ".yml")
FENCE_RE = re.compile(r"```[ \t]*(toml|ya?ml)?[ \t]*\r?\n(.*?)```", re.S | re.I)
NAME_LINE = re.compile(r"^\s*name\s*[=:]", re.M)


@dataclass(frozen=True, slots=True)
class Upload:
    text: str
    file: str


def found(message: Message) -> Upload | None:
    """The manifest a message carries: a .toml/.yaml attachment, else a fenced code block
    that declares a `name` (what every manifest starts with)."""
    for attachment in message.attachments:
        if attachment.name.lower().endswith(MANIFEST_FILES):
            return Upload(attachment.text, attachment.name)
    fenced = FENCE_RE.search(message.text)
    if fenced is None or not NAME_LINE.search(fenced.group(2)):
        return None
    body = fenced.group(2)
    language = (fenced.group(1) or "").lower()
    yaml_like = language.startswith("y") or (not language and re.search(r"^name\s*:", body, re.M))
    return Upload(body, "manifest.yaml" if yaml_like else "manifest.toml")


async def offer(
    assistant: Assistant, principal: Principal, message: Message, upload: Upload
) -> list[Reply]:
    """Check it, say what was found, and ask to confirm; refusals say why, in words."""
    spec = assistant.registry.spec(SKILL_ADD.name)
    skill = assistant.registry.get(SKILL_ADD.name)
    adder = getattr(skill, "inner", skill)
    if spec is None or not isinstance(adder, SkillAdd):
        return [Reply(texts.NOT_UNDERSTOOD)]
    where = channel_kind(message.platform, message.channel)
    decision = assistant.authorizer.decide(principal, spec, {}, False, where)
    roles = assistant.authorizer.rbac.roles_of(principal)
    if ADMIN_ROLE not in roles or decision.verdict is Verdict.DENY:
        await _audit(assistant, principal, message, "refused", {"reason": "not an admin"})
        return [Reply(texts.MANIFEST_ONLY_ADMINS, ReplyKind.ERROR)]
    try:
        manifest = await adder.check(upload.text, upload.file)
    except UserError as exc:
        problems = getattr(exc, "problems", (str(exc),))
        await _audit(assistant, principal, message, "refused", {"problems": list(problems)})
        shown = "manifest refused:\n  " + "\n  ".join(problems)
        return [Reply(texts.MANIFEST_REFUSED.format(problems=shown), ReplyKind.ERROR)]
    name = manifest.model.name
    digest = await drafts.save(assistant.store, name, upload.file, upload.text, principal.name)
    await _audit(assistant, principal, message, "ok", {"skill": name, "sha256": digest})
    example = manifest.model.examples[0]
    values = {}
    for slot in spec_of(manifest).slots:
        read = (
            assistant.understander.read_slot(slot, example).value if slot.type != "text" else None
        )
        if read or slot.default:
            values[slot.name] = read or slot.default or ""
    slots = {
        "skill": name,
        "file": upload.file,
        "draft": digest,
        "example": example,
        "values": drafts.values_text(values),
    }
    said = texts.MANIFEST_OK.format(
        file=upload.file, name=name, examples=len(manifest.model.examples)
    )
    asked = await assistant._proceed(principal, message, spec, slots, dry_run=False)
    return [Reply(said), *asked]


def _example_values(assistant: Assistant, manifest: Manifest, example: str) -> dict[str, str]:
    """Slot values read from the manifest's first example, as understanding reads a request
    (catalog entities), or the slot's default: what the Preview button sends them with."""
    values = {}
    for slot in spec_of(manifest).slots:
        read = None
        if slot.type is not SlotType.TEXT:
            read = assistant.understander.read_slot(slot, example).value
        if read or slot.default:
            values[slot.name] = read or slot.default or ""
    return values


async def _audit(
    assistant: Assistant,
    principal: Principal,
    message: Message,
    outcome: str,
    detail: dict[str, object],
) -> None:
    async with assistant.store.transaction() as tx:
        record = records.record(
            principal, message, "skill.checked", outcome, SKILL_ADD.name, detail
        )
        await audit.append(tx, record)
