"""`chatops eval`: accuracy and false-trigger figures for labelled utterances.

File format (shared/corpora): `text <TAB> expected [<TAB> source]`; expected is a skill, a
reply (yes/no/cancel, or `unsure`: neither, so nothing may act on it),
`-` (no side effect may start), or several joined by `|`. Reply lines
are read with `read_reply`; the rest with `parse`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from chatbot.errors import UserError
from chatbot.types import Interpretation, ReplyIntent

REPLIES = frozenset({"yes", "no", "cancel", "unsure"})
UNSURE = "unsure"
NOTHING = "-"
ACCURACY_TARGET = 0.95
FALSE_TRIGGER_LIMIT = 0.003


class Reader(Protocol):
    @property
    def skills(self) -> Sequence[object]: ...

    def parse(self, text: str) -> Interpretation: ...

    def read_reply(self, text: str) -> ReplyIntent | None: ...


@dataclass(frozen=True, slots=True)
class Row:
    path: str
    line: int
    text: str
    expected: frozenset[str]

    @property
    def is_reply(self) -> bool:
        return self.expected <= REPLIES


@dataclass(frozen=True, slots=True)
class EvalReport:
    """Counts, and the figures derived from them; `render()` is what the CLI prints."""

    lines: int = 0
    correct: int = 0
    reply_lines: int = 0
    reply_correct: int = 0
    unsafe_yes: int = 0
    nothing_lines: int = 0
    false_triggers: int = 0
    high_risk_triggers: int = 0
    per_skill: tuple[tuple[str, int, int, int], ...] = ()  # skill, true pos, false pos, false neg
    confusions: tuple[tuple[str, str, int], ...] = ()
    examples: tuple[str, ...] = field(default=())

    @property
    def accuracy(self) -> float:
        return self.correct / self.lines if self.lines else 1.0

    @property
    def reply_accuracy(self) -> float:
        return self.reply_correct / self.reply_lines if self.reply_lines else 1.0

    @property
    def false_trigger_rate(self) -> float:
        return self.false_triggers / self.nothing_lines if self.nothing_lines else 0.0

    @property
    def ok(self) -> bool:
        return (
            (self.lines == self.nothing_lines or self.accuracy >= ACCURACY_TARGET)
            and self.reply_accuracy >= ACCURACY_TARGET
            and self.unsafe_yes == 0
            and self.false_trigger_rate <= FALSE_TRIGGER_LIMIT
            and self.high_risk_triggers == 0
        )

    def render(self) -> str:
        out = []
        if self.lines:
            out.append(f"requests: {self.lines} lines, top-1 accuracy {self.accuracy:.2%}")
        if self.nothing_lines:
            out.append(
                f"side-effect triggered where none expected: {self.false_triggers}/"
                f"{self.nothing_lines} ({self.false_trigger_rate:.3%}); "
                f"high-risk: {self.high_risk_triggers}"
            )
        if self.reply_lines:
            out.append(
                f"replies: {self.reply_lines} lines, accuracy {self.reply_accuracy:.2%}, "
                f"no/cancel/unsure read as yes: {self.unsafe_yes}"
            )
        if self.per_skill:
            out.append("per skill: precision recall (tp fp fn)")
            for skill, tp, fp, fn in self.per_skill:
                p = tp / (tp + fp) if tp + fp else 1.0
                r = tp / (tp + fn) if tp + fn else 1.0
                out.append(f"  {skill:<18} {p:6.1%} {r:6.1%}  ({tp} {fp} {fn})")
        if self.confusions:
            out.append("confusions (expected -> got: count):")
            out.extend(f"  {e} -> {g}: {n}" for e, g, n in self.confusions)
        if self.examples:
            out.append("some misses:")
            out.extend(f"  {x}" for x in self.examples)
        out.append("result: " + ("ok" if self.ok else "below target"))
        return "\n".join(out)


def read_rows(paths: Iterable[Path], known: set[str]) -> list[Row]:
    """Every row of every file; a missing file or malformed line is a UserError naming it."""
    rows = []
    for path in paths:
        try:
            text = Path(path).read_text("utf-8")
        except FileNotFoundError:
            raise UserError(f"{path}: file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"{path}: cannot be read ({exc})") from None
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) < 2 or not parts[0].strip() or not parts[1].strip():
                raise UserError(f"{path}:{number}: expected 'text<TAB>expected[<TAB>source]'")
            expected = frozenset(p.strip() for p in parts[1].split("|"))
            unknown = expected - known - REPLIES - {NOTHING}
            if unknown:
                raise UserError(f"{path}:{number}: unknown expected value {sorted(unknown)[0]!r}")
            rows.append(Row(str(path), number, parts[0].strip(), expected))
    return rows


def evaluate(
    understander: Reader, paths: Sequence[Path], side_effect: set[str], high_risk: set[str]
) -> EvalReport:
    known = {getattr(s, "name", str(s)) for s in understander.skills} | side_effect | high_risk
    rows = read_rows(paths, known)
    counts: Counter[str] = Counter()
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    confusions: Counter[tuple[str, str]] = Counter()
    misses: list[str] = []
    for row in rows:
        if row.is_reply:
            got_reply = understander.read_reply(row.text)
            got = got_reply.value if got_reply else UNSURE
            counts["reply_lines"] += 1
            hit = got in row.expected
            counts["reply_correct"] += hit
            counts["unsafe_yes"] += got == "yes" and "yes" not in row.expected
        else:
            skill = understander.parse(row.text).skill
            got = skill or NOTHING
            hit = got in row.expected or (
                NOTHING in row.expected and (skill is None or skill not in side_effect)
            )
            counts["lines"] += 1
            counts["correct"] += hit
            if NOTHING in row.expected:
                counts["nothing_lines"] += 1
                bad = skill in side_effect and skill not in row.expected
                counts["false_triggers"] += bad
                counts["high_risk_triggers"] += bad and skill in high_risk
            wanted = sorted(row.expected - {NOTHING})
            if hit and skill is not None:
                tp[skill] += 1
            elif not hit:
                if skill is not None:
                    fp[skill] += 1
                for skill_wanted in wanted:
                    fn[skill_wanted] += 1
        if not hit:
            confusions["|".join(sorted(row.expected)), got] += 1
            if len(misses) < 20:
                misses.append(f"{row.path}:{row.line}: {row.text!r} -> {got}")
    skills = sorted(set(tp) | set(fp) | set(fn))
    return EvalReport(
        **{
            k: counts[k]
            for k in (
                "lines",
                "correct",
                "reply_lines",
                "reply_correct",
                "unsafe_yes",
                "nothing_lines",
                "false_triggers",
                "high_risk_triggers",
            )
        },
        per_skill=tuple((s, tp[s], fp[s], fn[s]) for s in skills),
        confusions=tuple((e, g, n) for (e, g), n in confusions.most_common(15)),
        examples=tuple(misses),
    )
