"""Who takes part in which conversation of an order, and who hears of a message. Pure rules.

Each order has three conversations: ``order`` between its buyer and supplier ("Message
Customer"), and ``support-buyer`` / ``support-supplier`` between one party and the platform's
staff ("Message Support"). Parties are organisations: every buyer user of the buyer
organisation takes part for it. Staff may read every conversation (they oversee the platform)
and write in support conversations; in the buyer-supplier conversation they write once tagged
in. A tagged (or writing) staff member is a *member*: they count unread messages there.
"""

from dataclasses import dataclass

from chassis.access import STAFF_ROLES, is_staff
from contracts.errors import InvalidRequest

ORDER = "order"
SUPPORT = "support"  # a party's own support conversation, as the party names it
SUPPORT_OF = {"buyer": "support-buyer", "supplier": "support-supplier"}
NAMES = (ORDER, *SUPPORT_OF.values())
PARTY_ROLES = tuple(SUPPORT_OF)
STAFF = "staff"  # the audience of everything addressed to the platform's staff
MAX_BODY_CHARS = 5000


@dataclass(frozen=True)
class Audience:
    """Who a notification is for: a party of an order (role and organisation), the staff, or a
    single person (``user``)."""

    role: str
    org: str | None = None
    user: str | None = None

    @property
    def key(self) -> str:
        return f"{self.role}:{self.org or ''}:{self.user or ''}"


def resolve_name(actor: dict, name: str) -> str:
    """The conversation a name means for this actor: ``support`` is a party's own."""
    if name == SUPPORT and actor["role"] in SUPPORT_OF:
        return SUPPORT_OF[actor["role"]]
    if name not in NAMES:
        raise InvalidRequest(
            f"There is no conversation {name!r}",
            {"errors": {"conversation": [f"must be one of {', '.join((*NAMES, SUPPORT))}"]}},
        )
    return name


def names_for(actor: dict) -> tuple[str, ...]:
    """The conversations of an order the actor takes part in (staff: all of them)."""
    if is_staff(actor):
        return NAMES
    if actor["role"] not in SUPPORT_OF:  # an admin of a customer organisation: no order's party
        return ()
    return (ORDER, SUPPORT_OF[actor["role"]])


def is_party(actor: dict, conversation: dict) -> bool:
    role = actor["role"]
    if role not in PARTY_ROLES or conversation["name"] not in (ORDER, SUPPORT_OF[role]):
        return False
    return conversation[f"{role}_org"] == actor["org"]


def may_read(actor: dict, conversation: dict) -> bool:
    return is_party(actor, conversation) or is_staff(actor)


def may_write(actor: dict, conversation: dict, is_member: bool) -> bool:
    if is_party(actor, conversation):
        return True
    return is_staff(actor) and (conversation["name"] != ORDER or is_member)


def checked_body(body: str | None, has_attachments: bool) -> str:
    body = (body or "").strip()
    if not body and not has_attachments:
        raise InvalidRequest("A message needs text or a file", {"errors": {"body": ["is empty"]}})
    if len(body) > MAX_BODY_CHARS:
        raise InvalidRequest(
            f"A message holds at most {MAX_BODY_CHARS} characters",
            {"errors": {"body": [f"is {len(body)} characters long"]}},
        )
    return body


def message_audiences(conversation: dict, author: dict, staff_members: list[str]) -> list[Audience]:
    """Who hears of a new message: the other side of the conversation, never its author."""
    name = conversation["name"]
    audiences = [
        Audience(role, conversation[f"{role}_org"])
        for role in PARTY_ROLES
        if name in (ORDER, SUPPORT_OF[role]) and author["role"] != role
    ]
    staff = [Audience(STAFF, user=user) for user in staff_members if user != author["user_id"]]
    if name != ORDER and not is_staff(author) and not staff:
        staff = [Audience(STAFF)]  # nobody tagged yet: the support desk as a whole
    return audiences + staff


def awaiting_reply(actor: dict, last_message: dict | None) -> bool:
    """Whether the other side wrote last, so the actor owes an answer."""
    if last_message is None:
        return False
    if is_staff(actor):
        return last_message["author_role"] not in STAFF_ROLES
    return last_message["author_role"] != actor["role"]
