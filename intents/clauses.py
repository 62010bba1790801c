"""The sentences of a message, each decided on its own where the whole is not enough.

A long message with the request in the middle ("Hello! Could you kindly reset my password?
I'm travelling. Thanks!") is read sentence by sentence; an action read from the whole stands
only if no sentence says not to or asks for another action.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from intents.decide import Decision, SkillTable
from intents.entities import Entity
from intents.text import Token
from intents.wording import ASKING

CLAUSE_ENDS = frozenset({".", "!", "?", ";"})
MAX_CLAUSE_TOKENS = 80
CUT_MARKS = CLAUSE_ENDS | {",", "-", ":"}  # a message with none of these is one clause
Decide = Callable[[list[Token], Sequence[Entity]], Decision]


def clauses(
    tokens: list[Token], entities: Sequence[Entity]
) -> list[tuple[list[Token], list[Entity]]]:
    """The sentences of a message (and ", could you ..." parts), with their entities."""
    if CUT_MARKS.isdisjoint([t.norm for t in tokens]):
        return []  # most messages: one sentence, no mark to cut at
    cuts = [
        i + 1
        for i, t in enumerate(tokens)
        if t.norm in CLAUSE_ENDS
        or (
            t.norm in {",", "-", ":"}
            and i + 1 < len(tokens)
            and tokens[i + 1].norm in ASKING | {"please", "pls", "kindly"}
        )
    ]
    # A mark that ends the message cuts nothing: the one "clause" would be the message
    # itself, decided again for the same answer.
    cuts = [cut for cut in cuts if cut < len(tokens)]
    if not cuts or len(tokens) > MAX_CLAUSE_TOKENS:
        return []
    out = []
    for start, end in zip([0, *cuts], [*cuts, len(tokens)], strict=True):
        part = tokens[start:end]
        if len(part) >= 2:
            out.append((part, [e for e in entities if part[0].start <= e.start < part[-1].end]))
    return out


def in_a_clause(
    decide: Decide, table: SkillTable, tokens: list[Token], entities: Sequence[Entity]
) -> Decision | None:
    """A long message with the request in the middle ("Hello! Could you kindly reset my
    password? I'm travelling. Thanks!"): each sentence on its own, so the request is not
    drowned by the rest. Only one sentence may ask for something with a side effect;
    two different ones is not a guess we make."""
    found: list[Decision] = []
    for part, inside in clauses(tokens, entities):
        decision = decide(part, inside)
        if decision.declined == "negated":
            return None
        if decision.skill is not None:
            found.append(decision)
    side = {d.skill for d in found if table.by_name[d.skill or ""].side_effect}
    if not found or len(side) > 1:
        return None
    return max(found, key=lambda d: d.confidence)


def not_contradicted(
    decide: Decide,
    table: SkillTable,
    decision: Decision,
    tokens: list[Token],
    entities: Sequence[Entity],
) -> Decision:
    """An action read from the whole message stands only if no sentence of it says not
    to ("... actually no, don't restart checkout") or asks for another action."""
    for part, inside in clauses(tokens, entities):
        other = decide(part, inside)
        if other.declined == "negated":
            return Decision(None, other.confidence, decision.ranked, declined="negated")
        if (
            other.skill not in (None, decision.skill)
            and table.by_name[other.skill or ""].side_effect
        ):
            return Decision(
                None,
                decision.confidence,
                decision.ranked,
                ambiguous=True,
                declined="out_of_scope",
            )
    return decision
