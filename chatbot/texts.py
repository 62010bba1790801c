"""Every sentence the assistant says, in one place, so wording is reviewed and kept consistent."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from chatbot.governance.redaction import redact
from chatbot.types import Message

if TYPE_CHECKING:
    from chatbot.directory.leaver import OffboardReport
    from chatbot.directory.pull import SyncReport

GUEST = (
    "I don't know you yet, so I can't act for you. Ask an admin to add your email to the directory."
)
EMPTY = 'Your message was empty. Try "help" to see what I can do.'
NOTHING_PENDING = 'There is nothing waiting for your answer. Try "help" to see what I can do.'
NOT_UNDERSTOOD = (
    'Sorry, I can\'t help with that. I handle IT requests such as "reset my vpn" or '
    '"deploy payments-api 2.3.1 to staging"; say "help" for the full list.'
)
NEGATED = "That reads as something not to do, so I did nothing."
QUESTION = (
    "That sounds like a question about an action, not a request, so I did nothing. "
    'Say "help" to see what I can do.'
)
ANSWER_PLEASE = "Please answer with the buttons, or type yes or no."
CANCELLED = "Cancelled; nothing was done."
STALE_BUTTON = "That button is no longer valid; nothing was done."
# A click whose value no reply of ours offered (forged or garbled): never an internal error.
UNKNOWN_BUTTON = "I don't know that request; nothing was done."
INTERNAL = (
    "Something went wrong on my side and nothing more was done. Reference: audit entry {seq}."
)
NOT_YOURS = "Only {who} can answer this request."
ALREADY = "That request is already {state}; nothing more was done."
EXPIRED = "Request #{id} expired; nothing was done. Ask again if you still need it."


def check_text(message: Message, limit: int) -> str | None:
    """A polite refusal for text we will not try to understand, or None."""
    if message.press is not None:
        return None
    text = message.text
    if len(text) > limit:
        return (
            f"Your message is {len(text):,} characters long; I read at most {limit:,}. "
            "Please send a shorter request."
        )
    if not printable(text).strip() and not message.attachments:
        return EMPTY
    return None


def printable(text: str) -> str:
    """The text without control characters (keeps newlines and tabs as spaces)."""
    return "".join(
        " " if ch in "\n\r\t" else ch
        for ch in text
        if ch in "\n\r\t" or unicodedata.category(ch)[0] != "C"
    )


def describe(skill: str, slots: Mapping[str, str]) -> str:
    """A request in a line for cards and notices: `skill` is the skill's confirmation
    sentence or title when the caller has it (wording.py), so no id reaches a person."""
    shown = ", ".join(str(value) for name, value in slots.items() if name != "user")
    return f"{skill} ({shown})" if shown else skill


def confirm(sentence: str, prod: bool) -> str:
    """The confirmation question; risk is said in words only where it helps."""
    return f"{sentence} This changes production." if prod else sentence


def needs_approval(sentence: str, role: str, count: int) -> str:
    if role.startswith(MANAGER_PREFIX):
        who = approvers_words(role, count)
    else:
        who = f"a {role}" if count == 1 else f"{count} people with the role {role}"
    return (
        f"{sentence.rstrip('?')}: this needs approval by {who} (not you). "
        "Send the request for approval?"
    )


def sent_for_approval(action_id: int, approvers: list[str]) -> str:
    return f"Request #{action_id} is waiting for approval by {', '.join(approvers)}."


def approval_card(
    action_id: int,
    requester: str,
    what: str,
    slots: Mapping[str, str],
    risk: str,
    rule: str,
    role: str = "",
) -> str:
    """Who asks for what, who must approve and why, in sentences: `what` is the request's
    confirmation sentence; the policy `rule` (an internal trace such as "policy[0]") is kept
    in the audit trail, not shown."""
    prod = " It changes production." if slots.get("env") == "prod" else ""
    who = f"someone with the role {role}" if role else "an approver"
    why = "production changes" if prod else ("high-risk requests" if risk == "high" else "it")
    return (
        f"Approval needed for request #{action_id}: {requester} asks: {what}{prod} "
        f"Company policy for {why} needs {who} to approve (not {requester})."
    )


def approvals_count(needed: int, approved_by: list[str]) -> str:
    left = max(needed - len(approved_by), 0)
    so_far = f" Approved so far by {', '.join(approved_by)}." if approved_by else ""
    more = "1 more approval" if left == 1 else f"{left} more approvals"
    return f"Needs {more}.{so_far}"


def denied(reason: str, skill: str = "", title: str = "") -> str:
    """The refusal; the skill's id in governance's reason is said as its title."""
    if skill and title:
        reason = re.sub(rf"(?<![\w.-]){re.escape(skill)}(?![\w-]|\.\w)", f'"{title}"', reason)
    return f"Sorry, you may not do that: {reason}"


def no_backend(title: str) -> str:
    return (
        f'I understood that ("{title}"), but that system is not connected yet, so nothing was done.'
    )


def result(text: str, ok: bool, sandbox: bool) -> str:
    prefix = "Sandbox: " if sandbox else ""
    return f"{prefix}{text}" if ok else f"{prefix}Failed: {text}"


def did_you_mean(titles: list[str]) -> str:
    return "Did you mean: " + " or ".join(t[:1].lower() + t[1:] for t in titles) + "?"


def unknown_value(error: str, suggestions: tuple[str, ...]) -> str:
    hint = f" Did you mean {' or '.join(suggestions)}?" if suggestions else ""
    return f"{error}{hint}"


# -- conversation: consent, corrections, titles (issue 11) --------------------------------

CONFIRM_BUTTON = "Confirm"
CANCEL_BUTTON = "Cancel"
PREVIEW_BUTTON = "Preview"
SEND_FOR_APPROVAL = "Send for approval"
SOMETHING = "your earlier request"
WELCOME = "You're welcome."
STILL_OPEN = "Your earlier question is still open:"
SAY_YES_PLAINLY = (
    "This one changes something important, so I need a clear yes: press Confirm or type yes."
)
GREETING = 'Hello! Tell me what you need, for example "reset my vpn", or say "help".'


def still_waiting(sentence: str) -> str:
    return f"{sentence} (Confirm or Cancel)"


def about_action(description: str, important: bool) -> str:
    """An answer to "is that safe?" / "what does that do?" about the pending action."""
    what = f"{description} " if description else ""
    care = (
        "It changes production or grants wide access, so it needs your clear yes. "
        if important
        else "It is routine and can be undone or asked for again. "
    )
    return f"{what}{care}Most requests finish within a minute; I tell you when it is done."


def amended(changed: Mapping[str, str]) -> str:
    shown = ", ".join(f"{name} {value}" for name, value in changed.items())
    return f"Changed: {shown}. The earlier request was withdrawn."


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "…"


def sentence(spec: object, slots: Mapping[str, str], requester: str = "") -> str:
    """The skill's confirmation sentence with the slot values filled in ("Restart checkout
    in staging?"); the title, else the description, when it declares none. A secret typed
    into a slot ("my password is ...") is shown redacted, as it is stored: never echoed."""
    slots = {k: redact(str(v)) for k, v in slots.items()}
    template = str(getattr(spec, "confirmation", "") or "")
    if not template:
        title = str(getattr(spec, "title", "") or getattr(spec, "description", "")).rstrip(".")
        shown = ", ".join(v for k, v in slots.items() if k != "user" and v)
        return f"{title} ({shown})?" if shown else f"{title}?"
    user = slots.get("user") or requester
    mine = not user or user == requester
    values = _Blank(dict(slots))
    values["your"] = "your" if mine else f"{user}'s"
    values["user"] = "you" if mine else user
    return template.format_map(values)


def title_of(spec: object) -> str:
    """What people read for a skill: its title, else its description."""
    return str(getattr(spec, "title", "") or getattr(spec, "description", "")).rstrip(".")


# -- no dead ends (issue 11) -------------------------------------------------------------

TICKET_BUTTON = "Open a ticket"
PERSON_BUTTON = "Talk to someone"
SOLVED_BUTTON = "That solved it"
GLAD = "Glad that helped. Ask me any time."
GREETING_RE = re.compile(
    r"^\W*(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening)|howdy)\b[\W]*$", re.I
)


def it_problem(articles: str) -> str:
    """The offer for an IT problem no skill of mine fits."""
    if articles:
        return (
            "I can't fix that myself, but these articles may help:\n"
            f"{articles}\n"
            "If not, I can open a ticket with your words, or bring in someone from the "
            "service desk."
        )
    return (
        "I can't fix that myself. I can open a ticket with your words, or bring in someone "
        "from the service desk."
    )


# -- timed actions (issue 11) ------------------------------------------------------------

NO_SUCH_SCHEDULE = "There is no scheduled request #{id} waiting to start."
NO_SCHEDULES = "You have nothing scheduled."
RECURRING = (
    'I can\'t do repeating requests ("every Monday") yet, so nothing was done. Ask for one '
    'time, for example "restart search at 8pm".'
)
NO_WINDOW = (
    'No change window applies to that request, so "the next change window" names no '
    'time. Say a time instead, for example "at 8pm".'
)


def timed(when: str, question: str) -> str:
    """A confirmation for a timed request: the time first, in the person's zone."""
    return f"At {when}: {question}"


def scheduled(what: str, when: str, action_id: int) -> str:
    return (
        f"Scheduled request #{action_id} for {when}: {what.rstrip('?')}. It starts then, "
        'after the usual checks. Say "what is scheduled" to see it, or cancel it.'
    )


def when_unclear(problem: str, said: str, when: str) -> str:
    """A time we must not guess: asked about, nothing done."""
    match problem:
        case "past":
            return f'"{said}" ({when}) has already passed, so nothing was done. When should it run?'
        case "ambiguous":
            return (
                f"Did you mean {said} in the morning or the evening? Nothing was done; say it "
                "again with am or pm (or 24-hour time, like 20:00)."
            )
        case _:
            return (
                f'At what time "{said}"? Nothing was done; say it again with a time, '
                'like "on Friday at 17:00".'
            )


def schedule_denied(what: str, reason: str) -> str:
    return f"Your scheduled request ({what.rstrip('?')}) did not start: {reason}"


def schedule_cancelled(what: str) -> str:
    return f"Cancelled the scheduled request: {what.rstrip('?')}. Nothing was done."


def schedule_line(action_id: int, what: str, when: str) -> str:
    return f"#{action_id} {when}: {what.rstrip('?')}"


# -- incidents ------------------------------------------------------------------------------

INCIDENT_ACK = "Acknowledge"
INCIDENT_RESOLVE = "Resolve"


def incident_moved(ref: str, state: str) -> str:
    return f"{ref} is now {state}."


def incident_refused(state: str, reason: str) -> str:
    verb = "acknowledge" if state == "acknowledged" else "resolve"
    return f"tried to {verb} it and was refused: {reason}"


def remedy_requested(who: str, title: str, answer: str) -> str:
    first = answer.splitlines()[0] if answer else ""
    return f"{who} asked to {title[:1].lower()}{title[1:]}: {first}"


# --- connectors (issue 15): which system refused, and what a person can do about it ---
CONNECTOR_REFUSED = "{system} refused ({status}): {detail}"
CONNECTOR_ADVICE = {
    "auth": "The assistant's credentials for {system} lack a permission; ask an admin to run "
    "`chatops connectors check {name}`.",
    "missing": "{system} does not know it; check the name and try again.",
    "conflict": "{system} would not do it in its current state; nothing was changed.",
    "input": "Nothing was changed; fix the request and try again.",
    "busy": "{system} is busy or failing right now; try again in a few minutes.",
}
CONNECTOR_UNREACHABLE = (
    "Could not reach {system} ({detail}); nothing was changed there. Try again in a few minutes."
)
CONNECTOR_TIMEOUT = (
    "{system} did not answer in time; it may still have done it. Check {system} before "
    "trying again."
)


def connector_error(system: str, status: int | None, detail: str, name: str = "") -> str:
    """A connector failure as a person reads it: who refused, why, and the next step."""
    if status is None:
        return CONNECTOR_UNREACHABLE.format(system=system, detail=detail)
    kind = (
        "auth"
        if status in (401, 403)
        else "missing"
        if status in (404, 410)
        else "conflict"
        if status in (409, 412)
        else "busy"
        if status == 429 or status >= 500
        else "input"
    )
    said = CONNECTOR_REFUSED.format(system=system, status=status, detail=detail.rstrip("."))
    advice = CONNECTOR_ADVICE[kind].format(system=system, name=name or system.lower())
    return f"{said}. {advice}"


# -- identity: the directory, deactivation, where roles come from ---------------------------

DEACTIVATED = (
    "Your account is deactivated in the company directory, so I can't act for you. "
    "If that is a mistake, ask your IT service desk."
)
MANAGER_PREFIX = "@manager:"


def approvers_words(role: str, count: int = 1) -> str:
    """'1 release-manager', or 'your manager carol' for the manager approver kind."""
    if role.startswith(MANAGER_PREFIX):
        return f"your manager {role.removeprefix(MANAGER_PREFIX)}"
    return f"{count} {role}"


def only_approvers(role: str) -> str:
    if role.startswith(MANAGER_PREFIX):
        manager = role.removeprefix(MANAGER_PREFIX)
        return f"Only {manager} (the requester's manager) can decide this."
    return f"Only people with role {role} can decide this."


def role_origins(sources: tuple[tuple[str, str], ...]) -> str:
    """'developer (group Engineering), employee (company domain example.com)'."""
    return ", ".join(f"{role} ({source})" for role, source in sources) or "none"


def offboarded_note(action_id: int, requester: str, skill: str) -> str:
    return (
        f"Request #{action_id} ({skill}) from {requester} was cancelled: {requester} was "
        "deactivated in the company directory. Nothing was done; no decision is needed."
    )


# Jobs (chatbot/jobs): what people read when a worker, not this reply, runs their action.
def queued(action_id: int) -> str:
    return f"Request #{action_id} is on its way; I will tell you here when it has run."


def ran_later(action_id: int, what: str, result_text: str) -> str:
    return f"Request #{action_id} ({what}): {result_text}"


# -- governance: start checks, preview rights, named targets, storage (sec-gov) ------------


def may_not_start(action_id: int, reason: str) -> str:
    return f"Request #{action_id} may not run now: {reason}. Nothing was done."


PREVIEW_NOT_YOURS = (
    "Only the person who asked and the people who may decide can preview request #{id}."
)
WHICH_PERSON = "Which person did you mean?"


def unknown_person(named: str) -> str:
    return f"I don't know anyone called {named!r} in the directory. {WHICH_PERSON}"


STORAGE_DOWN = "I can't record that right now; nothing was done. Please try again in a moment."
RECORDED_LATER = (
    "(I couldn't record this yet because the database is unavailable; it will be recorded "
    "as soon as the database is back.)"
)


# Offboarding (chatbot/directory/offboard.py): the report to the leaver's manager, and the
# approvals handed over to them.
OFFBOARD_NO_MANAGER = "nobody active manages the leaver, so no one could take it over"
OFFBOARD_STEPS = {
    "grant": "access to",
    "sessions": "sessions of",
    "disable": "account of",
    "request": "their request",
    "approval": "approval of request",
}


def offboard_report(report: OffboardReport) -> str:
    """What offboarding removed and what it could not, one line each."""
    done = [f"- {OFFBOARD_STEPS[i.step]} {i.target}: {i.detail}" for i in report.removed]
    left = [f"- {OFFBOARD_STEPS[i.step]} {i.target}: {i.detail}" for i in report.not_removed]
    head = f"{report.person} left the company; I took away what I could at once."
    parts = [head, "Done:", *(done or ["- nothing was on record"])]
    if left:
        parts += ["Not done (please finish by hand or ask IT):", *left]
    else:
        parts.append("Nothing is left to do.")
    return "\n".join(parts)


def handed_over(leaver: str, card: str) -> str:
    return f"{leaver} left the company, so this approval is now yours. {card}"


def offboard_config_person(name: str) -> str:
    return (
        f"{name} comes from [people] in the config file, which puts them back at the next "
        f"start: remove [people.{name}] there too"
    )


# -- incidents in chat (issue 14) -----------------------------------------------------------
NOTHING_ON_FIRE = "Nothing is on fire: there are no open incidents."


def open_incidents(lines: list[str], more: bool = False) -> str:
    tail = "\n(and more: `chatops incidents list` shows them all)" if more else ""
    return "Open incidents:\n" + "\n".join(lines) + tail


def auto_ran(title: str, answer: str) -> str:
    first = answer.splitlines()[0] if answer else ""
    return f"assistant ran the runbook automatically: {title[:1].lower()}{title[1:]}: {first}"


def auto_skipped(title: str, why: str) -> str:
    return f"automatic runbook not run ({title[:1].lower()}{title[1:]}): {why}"


def auto_unset(who: str) -> str:
    return f"no directory entry {who!r} to act as; add it with the grants it may use alone"


def auto_limit(per_hour: int, service: str) -> str:
    return f"already {per_hour} automatic runs for {service} in the last hour; use the button"


def auto_needs_approval() -> str:
    return "policy needs an approval for it; use the button on the incident card"


# -- health-gated deploys (issue 14) --------------------------------------------------------
GATE_ROLLBACK = "Roll back"
_GATE_HEAD = {
    "pass": "Health check after deploying {what}: looks healthy.",
    "fail": "Health check after deploying {what}: worse than before. Roll it back?",
    "inconclusive": "Health check after deploying {what}: not enough data to tell; "
    "nothing was rolled back, keep an eye on it.",
}


def gate_verdict(what: str, verdict: str, reason: str) -> str:
    return _GATE_HEAD[verdict].format(what=what) + f" ({reason})"


# -- incident threads and on-call responders (issue 14) --------------------------------------


def responders_line(names: Sequence[str]) -> str:
    return "Responders: " + ", ".join(names) + "."


def oncall_found(names: Sequence[str]) -> str:
    return "on call in PagerDuty, asked to respond: " + ", ".join(names)


def oncall_strangers(names: Sequence[str]) -> str:
    return (
        "on call in PagerDuty but not in the directory (no person with their email), so not "
        "notified here: " + ", ".join(names)
    )


def oncall_failed(why: str) -> str:
    return f"could not ask PagerDuty who is on call ({why}); the configured responders were told"


ONCALL_NOBODY = "PagerDuty says nobody is on call for this service right now"


def thread_noted(ref: str) -> str:
    return f"Noted on {ref}'s timeline."


def no_rollback_offered(ref: str) -> str:
    return (
        f"{ref} names no single service and environment to roll back; use a button on its "
        "card or say what to roll back (like `roll back checkout in prod`)."
    )


# -- adding a skill from chat (issue 17) ---------------------------------------------------

MANIFEST_ONLY_ADMINS = "Only admins can add skills. Ask an admin if this one is needed."
MANIFEST_OK = (
    "{file}: ok ({name}, {examples} examples). Add it, preview what it would send for its "
    "first example, or cancel."
)
MANIFEST_REFUSED = "{problems}\nFix these and send the manifest again; nothing was added."


# -- joiners, movers and access reviews (jml) ---------------------------------------------

ONBOARD_UNCONNECTED = "Onboarding is not set up here (no access bundles are configured)."
KEEP_BUTTON = "Keep"
REVOKE_BUTTON = "Revoke"
REVIEW_KEPT = "kept"
REVIEW_OWN_ACCESS = (
    "You cannot review your own access; another reviewer of this resource has to decide."
)


def onboard_would(person: str, listed: str) -> str:
    return f"Would give {person}: {listed}."


def onboard_step(step: int, total: int, resource: str) -> str:
    return f"Step {step} of {total}: {resource}"


def onboard_failed(
    person: str, step: int, total: int, resource: str, why: str, done: list[str], left: list[str]
) -> str:
    granted = ", ".join(done) or "nothing"
    waiting = f" Not tried yet: {', '.join(left)}." if left else ""
    return (
        f"Onboarding of {person} stopped at step {step} of {total} ({resource}): "
        f"{why.rstrip('.')}. "
        f"Granted so far: {granted}.{waiting} Retry and Undo are on the card sent to the "
        "person who asked for it."
    )


def onboarded(person: str, done: list[str]) -> str:
    return f"{person} now has {', '.join(done) or 'nothing new'}."


def welcome(person: str, held: list[str]) -> str:
    have = ", ".join(sorted(set(held))) or "no extra access yet"
    return (
        f"Welcome, {person}! You have access to: {have}. To ask for more, just tell me, "
        'for example "I need access to grafana for 2 days".'
    )


def jml_unknown(person: str) -> str:
    return f"{person!r} is not an active person in the directory; check the name or email."


def jml_no_bundle(person: str) -> str:
    return (
        f"No access bundle matches {person} (by role, department or title), so there is "
        "nothing to give; declare one under [bundles.NAME] in the settings."
    )


def jml_nothing_new(person: str, proposed: list[str]) -> str:
    if proposed:
        return (
            f"{person} already has or is waiting for everything their bundles give; "
            f"removing {', '.join(proposed)} was proposed to their manager."
        )
    return f"{person} already has or is waiting for everything their bundles give."


def jml_no_manager(person: str) -> str:
    return (
        f"{person} has no manager in the directory, and their manager approves their access; "
        "set the manager (SCIM, or --manager) and ask again."
    )


def jml_refused(reason: str) -> str:
    return f"Onboarding may not be asked for: {reason}"


def review_nothing(resource: str) -> str:
    return f"Nobody has access to {resource} through me, so there is nothing to review."


def review_no_owner(resource: str) -> str:
    return (
        f"Nobody holds the owner role of {resource}, so there is nobody to ask; "
        "set catalog.resources.<name>.owner_role to a role people hold."
    )


def review_card(kind: str, person: str, resource: str, campaign: int) -> str:
    if kind == "mover":
        return (
            f"{person} changed role, and their new role no longer includes {resource} "
            f"(review #{campaign}). Keep it, or revoke it?"
        )
    return f"Access review #{campaign}: {person} has access to {resource}. Keep or revoke?"


def review_nudge(card: str, escalated: bool) -> str:
    if escalated:
        return f"Still unanswered, so it comes to you as the reviewer's manager. {card}"
    return f"Reminder, still waiting for your answer. {card}"


def review_no_item(item: int) -> str:
    return f"There is no review item {item}; `chatops reviews show ID` lists a campaign's items."


def review_not_yours(item: int, reviewers: list[str]) -> str:
    return f"Review item {item} is for {', '.join(reviewers)} to decide, not you."


def review_already(item: int, decision: str, by: str) -> str:
    return f"Review item {item} was already decided: {decision} by {by}."


def review_done(person: str, resource: str, decision: str, outcome: str) -> str:
    if decision == "keep":
        return f"Noted: {person} keeps access to {resource}."
    return f"Noted: access of {person} to {resource}: {outcome}."


REVIEW_NO_REVOKE = (
    "Removing access is not set up here (the access.revoke back end is not connected), so "
    "the grant stays; remove it by hand and record it."
)


def review_revoke_outcome(state: str, request: int, detail: str) -> str:
    """A review item's outcome: what became of the request its "revoke" made."""
    why = detail.strip().rstrip(".")
    if state == "done":
        return f"removed by request #{request}"
    if state == "waiting for approval":
        return f"not removed yet: request #{request} is waiting for approval"
    if state == "started":
        return f"removal started (request #{request})"
    if state == "rejected":
        return f"not removed: request #{request} was rejected"
    if state == "expired":
        return f"not removed: request #{request} expired without a decision"
    shown = f" (request #{request})" if request else ""
    if state == "refused":
        return f"not removed: refused{shown}: {why or 'no reason given'}"
    return f"not removed: the removal failed{shown}: {why or 'no reason given'}"


def bundle_revoke_would(person: str, resource: str) -> str:
    return f"Would remove the access of {person} to {resource} (given with their role)."


def bundle_revoke_failed(resource: str, why: str) -> str:
    return f"The access to {resource} could not be removed: {why.rstrip('.')}."


def bundle_revoked(person: str, resource: str, said: list[str]) -> str:
    return f"Removed the access of {person} to {resource} ({'; '.join(said)})."


RETRY_BUTTON = "Retry"
UNDO_BUTTON = "Undo"


def onboard_redo_card(failed: str) -> str:
    return (
        f"{failed} Retry runs the steps not done yet; Undo takes back what this onboarding granted."
    )


def onboard_redo_not_yours(requester: str) -> str:
    return (
        f"Only {requester}, who asked for this onboarding, or someone whose role may onboard "
        "people (HR, IT) can retry or undo it; nothing was done."
    )


def onboard_nothing_to_retry(person: str, state: str) -> str:
    if state == "succeeded":
        return f"The onboarding of {person} already finished; there is nothing to retry."
    return (
        f"There is nothing left to retry in this onboarding of {person} (it was undone, or "
        "it no longer waits for a retry); nothing was done."
    )


def onboard_retry_running(person: str) -> str:
    return f"The onboarding of {person} is being retried right now; nothing more was done."


def onboard_already_undone(person: str) -> str:
    return f"This onboarding of {person} was already undone; there is nothing left to remove."


def onboard_undone(person: str, removed: list[str], kept: list[tuple[str, str]]) -> str:
    said = f"Undone for {person}: removed {', '.join(removed) or 'nothing'}."
    if kept:
        left = "; ".join(f"{r} ({why.rstrip('.')})" for r, why in kept)
        said += f" Not removed: {left}. Press Undo again to retry those."
    return said


OFFBOARD_UNBOUND = "Offboarding is not set up here (no directory is connected); nothing was done."
OFFBOARD_NO_REQUESTER = (
    "its offboarding needs a second person's approval, but jml.onboard_as names nobody active "
    "to ask for it, so nothing was taken away yet; set it, then run chatops employee offboard"
)
OFFBOARD_NO_SECOND_MANAGER = (
    "its offboarding needs their manager's approval, and nobody else active manages them, so "
    "nothing was taken away yet; set jml.offboarding.approvers to a role"
)


def offboard_unknown(person: str) -> str:
    return f"{person} is not in the directory any more, so there is nothing to offboard."


def second_person_because(kind: str, value: str) -> str:
    return f"{kind} {value}"


def offboard_waits(person: str, why: str, request: int) -> str:
    return (
        f"{person} left the company. Their offboarding needs a second person's approval "
        f"({why}), so nothing is taken away until request #{request} is approved."
    )


JML_NO_REQUESTER = (
    "jml.onboard_as names nobody active in the directory, so no onboarding was asked for; "
    "set it to the person whose requests onboard joiners (HR or IT)."
)
BY_HAND = (
    "its bundle says it is removed by hand; open a ticket with the team that runs it, then "
    "record it as done"
)


# -- times said to people (chatbot/times.py says them on the reader's clock) ----------------


def starts(when: str) -> str:
    """On an approval card of a timed request: when it would start."""
    return f"If approved, it starts {when}."


# -- directory pull sync (chatbot/directory/pull.py) ----------------------------------------


def sync_report(report: SyncReport) -> str:
    """What a pull sync changed, in a few lines."""
    parts = [
        (report.created, "new people"),
        (report.updated, "people changed"),
        (report.deactivated, "people deactivated (their requests, approvals and grants ended)"),
        (report.groups_created, "new groups"),
        (report.groups_updated, "groups changed"),
        (report.groups_removed, "groups removed"),
    ]
    lines = [f"{len(names)} {label}: {', '.join(names)}" for names, label in parts if names]
    lines += [f"not written: {who} ({why})" for who, why in report.skipped]
    head = f"Directory pulled from {report.source}: "
    if not lines:
        return head + f"nothing changed ({report.unchanged} up to date)."
    return head + f"{report.unchanged} up to date.\n" + "\n".join(lines)


SYNC_OFF = (
    'directory sync is off: set [identity.sync] source = "okta" (or "entra") and configure '
    "that connector under [connectors.NAME]"
)


# -- the web chat (issue 16): cards in words, feedback ------------------------------------------
CARD_WHAT = "What will happen"
CARD_ASKED_BY = "Asked by"
CARD_DECIDES = "Who decides"
CARD_EXPIRES = "Expires"
CARD_VOTES = "Approved so far by"
YOU = "you"
HELPFUL = "Was this helpful?"
THUMB_UP = "Helpful"
THUMB_DOWN = "Not helpful"
FEEDBACK_THANKS = "Thanks for telling me."
# A card the reader may still decide on (keyed by the card's kind).
YOUR_TURN = {"confirm": "Waiting for you to confirm", "approval": "Waiting for your decision"}
# Where a request stands, as its card says (keyed by the action's state).
CARD_STATES = {
    "awaiting_confirmation": "Waiting for the requester to confirm",
    "awaiting_approval": "Waiting for approval",
    "approved": "Approved; starting",
    "queued": "Approved; waiting to run",
    "running": "Running",
    "scheduled": "Scheduled",
    "succeeded": "Done",
    "failed": "Failed",
    "denied": "Refused when it was to start",
    "cancelled": "Cancelled",
    "rejected": "Rejected",
    "expired": "Expired without a decision",
    "interrupted": "Interrupted by a restart",
}


def card_deciders(names: list[str], role: str, limit: int = 4) -> str:
    """Who must decide, in words: a few names, else the role and how many hold it."""
    if not names:
        return f"someone with the role {role}" if role else "an approver"
    if len(names) > limit:
        return f"anyone with the role {role} ({len(names)} people)"
    return " or ".join(names)


def card_status(state: str) -> str:
    return CARD_STATES.get(state, state.replace("_", " ").capitalize())


# The web chat page's own words (delivered with /api/people, which the page reads first).
WEB_LABELS = {
    "reconnecting": "Reconnecting…",
    "unreachable_retrying": "The assistant cannot be reached; trying again…",
    "unreachable": "The assistant cannot be reached",
    "not_loaded": "Your conversation could not be loaded.",
    "choices": "Choices",
    "rate": "Rate this answer",
    "attached": "Attached {name}",
    "file_too_big": "{name} is larger than 64 KB; a manifest must be smaller. Nothing was sent.",
    "file_unreadable": "{name} could not be read.",
}


# -- automatic rollback after a failed health gate (issue 14) -------------------------------
GATE_AUTO_TAKEN = "Its automatic rollback was already handled when this check first ran."
GATE_AUTO_NO_SKILL = "rolling back is not available here (no connected rollback)"


def gate_fail_auto(what: str, reason: str, said: str) -> str:
    """The failed gate's announcement when automatic rollback applies: the verdict and why,
    then what the assistant did about it by itself."""
    return f"Health check after deploying {what}: worse than before ({reason}). {said}"


def gate_auto_ran(where: str, answer: str) -> str:
    first = answer.splitlines()[0] if answer else ""
    return f"I rolled it back automatically, as the policy for {where} says: {first}"


def gate_auto_started(where: str, answer: str) -> str:
    first = answer.splitlines()[0] if answer else ""
    return f"I started rolling it back automatically, as the policy for {where} says: {first}"


def gate_auto_superseded(action_id: int) -> str:
    return (
        f"it was changed again since (request #{action_id}), and a rollback now would undo "
        "that change instead"
    )


def gate_auto_failed(where: str, answer: str) -> str:
    first = answer.splitlines()[0] if answer else ""
    return (
        f"I tried to roll it back automatically, as the policy for {where} says, but the "
        f"rollback failed: {first} Roll it back by hand?"
    )


def gate_auto_approval(answer: str) -> str:
    return (
        "The policy says to roll it back automatically, but a rollback here needs an "
        f"approval, so I sent it for approval instead of running it: {answer}"
    )


def gate_auto_not_run(why: str) -> str:
    return f"It was not rolled back automatically: {why.rstrip('.')}. Roll it back?"


def gate_auto_limit(per_hour: int, service: str) -> str:
    return (
        f"{service} was already rolled back automatically {per_hour} time(s) in the last hour, "
        "the most allowed, so a person decides this one"
    )


def gate_auto_refused(who: str, reason: str) -> str:
    return f"{who} may not roll it back by itself ({reason.rstrip('.')})"


def gate_timeline(what: str, reason: str, said: str) -> str:
    return f"health check after deploying {what} failed ({reason}). {said}"


# -- onboarding and offboarding from chat (employee.onboard / employee.offboard) ------------

OFFBOARD_UNCONNECTED = "Offboarding is not set up here."
OFFBOARD_SELF = "You cannot offboard yourself; HR or IT does that when your last day comes."


def jml_unknown_role(said: str, known: list[str]) -> str:
    listed = ", ".join(known) or "none are configured"
    return f"I know no access bundle for {said!r}; the bundles are: {listed}."


def jml_unknown_named(named: str) -> str:
    return (
        f"I don't know anyone called {named!r} in the directory, so nothing was done; "
        "check the name or email (a new joiner appears once the identity provider adds them)."
    )


def jml_unknown_manager(named: str) -> str:
    return f"I don't know a manager called {named!r} in the directory; check the name or email."


def offboard_would(person: str, grants: int) -> str:
    return (
        f"Would offboard {person}: disable their account, end their sessions and remove "
        f"{grants} access grant(s) I know of."
    )


def jml_several(said: str, names: list[str]) -> str:
    return f"More than one person could be {said!r} ({', '.join(names)}); say which by email."


def jml_other_manager(person: str, theirs: str | None, named: str) -> str:
    if theirs is None:
        return (
            f"{person} has no manager in the directory, and their manager approves their "
            f"access; set {named} as their manager in the identity provider, then ask again."
        )
    return (
        f"{person}'s manager in the directory is {theirs}, not {named}, and their manager "
        "approves their access; correct it in the identity provider, or leave the manager out."
    )


# -- movers: the new manager's keep or revoke -----------------------------------------------

REVIEW_KEPT_BY_MANAGER = "kept by the manager"
