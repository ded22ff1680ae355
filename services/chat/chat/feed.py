"""The notification feed: writing it (once per event and addressee) and reading it per person."""

from datetime import datetime

from sqlalchemy import and_, exists, func, insert, or_, select

from chassis.access import platform_org
from chassis.database import ignoring_duplicates, insert_ignoring_duplicates
from chassis.pg_transactions import write_later
from chat.conversations import STAFF, STAFF_ROLES, Audience, is_staff
from chat.models import emails, feed_marks, notification_reads, notifications, preferences
from chat.rows import plain, upsert

ALL_EVENTS = "*"
_NOTIFICATION_KEY = ("event_id", "audience")  # an event notifies each audience once
DEFAULT_PAGE = 50
MAX_PAGE = 200


def notify(
    session,
    event_id: str,
    event_type: str,
    order_id: str | None,
    audiences: list[Audience],
    title: str,
    link: str,
    now: datetime,
    email: bool = False,
) -> None:
    """Add the notification for each audience unless this event already gave it one; queue its
    e-mails when ``email`` is on."""
    insert_if_new = ignoring_duplicates(
        session.get_bind().dialect.name, notifications, _NOTIFICATION_KEY
    )
    for audience in audiences:
        values = {
            "event_id": event_id,
            "audience": audience.key,
            "audience_role": audience.role,
            "audience_org": audience.org,
            "audience_user": audience.user,
            "order_id": order_id,
            "event_type": event_type,
            "title": title,
            "link": link,
            "created_at": now,
        }
        if not email:
            # Whether it is new matters only to its e-mails: it waits for the next statement.
            write_later(session, insert_if_new, values)
        elif insert_ignoring_duplicates(session, notifications, values, _NOTIFICATION_KEY):
            seq = session.execute(
                select(notifications.c.seq).where(
                    notifications.c.event_id == event_id, notifications.c.audience == audience.key
                )
            ).scalar_one()
            _queue_emails(session, seq, event_type, audience, title, link, now)


def _queue_emails(session, seq, event_type, audience, title, link, now):
    for address in _email_addresses(session, audience, event_type):
        session.execute(
            insert(emails).values(
                notification_seq=seq,
                to_address=address,
                subject=title,
                body=f"{title}\n\nOpen the order: {link}\n",
                created_at=now,
                attempts=0,
                next_attempt_at=now,
            )
        )


def _email_addresses(session, audience: Audience, event_type: str) -> list[str]:
    if audience.user is not None:
        whose = preferences.c.user_id == audience.user
    elif audience.role == STAFF:
        # Platform staff only: an admin of a customer organisation is no member of the staff.
        whose = and_(preferences.c.role.in_(STAFF_ROLES), preferences.c.org == platform_org())
    else:
        whose = and_(preferences.c.role == audience.role, preferences.c.org == audience.org)
    rows = session.execute(
        select(preferences.c.email, preferences.c.email_events).where(
            whose, preferences.c.email.is_not(None)
        )
    ).all()
    return sorted(
        {
            row.email
            for row in rows
            if ALL_EVENTS in row.email_events or event_type in row.email_events
        }
    )


def addressed_to(actor: dict):
    """Notifications meant for the actor: their party's, the staff's (for staff), their own."""
    n = notifications.c
    if is_staff(actor):
        party = and_(n.audience_role == STAFF, n.audience_user.is_(None))
    else:
        party = and_(
            n.audience_role == actor["role"],
            n.audience_org == actor["org"],
            n.audience_user.is_(None),
        )
    return or_(n.audience_user == actor["user_id"], party)


def _unread(actor: dict):
    user = actor["user_id"]
    read_up_to = (
        select(feed_marks.c.read_up_to_seq).where(feed_marks.c.user_id == user).scalar_subquery()
    )
    read_one = exists().where(
        notification_reads.c.user_id == user,
        notification_reads.c.notification_seq == notifications.c.seq,
    )
    return and_(notifications.c.seq > func.coalesce(read_up_to, 0), ~read_one)


def page(session, actor: dict, query: dict) -> dict:
    limit = min(int(query.get("limit") or DEFAULT_PAGE), MAX_PAGE)
    unread = _unread(actor)
    statement = (
        select(notifications, unread.label("unread"))
        .where(addressed_to(actor))
        .order_by(notifications.c.seq.desc())
        .limit(limit + 1)
    )
    if query.get("before"):
        statement = statement.where(notifications.c.seq < int(query["before"]))
    if query.get("unread_only"):
        statement = statement.where(unread)
    if query.get("order_id"):
        statement = statement.where(notifications.c.order_id == query["order_id"])
    rows = session.execute(statement).all()
    items = [_public(row) for row in rows[:limit]]
    more = len(rows) > limit
    return {"items": items, "next_cursor": str(items[-1]["id"]) if more else None}


def unread_count(session, actor: dict) -> int:
    return session.execute(
        select(func.count()).select_from(notifications).where(addressed_to(actor), _unread(actor))
    ).scalar_one()


def mark_read(session, actor: dict, seq: int) -> bool:
    """Mark one notification read; False if it is not the actor's."""
    found = session.execute(
        select(notifications.c.seq).where(notifications.c.seq == seq, addressed_to(actor))
    ).first()
    if found is None:
        return False
    insert_ignoring_duplicates(
        session,
        notification_reads,
        {"user_id": actor["user_id"], "notification_seq": seq},
        ("user_id", "notification_seq"),
    )
    return True


def mark_all_read(session, actor: dict) -> None:
    latest = session.execute(
        select(func.max(notifications.c.seq)).where(addressed_to(actor))
    ).scalar_one()
    if latest is None:
        return
    upsert(
        session,
        feed_marks,
        {"user_id": actor["user_id"], "read_up_to_seq": latest},
        ("user_id",),
        {"read_up_to_seq": latest},
    )


def _public(row) -> dict:
    record = plain(row)
    return {
        "id": record["seq"],
        "event_type": record["event_type"],
        "order_id": record["order_id"],
        "title": record["title"],
        "link": record["link"],
        "created_at": record["created_at"],
        "read": not record["unread"],
    }
