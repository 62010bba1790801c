"""Signed audit checkpoints: an anchor for the hash chain outside the database.

The chain alone cannot tell a cut tail, a wipe or a chain re-hashed from some entry on from
an honest one: whoever can write the database can rewrite it consistently. So, as
Certificate Transparency's signed tree heads do, the head (seq, hash, time) is signed with an
Ed25519 key that is not in the database and appended to sinks outside it: a JSON-lines file
(the default, read by `chatops audit verify`), syslog, or an HTTP endpoint.

When: at start and at stop of every runtime when the head moved, whenever `every_entries`
entries were added since the last one (looked at every few seconds), and every
`every_minutes` minutes. `due(checkpointer)` is the plain function a job engine calls.

What verify concludes (`check`): a checkpoint's entry with another hash -> the chain was
rewritten; a checkpoint beyond the chain's end -> truncated (or wiped, at 0); entries that no
checkpoint covered within twice the interval -> a checkpoint is missing; a bad signature ->
the log was forged.
"""

from __future__ import annotations

import asyncio
import base64
import fcntl
import hashlib
import itertools
import json
import logging
import logging.handlers
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import text

from chatbot.config import CheckpointSettings
from chatbot.store.engine import Store
from chatbot.types import utcnow

log = logging.getLogger(__name__)

LookUp = Callable[[Sequence[int]], Awaitable[dict[int, tuple[str, datetime]]]]


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One signed head: `signature` is over `signed_bytes()` with the key named by key_id."""

    number: int  # 1, 2, 3... in its log: a deleted line leaves a gap
    seq: int
    hash: str
    at: str
    key_id: str
    signature: str = ""

    def signed_bytes(self) -> bytes:
        body = {
            "number": self.number,
            "seq": self.seq,
            "hash": self.hash,
            "at": self.at,
            "key_id": self.key_id,
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    @property
    def when(self) -> datetime:
        return datetime.fromisoformat(self.at)


def key_path(settings: CheckpointSettings, data_dir: Path) -> Path:
    return settings.key_file or data_dir / "audit-checkpoint.key"


def log_path(settings: CheckpointSettings, data_dir: Path) -> Path:
    return settings.file or data_dir / "audit-checkpoints.jsonl"


def load_key(path: Path, create: bool = True) -> Ed25519PrivateKey:
    """The signing key from its PEM file; made (mode 0600) on first use when `create`."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        if not create:
            raise
        made = Ed25519PrivateKey.generate()
        pem = made.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        return made
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def sign(key: Ed25519PrivateKey, number: int, seq: int, digest: str, at: datetime) -> Checkpoint:
    unsigned = Checkpoint(number, seq, digest, at.isoformat(), key_id(key.public_key()))
    signature = base64.b64encode(key.sign(unsigned.signed_bytes())).decode()
    return replace(unsigned, signature=signature)


def signed_by(checkpoint: Checkpoint, public: Ed25519PublicKey) -> bool:
    try:
        public.verify(base64.b64decode(checkpoint.signature), checkpoint.signed_bytes())
    except (InvalidSignature, ValueError):
        return False
    return True


def read_log(path: Path) -> list[Checkpoint]:
    """Every checkpoint in the file, in order; a line that is not one raises ValueError."""
    found = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                found.append(_parse(json.loads(line)))
            except (ValueError, KeyError, TypeError):
                raise ValueError(f"{path} line {number} is not a checkpoint") from None
    return found


def _parse(fields: dict[str, object]) -> Checkpoint:
    return Checkpoint(
        int(str(fields["number"])),
        int(str(fields["seq"])),
        str(fields["hash"]),
        str(fields["at"]),
        str(fields["key_id"]),
        str(fields["signature"]),
    )


class Checkpointer:
    """Signs the head and writes it to the configured sinks."""

    def __init__(self, settings: CheckpointSettings, data_dir: Path, store: Store) -> None:
        self.settings, self.store = settings, store
        self.key_file = key_path(settings, data_dir)
        self.file = log_path(settings, data_dir)
        self._key: Ed25519PrivateKey | None = None
        self.last: Checkpoint | None = None

    def _signing_key(self) -> Ed25519PrivateKey:
        if self._key is None:
            self._key = load_key(self.key_file)
        return self._key

    async def head(self) -> tuple[int, str]:
        async with self.store.transaction() as tx:
            row = (await tx.exec(text("SELECT seq, hash FROM audit_head WHERE id = 1"))).one()  # type: ignore[call-overload]
        return int(row[0]), str(row[1])

    def _last_written(self) -> Checkpoint | None:
        """The last checkpoint of the file sink, from its tail (the log grows for years)."""
        if self.last is None and "file" in self.settings.sinks and self.file.exists():
            with self.file.open("rb") as log_file:
                log_file.seek(max(self.file.stat().st_size - 4096, 0))
                lines = log_file.read().decode(errors="replace").splitlines()
            try:
                self.last = _parse(json.loads(lines[-1])) if lines else None
            except (ValueError, KeyError, TypeError):
                return None
        return self.last

    async def write(self) -> Checkpoint:
        """Sign the current head and append it to every sink (`chatops audit checkpoint`)."""
        seq, digest = await self.head()
        checkpoint = None
        if "file" in self.settings.sinks:
            checkpoint = await asyncio.to_thread(self._append_file, seq, digest)
        else:
            number = self.last.number + 1 if self.last else 1
            checkpoint = sign(self._signing_key(), number, seq, digest, utcnow())
        line = _line(checkpoint)
        for sink in self.settings.sinks:
            if sink == "file":
                continue
            try:
                await self._emit(sink, line)
            except (OSError, httpx.HTTPError) as exc:
                log.error("audit checkpoint %d not sent to %s: %s", seq, sink, exc)
        self.last = checkpoint
        return checkpoint

    def _append_file(self, seq: int, digest: str) -> Checkpoint:
        """Number, sign and append under an exclusive lock of the file, so processes sharing
        it (a server and a CLI command) never write the same number twice."""
        self.file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.file, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            size = os.fstat(fd).st_size  # only the tail is read: the log grows for years
            tail = os.pread(fd, min(size, 4096), max(size - 4096, 0)).decode(errors="replace")
            lines = [line for line in tail.splitlines() if line.strip()]
            try:
                number = int(json.loads(lines[-1])["number"]) + 1 if lines else 1
            except (ValueError, KeyError, TypeError):
                number = 0  # an unreadable last line: verify names the gap it leaves
            checkpoint = sign(self._signing_key(), number, seq, digest, utcnow())
            os.write(fd, _line(checkpoint).encode())
            os.fsync(fd)
        finally:
            os.close(fd)  # releases the lock
        return checkpoint

    async def _emit(self, sink: str, line: str) -> None:
        if sink == "syslog":
            handler = logging.handlers.SysLogHandler(address=_syslog_address(self.settings))
            try:
                record = logging.LogRecord("chatops.audit", logging.INFO, "", 0, line, None, None)
                handler.emit(record)
            finally:
                handler.close()
        elif sink == "http":
            async with httpx.AsyncClient(timeout=5.0) as http:
                sent = await http.post(
                    self.settings.http_url,
                    content=line.encode(),
                    headers={"content-type": "application/json"},
                )
                sent.raise_for_status()

    async def maybe(self, at_start_or_stop: bool = False) -> Checkpoint | None:
        """Write one when `every_entries` entries came since the last, or `every_minutes`
        passed, or (at start and stop) whenever the head moved. None: nothing was due."""
        last = self._last_written()
        seq, digest = await self.head()
        if last is not None:
            moved = (seq, digest) != (last.seq, last.hash)
            old = utcnow() - last.when >= timedelta(minutes=self.settings.every_minutes)
            many = seq - last.seq >= self.settings.every_entries
            if not (many or old or (at_start_or_stop and moved)):
                return None
        return await self.write()


def _line(checkpoint: Checkpoint) -> str:
    return json.dumps(asdict(checkpoint), sort_keys=True) + "\n"


def _syslog_address(settings: CheckpointSettings) -> str | tuple[str, int]:
    host, sep, port = settings.syslog_address.rpartition(":")
    if sep and port.isdigit() and not settings.syslog_address.startswith("/"):
        return host, int(port)
    return settings.syslog_address


async def due(checkpointer: Checkpointer, at_start_or_stop: bool = False) -> None:
    """The periodic job (a job engine, or the lifecycle scheduler, calls it every few
    seconds): a checkpoint when one is due; a failure is logged and tried again next time."""
    try:
        await checkpointer.maybe(at_start_or_stop)
    except Exception:
        log.exception("writing an audit checkpoint failed; trying again at the next tick")


@dataclass(frozen=True, slots=True)
class Finding:
    """What verify found against the checkpoints: ok, or the problem in one sentence."""

    ok: bool
    problem: str = ""
    checked: int = 0


async def check(
    checkpoints: Sequence[Checkpoint],
    public: Ed25519PublicKey,
    head_seq: int,
    look_up: LookUp,
    interval: timedelta,
    source: str,
    now: datetime,
    recent: int = 100,
) -> Finding:
    """Compare the chain (already walked and whole) with the latest `recent` checkpoints."""
    if not checkpoints:
        if head_seq == 0:
            return Finding(True)
        return Finding(
            False,
            f"no checkpoint in {source} while the chain has {head_seq} entries: "
            "the checkpoint log is missing or was emptied",
        )
    latest = list(enumerate(checkpoints, 1))[-recent:]
    for line, cp in latest:
        if not signed_by(cp, public):
            return Finding(False, f"{source} line {line} has a bad signature: a forged checkpoint")
    for (_, before), (line, after) in itertools.pairwise(latest):
        if after.number != before.number + 1:
            return Finding(
                False,
                f"checkpoint {before.number + 1} is missing from {source} (line {line} is "
                f"number {after.number}): checkpoints were deleted from the log",
            )
        if after.seq < before.seq:
            what = "wiped" if after.seq == 0 else f"truncated to entry {after.seq}"
            return Finding(
                False,
                f"the chain was {what}: {source} line {line} (signed {after.at}) goes back "
                f"from entry {before.seq}, signed {before.at}",
            )
    top = max((cp for _, cp in latest), key=lambda c: c.seq)
    if top.seq > head_seq:
        what = "wiped: it is empty" if head_seq == 0 else f"truncated: it ends at entry {head_seq}"
        return Finding(
            False,
            f"the chain was {what}, but the checkpoint signed {top.at} covers entry {top.seq}",
        )
    grace = interval * 2
    # Each checkpoint covers the entries after the one before it (in the whole log).
    starts = [checkpoints[line - 2].seq if line > 1 else 0 for line, _ in latest]
    wanted = sorted(
        {cp.seq for _, cp in latest if cp.seq > 0} | {s + 1 for s in starts} | {top.seq + 1}
    )
    rows = await look_up(wanted)
    for _, cp in latest:
        if cp.seq > 0 and rows.get(cp.seq, ("", now))[0] != cp.hash:
            return Finding(
                False,
                f"entry {cp.seq} does not have the hash the checkpoint signed {cp.at} "
                "recorded: the chain was rewritten and re-hashed",
            )
    for start, (_, cp) in zip(starts, latest, strict=True):
        first = rows.get(start + 1)
        if cp.seq > start and first is not None and cp.when - first[1] > grace:
            return Finding(False, _missing(start + 1, cp.seq, first[1], grace))
    tail = rows.get(top.seq + 1)
    if tail is not None and now - tail[1] > grace:
        return Finding(False, _missing(top.seq + 1, head_seq, tail[1], grace))
    return Finding(True, checked=len(latest))


def _missing(first: int, last: int, at: datetime, grace: timedelta) -> str:
    minutes = round(grace.total_seconds() / 60, 1)
    return (
        f"entries {first}..{last} (from {at:%Y-%m-%d %H:%M:%S} UTC) were not covered by a "
        f"checkpoint within {minutes} minutes: a checkpoint is missing from the log "
        "(or no process wrote them)"
    )
