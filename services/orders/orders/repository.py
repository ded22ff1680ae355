"""Loading, saving and querying orders. The only module that knows the tables."""

import functools
from datetime import UTC, datetime

from sqlalchemy import Select, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from chassis import access, locks, paging
from chassis.database import parameter_sets
from chassis.pg_transactions import write_later
from contracts.errors import InvalidRequest, NotFound
from orders.domain import Order
from orders.models import activities, orders

SORTABLE = {
    "placed_at": orders.c.placed_at,
    "updated_at": orders.c.updated_at,
    "total": orders.c.total,
}


def visible_to(actor: dict):
    return access.visible_to(actor, orders.c.buyer_org, orders.c.supplier_org)


def _columns(order: Order, status_group: str, deadline: datetime | None) -> dict:
    skus = " ".join(line.sku for line in order.lines)
    return {
        "buyer_org": order.buyer_org,
        "buyer_user": order.buyer_user,
        "supplier_org": order.supplier_org,
        "workflow": order.workflow,
        "workflow_version": order.workflow_version,
        "status": order.status,
        "status_group": status_group,
        "kind": order.kind,
        "delayed": order.delayed,
        "title": order.title,
        "search_text": f"{order.id} {order.title} {skus}".lower(),
        "currency": order.currency,
        "total": order.total,
        "placed_at": order.placed_at,
        "updated_at": order.updated_at,
        "next_deadline_at": deadline,
        "version": order.version,
        "state": order.to_dict(timeline=False),
    }


# The statements every command runs, built once: building one per call costs more CPU than
# its round trip to the database.
_ADD = insert(orders)
_SAVE = update(orders).where(orders.c.id == bindparam("key_id"))
# Inline: nothing reads an entry's id back, so it is not asked for (no RETURNING).
_APPEND_ACTIVITY = insert(activities).inline()


@functools.cache
def _load_statement(role: str, staff: bool, for_update: bool) -> Select:
    # Platform staff see every order whatever the bound org; anyone else is scoped by it.
    org = access.platform_org() if staff else bindparam("org")
    query = select(orders.c.state).where(
        orders.c.id == bindparam("key_id"), visible_to({"role": role, "org": org})
    )
    return query.with_for_update() if for_update else query


def add(session: Session, order: Order, status_group: str, deadline):
    session.execute(_ADD, {"id": order.id, **_columns(order, status_group, deadline)})


def save(session: Session, order: Order, status_group: str, deadline):
    """Write the changed order, whose row this transaction locked as it loaded it
    (``load(for_update=True)``, ``load_for_system``, ``lock_if_due``; on SQLite it holds the
    database's write lock): nobody can have written it since, so there is nothing to check, and
    the write travels with the next statement."""
    write_later(session, _SAVE, {"key_id": order.id, **_columns(order, status_group, deadline)})


def load(session: Session, order_id: str, actor: dict, for_update=False) -> Order:
    state = session.execute(
        _load_statement(actor["role"], access.is_staff(actor), for_update),
        {"key_id": order_id, "org": actor["org"]},
    ).scalar_one_or_none()
    if state is None:
        raise NotFound(f"order {order_id} not found", {"order_id": order_id})
    return Order.from_dict(state)


def load_for_system(session: Session, order_id: str) -> Order | None:
    state = session.execute(
        select(orders.c.state).where(orders.c.id == order_id).with_for_update()
    ).scalar_one_or_none()
    return None if state is None else Order.from_dict(state)


def append_activity(session: Session, order_id: str, entries: list[dict]) -> None:
    rows = [
        {
            "order_id": order_id,
            "at": datetime.fromisoformat(e["at"]),
            "actor": e["actor"],
            "kind": e["kind"],
            "summary": e["summary"],
            "data": e.get("data") or {},
        }
        for e in entries
    ]
    if rows:
        # Nothing reads it back meanwhile: one entry travels with the command's next statement.
        write_later(session, _APPEND_ACTIVITY, parameter_sets(rows))


def timeline(session: Session, order_id: str) -> list[dict]:
    rows = session.execute(
        select(activities).where(activities.c.order_id == order_id).order_by(activities.c.id)
    ).all()
    return [
        {
            # SQLite hands back the stored UTC moment without its offset; PostgreSQL with it.
            "at": row.at.replace(tzinfo=row.at.tzinfo or UTC).isoformat(),
            "actor": row.actor,
            "kind": row.kind,
            "summary": row.summary,
            "data": row.data,
        }
        for row in rows
    ]


def due_order_ids(session: Session, now: datetime, limit: int) -> list[str]:
    return list(
        session.execute(
            select(orders.c.id)
            .where(orders.c.next_deadline_at <= now)
            .order_by(orders.c.next_deadline_at)
            .limit(limit)
        ).scalars()
    )


def lock_if_due(session: Session, order_id: str, now: datetime) -> Order | None:
    """The order, locked, if its deadline has passed and no other replica is firing it."""
    # Unlike an action (its claim) or an event (its inbox row), a timer's transaction writes
    # nothing before this read: on SQLite it takes the write lock itself.
    locks.serialise_on_sqlite(session)
    state = session.execute(
        select(orders.c.state)
        .where(orders.c.id == order_id, orders.c.next_deadline_at <= now)
        .with_for_update(skip_locked=True)
    ).scalar_one_or_none()
    return None if state is None else Order.from_dict(state)


def _sort(sort: str):
    descending = sort.startswith("-")
    name = sort.lstrip("-")
    if name not in SORTABLE:
        raise InvalidRequest(
            f"cannot sort by {name!r}",
            {"errors": {"sort": [f"one of {sorted(SORTABLE)}, '-' for descending"]}},
        )
    return name, SORTABLE[name], descending


def _filters(actor: dict, query: dict) -> list:
    """The query's filters (checked by ``orders.queries``), scoped to what ``actor`` may see."""
    filters = [visible_to(actor)]
    for name in ("status", "workflow", "kind"):
        if query.get(name):
            filters.append(orders.c[name] == query[name])
    if query.get("group"):
        filters.append(orders.c.status_group == query["group"])
    if query.get("delayed") is not None:
        filters.append(orders.c.delayed == query["delayed"])
    if query.get("q"):
        filters.append(orders.c.search_text.contains(query["q"].lower(), autoescape=True))
    if query.get("ids"):
        filters.append(orders.c.id.in_(query["ids"]))
    return filters


def page_statement(actor: dict, query: dict) -> tuple[Select, int]:
    """The statement ``list_page`` runs (it asks for one row more than the page) and the page's
    size: what the benchmark EXPLAINs too."""
    name, key, descending = _sort(query.get("sort") or "-placed_at")
    limit = paging.page_size(query)
    statement = paging.keyset_statement(
        orders.c.state,
        key,
        orders.c.id,
        filters=_filters(actor, query),
        descending=descending,
        limit=limit,
        cursor=query.get("cursor"),
        parse_key=int if name == "total" else datetime.fromisoformat,
    )
    return statement, limit


def list_page(session: Session, actor: dict, query: dict) -> dict:
    """One page of the orders the actor may see, in keyset order; never an OFFSET scan."""
    statement, limit = page_statement(actor, query)
    return paging.keyset_page(session, statement, limit)


def count_by_status(session: Session, actor: dict, query: dict | None = None) -> dict:
    """Order counts per status and per group, overall and per workflow (a board shows one)."""
    rows = session.execute(
        select(orders.c.workflow, orders.c.status, orders.c.status_group, func.count())
        .where(*_filters(actor, query or {}))
        .group_by(orders.c.workflow, orders.c.status, orders.c.status_group)
    ).all()
    counts = _counts()
    by_workflow: dict[str, dict] = {}
    for workflow, status, group, n in rows:
        for tally in (counts, by_workflow.setdefault(workflow, _counts())):
            tally["all"] += n
            tally["by_status"][status] = tally["by_status"].get(status, 0) + n
            tally["by_group"][group] = tally["by_group"].get(group, 0) + n
    return {**counts, "by_workflow": by_workflow}


def _counts() -> dict:
    return {"all": 0, "by_status": {}, "by_group": {}}
