"""Declarations of the self-service skills: VPN, password, account, access."""

from __future__ import annotations

from skills.api import Requirement, Risk, SkillSpec, SlotSpec, SlotType
from skills.builtin.catalog.slots import USER

VPN_RESET = SkillSpec(
    name="vpn.reset",
    title="Reset a VPN connection",
    confirmation="Reset {your} VPN sessions (the next login starts clean)?",
    description="Reset a VPN connection: ends every VPN session so the next login starts clean.",
    examples=(
        "reset my vpn",
        "my vpn is broken",
        "vpn not working",
        "can you reset the vpn for me",
        "clear my vpn sessions",
        "reconnect my vpn please",
        "reset vpn for bob",
        "vpn keeps disconnecting, please reset it",
        "the vpn won't connect",
        "vpn is down for me",
        "kill my vpn session",
        "restart my vpn connection",
        "fix my vpn",
        "vpn reset please",
        "i cannot connect to the vpn",
        "my vpn tunnel keeps dropping",
        "reset the vpn for alice",
        "vpn stuck on connecting",
        "please reset dave's vpn",
        "vpn error again, reset it",
    ),
    keywords=(
        "vpn",
        "reset",
        "reconnect",
    ),
    slots=(USER,),
    risk=Risk.LOW,
)


PASSWORD_RESET = SkillSpec(
    name="password.reset",
    title="Reset a password",
    confirmation="Reset {your} password and send a one-time link to set a new one?",
    description="Reset a password and send a one-time link to set a new one.",
    examples=(
        "reset my password",
        "i forgot my password",
        "i need a new password",
        "change my password",
        "password reset for erin",
        "my password expired",
        "send me a password reset link",
        "forgot my login password",
        "reset the password of carol",
        "my password is not accepted",
        "i can't remember my password",
        "new password please",
        "set a new password for my account",
        "password doesn't work anymore",
        "help me reset my password",
        "reset credentials for bob",
        "my login credentials stopped working",
        "i need my password changed",
    ),
    keywords=(
        "password",
        "passwd",
        "pwd",
        "passcode",
        "credentials",
    ),
    slots=(USER,),
    risk=Risk.MEDIUM,
)


# Words after "unlock" that are not somebody's name.
NOT_A_NAME = (
    "my",
    "the",
    "your",
    "his",
    "her",
    "our",
    "their",
    "a",
    "an",
    "it",
    "this",
    "that",
    "me",
    "account",
    "accounts",
    "user",
    "login",
    "phone",
    "iphone",
    "door",
    "screen",
    "computer",
    "laptop",
    "card",
    "sim",
    "car",
    "achievement",
    "achievements",
    "all",
    "now",
    "please",
)


ACCOUNT_UNLOCK = SkillSpec(
    name="account.unlock",
    title="Unlock an account",
    confirmation="Unlock {your} account?",
    description="Unlock an account that was locked after failed logins.",
    examples=(
        "unlock my account",
        "my account is locked",
        "i am locked out",
        "unlock the account of alice",
        "i got locked out after too many attempts",
        "my user account is blocked",
        "please unlock bob's account",
        "account locked, help",
        "i'm locked out of my laptop",
        "my login is disabled",
        "unlock my user",
        "why is my account locked, please unlock it",
        "account lockout again",
        "my account got suspended after failed logins",
        "remove the lock on my account",
    ),
    keywords=(
        "unlock",
        "locked",
        "lockout",
        "blocked",
        "disabled",
        "suspended",
        "lock",
    ),
    # "unlock bobby": unlock and a name, so the person named is asked about (never replaced
    # by the requester) even when the directory does not know the name.
    patterns=(
        (
            {"LOWER": "unlock"},
            {"IS_ALPHA": True, "LOWER": {"NOT_IN": list(NOT_A_NAME)}},
        ),
    ),
    slots=(USER,),
    risk=Risk.LOW,
)


ACCESS_REQUEST = SkillSpec(
    name="access.request",
    title="Request access",
    confirmation="Give {user} access to {resource} for {duration}?",
    description="Ask for temporary access to a resource; its owner approves.",
    examples=(
        "i need access to grafana",
        "give me access to jenkins for 2 hours",
        "request access to prod-db for 1 day",
        "grant me github access",
        "can i get access to aws-prod",
        "i need permission to use jenkins",
        "access to the production database for an hour",
        "grant bob access to grafana for 3 days",
        "please give me read access on github",
        "request temporary access to aws prod",
        "need grafana permissions for today",
        "get me into jenkins for 30 minutes",
        "i would like access to prod-db",
        "add me to github for a week",
    ),
    keywords=(
        "access",
        "grant",
        "permission",
        "permissions",
        "rights",
    ),
    slots=(
        SlotSpec("resource", SlotType.RESOURCE, prompt="Access to what?"),
        USER,
        SlotSpec("duration", SlotType.DURATION, required=False, default="8h"),
    ),
    risk=Risk.HIGH,
    requires=Requirement.APPROVAL,
)


ACCESS_REVOKE = SkillSpec(
    name="access.revoke",
    title="Remove access",
    confirmation="Remove {your} access to {resource}?",
    description="Remove access granted earlier, before its time is up.",
    examples=(
        "revoke my jenkins access",
        "remove my access to aws-prod",
        "take away bob's github permissions",
        "i don't need grafana access anymore",
        "end my access to jenkins now",
        "drop me from the grafana group",
        "withdraw my permission on prod-db",
        "take me off github",
        "remove bob from jenkins",
        "revoke access to aws prod for carol",
        "i am done with prod-db, remove my access",
        "cancel my github access",
    ),
    keywords=(
        "revoke",
        "remove",
        "withdraw",
        "take away",
        "take me off",
        "drop me",
        "end my",
    ),
    # "remove me from the github group", "end my prod-db access": the opposite of a grant,
    # named by its verb, so the request for access never wins on the word "access".
    patterns=(
        (
            {"LOWER": {"IN": ("revoke", "remove", "withdraw", "end", "drop", "cancel")}},
            {"OP": "*", "IS_ALPHA": True},
            {"ENT_TYPE": "RESOURCE"},
        ),
        (
            {"LOWER": {"IN": ("revoke", "remove", "withdraw", "end", "drop", "cancel")}},
            {"OP": "*", "IS_ALPHA": True},
            {"LOWER": {"IN": ("access", "permission", "permissions", "rights")}},
        ),
    ),
    slots=(SlotSpec("resource", SlotType.RESOURCE, prompt="Access to what?"), USER),
    risk=Risk.LOW,
)
