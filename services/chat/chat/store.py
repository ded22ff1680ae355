"""Chat's own projection of orders, its conversations, messages and read marks."""

import uuid
from datetime import datetime

from sqlalchemy import and_, bindparam, false, func, insert, select, update

from chassis import waiting
from chassis.access import visible_to
from chassis.database import insert_ignoring_duplicates
from chassis.pg_transactions import write_later
from chat import conversations as rules
from chat.models import (
    attachments,
    conversations,
    members,
    message_revisions,
    messages,
    orders,
    read_marks,
    waiting_events,
)
from chat.rows import plain, upsert
from contracts.errors import NotFound

DEFAULT_PAGE = 50
MAX_PAGE = 200


# --- the projection of orders ----------------------------------------------------------------


# What every order event runs, built once: building a statement costs more CPU than running it
# from SQLAlchemy's cache.
_ORDER = select(orders).where(orders.c.order_id == bindparam("key_order_id"))
_ORDERS_LOCKED = (
    select(orders)
    .where(orders.c.order_id.in_(bindparam("order_ids", expanding=True)))
    .order_by(orders.c.order_id)
    .with_for_update()
)
_CHANGE_ORDER = update(orders).where(orders.c.order_id == bindparam("key_order_id"))
_ADD_ORDER = waiting.record_insert(orders, waiting_events)
_ADD_CONVERSATIONS = insert(conversations)


def orders_of(session, order_ids) -> dict[str, dict]:
    """The orders of ``order_ids`` that are known, by id, locked: one statement for a batch."""
    rows = session.execute(_ORDERS_LOCKED, {"order_ids": sorted(order_ids)})
    return {row.order_id: row._asdict() for row in rows}


def ensure_order(session, known: dict[str, dict], data: dict, now: datetime) -> tuple[dict, bool]:
    """The order an order event describes, recorded (with its conversations) if new, and added
    to ``known`` (the batch's orders, ``orders_of``); and whether events wait for it."""
    order = known.get(data["order_id"])
    if order is not None:
        # The placement may come after the order's other events (each type has its queue):
        # what only it carries fills in what they left blank.
        changes = {
            key: data[key] for key in ("title", "buyer_user") if data.get(key) and not order[key]
        }
        if order["status"] != data["status"]:
            changes["status"] = data["status"]
        if changes:
            write_later(
                session,
                _CHANGE_ORDER,
                {"key_order_id": order["order_id"], **changes, "updated_at": now},
            )
            order.update(changes)
        return order, False
    order = {
        "order_id": data["order_id"],
        "buyer_org": data["buyer_org"],
        "supplier_org": data["supplier_org"],
        "buyer_user": data.get("buyer_user"),
        "title": data.get("title") or "",
        "status": data["status"],
        "updated_at": now,
    }
    anything_waiting = waiting.insert_record(session, _ADD_ORDER, order)
    session.execute(
        _ADD_CONVERSATIONS,
        [
            {
                "id": str(uuid.uuid4()),
                "order_id": order["order_id"],
                "name": name,
                "buyer_org": order["buyer_org"],
                "supplier_org": order["supplier_org"],
                "created_at": now,
            }
            for name in rules.NAMES
        ],
    )
    known[order["order_id"]] = order
    return order, anything_waiting


def order_of(session, order_id: str) -> dict | None:
    row = session.execute(_ORDER, {"key_order_id": order_id}).first()
    return None if row is None else row._asdict()


def visible_order(session, actor: dict, order_id: str) -> dict:
    row = session.execute(
        select(orders).where(
            orders.c.order_id == order_id,
            visible_to(actor, orders.c.buyer_org, orders.c.supplier_org),
        )
    ).first()
    if row is None:
        raise NotFound(f"Order {order_id} not found")
    return row._asdict()


# --- conversations -----------------------------------------------------------------------------


def conversation(session, actor: dict, order_id: str, name: str) -> dict:
    """The order's conversation ``name`` if the actor may read it, else NotFound."""
    visible_order(session, actor, order_id)
    name = rules.resolve_name(actor, name)
    row = session.execute(
        select(conversations).where(
            conversations.c.order_id == order_id, conversations.c.name == name
        )
    ).first()
    if row is None or not rules.may_read(actor, row._asdict()):
        raise NotFound(f"Order {order_id} has no conversation {name!r} for you")
    return row._asdict()


def staff_members(session, conversation_id: str) -> list[str]:
    return list(
        session.execute(
            select(members.c.user_id)
            .where(members.c.conversation_id == conversation_id)
            .order_by(members.c.added_at)
        ).scalars()
    )


def add_member(session, conversation_id: str, user_id: str, role: str, by: str, now) -> bool:
    return insert_ignoring_duplicates(
        session,
        members,
        {
            "conversation_id": conversation_id,
            "user_id": user_id,
            "role": role,
            "added_by": by,
            "added_at": now,
        },
        ("conversation_id", "user_id"),
    )


# --- messages ---------------------------------------------------------------------------------


def add_message(session, conversation: dict, actor: dict, body: str, now: datetime) -> dict:
    message = {
        "id": str(uuid.uuid4()),
        "conversation_id": conversation["id"],
        "order_id": conversation["order_id"],
        "author_user": actor["user_id"],
        "author_role": actor["role"],
        "author_org": actor["org"],
        "body": body,
        "created_at": now,
    }
    message["seq"] = session.execute(
        insert(messages).values(**message).returning(messages.c.seq)
    ).scalar_one()
    return message


def message_for_edit(session, message_id: str) -> dict | None:
    row = session.execute(
        select(messages, conversations.c.name)
        .join(conversations, conversations.c.id == messages.c.conversation_id)
        .where(messages.c.id == message_id)
        .with_for_update(of=messages)
    ).first()
    return None if row is None else row._asdict()


def replace_body(session, message: dict, body: str, now: datetime) -> None:
    session.execute(
        insert(message_revisions).values(
            message_id=message["id"], body=message["body"], replaced_at=now
        )
    )
    session.execute(
        update(messages).where(messages.c.id == message["id"]).values(body=body, edited_at=now)
    )


def revisions(session, message_id: str) -> list[dict]:
    rows = session.execute(
        select(message_revisions.c.body, message_revisions.c.replaced_at)
        .where(message_revisions.c.message_id == message_id)
        .order_by(message_revisions.c.seq)
    ).all()
    return [plain(row) for row in rows]


def messages_page(session, conversation_ids: list[str], query: dict) -> dict:
    """Newest first; ``before`` is the cursor of the previous page, ``q`` a text search."""
    limit = min(int(query.get("limit") or DEFAULT_PAGE), MAX_PAGE)
    statement = (
        select(messages, conversations.c.name.label("conversation"))
        .join(conversations, conversations.c.id == messages.c.conversation_id)
        .where(messages.c.conversation_id.in_(conversation_ids))
        .order_by(messages.c.seq.desc())
        .limit(limit + 1)
    )
    if query.get("before"):
        statement = statement.where(messages.c.seq < int(query["before"]))
    if query.get("q"):
        statement = statement.where(messages.c.body.ilike(f"%{_escape_like(query['q'])}%", "\\"))
    rows = session.execute(statement).all()
    items = [plain(row) for row in rows[:limit]]
    files = attachments_of(session, [item["id"] for item in items])
    for item in items:
        item["attachments"] = files.get(item["id"], [])
        item["edited"] = item["edited_at"] is not None
    more = len(rows) > limit
    return {"items": items, "next_cursor": str(items[-1]["seq"]) if more else None}


def attachments_of(session, message_ids: list[str]) -> dict[str, list[dict]]:
    if not message_ids:
        return {}
    rows = session.execute(
        select(attachments).where(attachments.c.message_id.in_(message_ids))
    ).all()
    found: dict[str, list[dict]] = {}
    for row in rows:
        found.setdefault(row.message_id, []).append(_public_attachment(row._asdict()))
    return found


def add_attachments(session, message: dict, files: list[dict], now: datetime) -> list[dict]:
    added = []
    for file in files:
        row = {
            "id": str(uuid.uuid4()),
            "message_id": message["id"],
            "order_id": message["order_id"],
            "created_at": now,
            **file,
        }
        session.execute(insert(attachments).values(**row))
        added.append(_public_attachment(row))
    return added


def _public_attachment(row: dict) -> dict:
    return {
        "id": row["id"],
        "name": row["name"],
        "content_type": row["content_type"],
        "size": row["size"],
        "has_thumbnail": row["thumbnail_key"] is not None,
    }


def attachments_in(session, conversation_ids: list[str]) -> list[dict]:
    rows = session.execute(
        select(attachments, messages.c.author_user, conversations.c.name.label("conversation"))
        .join(messages, messages.c.id == attachments.c.message_id)
        .join(conversations, conversations.c.id == messages.c.conversation_id)
        .where(messages.c.conversation_id.in_(conversation_ids))
        .order_by(messages.c.seq.desc())
    ).all()
    return [
        {
            **_public_attachment(row._asdict()),
            "message_id": row.message_id,
            "conversation": row.conversation,
            "author_user": row.author_user,
            "created_at": row.created_at.isoformat(),
        }
        for row in rows
    ]


def attachment(session, attachment_id: str) -> dict | None:
    row = session.execute(
        select(attachments, conversations.c.name.label("conversation"))
        .join(messages, messages.c.id == attachments.c.message_id)
        .join(conversations, conversations.c.id == messages.c.conversation_id)
        .where(attachments.c.id == attachment_id)
    ).first()
    return None if row is None else plain(row)


def last_message(session, conversation_id: str) -> dict | None:
    row = session.execute(
        select(messages)
        .where(messages.c.conversation_id == conversation_id)
        .order_by(messages.c.seq.desc())
        .limit(1)
    ).first()
    return None if row is None else plain(row)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- read state -------------------------------------------------------------------------------


def mark_read(session, conversation_id: str, user_id: str, up_to_seq: int | None) -> None:
    latest = session.execute(
        select(func.max(messages.c.seq)).where(messages.c.conversation_id == conversation_id)
    ).scalar_one()
    if latest is None:
        return
    seq = latest if up_to_seq is None else min(int(up_to_seq), latest)
    upsert(
        session,
        read_marks,
        {"conversation_id": conversation_id, "user_id": user_id, "last_read_seq": seq},
        ("conversation_id", "user_id"),
        {"last_read_seq": func.greatest(read_marks.c.last_read_seq, seq)}
        if session.get_bind().dialect.name == "postgresql"
        else {"last_read_seq": func.max(read_marks.c.last_read_seq, seq)},
    )


def _participating(actor: dict):
    """The conversations whose unread messages count for the actor."""
    role = actor["role"]
    if rules.is_staff(actor):
        return conversations.c.id.in_(
            select(members.c.conversation_id).where(members.c.user_id == actor["user_id"])
        )
    if role not in rules.PARTY_ROLES:
        return false()
    return and_(
        conversations.c[f"{role}_org"] == actor["org"],
        conversations.c.name.in_((rules.ORDER, rules.SUPPORT_OF[role])),
    )


def unread(session, actor: dict, order_ids: list[str] | None = None, by="order_id") -> dict:
    """Unread messages per order (or per conversation name of one order) for one person."""
    user = actor["user_id"]
    key = conversations.c[by] if by == "order_id" else conversations.c.name
    statement = (
        select(key, func.count())
        .select_from(messages)
        .join(conversations, conversations.c.id == messages.c.conversation_id)
        .outerjoin(
            read_marks,
            and_(read_marks.c.conversation_id == conversations.c.id, read_marks.c.user_id == user),
        )
        .where(
            _participating(actor),
            messages.c.author_user != user,
            messages.c.seq > func.coalesce(read_marks.c.last_read_seq, 0),
        )
        .group_by(key)
    )
    if order_ids is not None:
        statement = statement.where(conversations.c.order_id.in_(order_ids))
    return dict(session.execute(statement).all())
