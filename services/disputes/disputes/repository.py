"""Loading, saving and querying disputes, claims and the order projection. The only module that
knows the tables."""

from datetime import datetime

from sqlalchemy import bindparam, false, insert, select, tuple_, update
from sqlalchemy.orm import Session

from chassis import access, paging
from chassis.pg_transactions import write_later
from contracts.errors import InvalidRequest, NotFound
from disputes.domain import ACTIVE, APPROVED, Claim, Dispute, OrderFacts
from disputes.models import claim_triggers, claims, disputes, order_facts

QUEUE_SORTS = ("opened_at", "-opened_at", "amount", "-amount")


# --- the projection of orders -------------------------------------------------------------


def order(session: Session, order_id: str, for_update=False) -> OrderFacts | None:
    query = select(order_facts).where(order_facts.c.order_id == order_id)
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).first()
    return None if row is None else OrderFacts(**row._mapping)


def remember_order(session: Session, facts: OrderFacts) -> None:
    values = vars(facts)
    if order(session, facts.order_id) is None:
        session.execute(insert(order_facts).values(**values))
    else:
        session.execute(
            update(order_facts).where(order_facts.c.order_id == facts.order_id).values(**values)
        )


# Run for every status change of every order, so built once: building a statement costs more
# CPU than running it from SQLAlchemy's cache.
_SET_ORDER_STATUS = (
    update(order_facts)
    .where(order_facts.c.order_id == bindparam("key_order_id"))
    .values(status=bindparam("new_status"))
)


def update_order_status(session: Session, order_id: str, status: str) -> None:
    """Sent with the transaction's next statement (its inbox row and COMMIT, when a status
    change is all the event brings): one round trip for the whole event."""
    write_later(session, _SET_ORDER_STATUS, {"key_order_id": order_id, "new_status": status})


# --- disputes -----------------------------------------------------------------------------


def _dispute_columns(dispute: Dispute) -> dict:
    return {
        "order_id": dispute.order_id,
        "buyer_org": dispute.buyer_org,
        "supplier_org": dispute.supplier_org,
        "status": dispute.status,
        "reason": dispute.reason,
        "currency": dispute.currency,
        "amount": dispute.amount,
        "opened_at": dispute.opened_at,
        "respond_by": dispute.respond_by,
        "awaiting": dispute.awaiting,
        "state": dispute.to_dict(),
    }


def add_dispute(session: Session, dispute: Dispute) -> None:
    session.execute(insert(disputes).values(id=dispute.id, **_dispute_columns(dispute)))


def save_dispute(session: Session, dispute: Dispute) -> None:
    session.execute(
        update(disputes).where(disputes.c.id == dispute.id).values(**_dispute_columns(dispute))
    )


def dispute(session: Session, dispute_id: str, actor: dict, for_update=False) -> Dispute:
    query = select(disputes.c.state).where(
        disputes.c.id == dispute_id,
        access.visible_to(actor, disputes.c.buyer_org, disputes.c.supplier_org),
    )
    if for_update:
        query = query.with_for_update()
    state = session.execute(query).scalar_one_or_none()
    if state is None:
        raise NotFound(f"dispute {dispute_id} not found", {"dispute_id": dispute_id})
    return _dispute(state)


def active_dispute(session: Session, order_id: str) -> Dispute | None:
    state = session.execute(
        select(disputes.c.state).where(
            disputes.c.order_id == order_id, disputes.c.status.in_(ACTIVE)
        )
    ).scalar_one_or_none()
    return None if state is None else _dispute(state)


def order_disputes(session: Session, order_id: str, actor: dict) -> list[dict]:
    return list(
        session.execute(
            select(disputes.c.state)
            .where(
                disputes.c.order_id == order_id,
                access.visible_to(actor, disputes.c.buyer_org, disputes.c.supplier_org),
            )
            .order_by(disputes.c.opened_at)
        ).scalars()
    )


def overdue_dispute_ids(session: Session, now: datetime, limit: int) -> list[str]:
    return list(
        session.execute(
            select(disputes.c.id)
            .where(
                disputes.c.status == "open",
                disputes.c.awaiting.isnot(None),
                disputes.c.respond_by <= now,
            )
            .order_by(disputes.c.respond_by)
            .limit(limit)
        ).scalars()
    )


def lock_if_overdue(session: Session, dispute_id: str, now: datetime) -> Dispute | None:
    """The dispute, locked, if it is still overdue and no other replica is escalating it."""
    state = session.execute(
        select(disputes.c.state)
        .where(
            disputes.c.id == dispute_id,
            disputes.c.status == "open",
            disputes.c.awaiting.isnot(None),
            disputes.c.respond_by <= now,
        )
        .with_for_update(skip_locked=True)
    ).scalar_one_or_none()
    return None if state is None else _dispute(state)


def _dispute(state: dict) -> Dispute:
    values = dict(state)
    for name in ("opened_at", "respond_by", "escalated_at", "closed_at"):
        values[name] = _moment(values[name])
    return Dispute(**values)


# --- claims -------------------------------------------------------------------------------


def remember_trigger(session: Session, order_id: str, kind: str, reference: str, at, data) -> None:
    key = (order_id, kind, reference)
    exists = session.execute(
        select(claim_triggers.c.at).where(
            tuple_(claim_triggers.c.order_id, claim_triggers.c.kind, claim_triggers.c.reference)
            == key
        )
    ).first()
    if exists is None:
        session.execute(
            insert(claim_triggers).values(
                order_id=order_id, kind=kind, reference=reference, at=at, data=data
            )
        )


def trigger(session: Session, order_id: str, kind: str, reference: str) -> dict | None:
    row = session.execute(
        select(claim_triggers.c.kind, claim_triggers.c.at).where(
            claim_triggers.c.order_id == order_id,
            claim_triggers.c.kind == kind,
            claim_triggers.c.reference == reference,
        )
    ).first()
    return None if row is None else {"kind": row.kind, "at": _moment(row.at)}


def _claim_columns(claim: Claim, amount: int) -> dict:
    return {
        "order_id": claim.order_id,
        "kind": claim.kind,
        "reference": claim.reference,
        "buyer_org": claim.buyer_org,
        "supplier_org": claim.supplier_org,
        "status": claim.status,
        "currency": claim.currency,
        "amount": amount,
        "opened_at": claim.opened_at,
        "state": claim.to_dict(),
    }


def add_claim(session: Session, claim: Claim, order_amount: int) -> None:
    session.execute(insert(claims).values(id=claim.id, **_claim_columns(claim, order_amount)))


def save_claim(session: Session, claim: Claim) -> None:
    session.execute(
        update(claims)
        .where(claims.c.id == claim.id)
        .values(status=claim.status, state=claim.to_dict())
    )


def _claims_visible_to(actor: dict):
    # A claim is between the seller and the platform: the buyer does not see it.
    if actor["role"] == "buyer":
        return false()
    return access.visible_to(actor, claims.c.buyer_org, claims.c.supplier_org)


def claim(session: Session, claim_id: str, actor: dict, for_update=False) -> Claim:
    query = select(claims.c.state).where(claims.c.id == claim_id, _claims_visible_to(actor))
    if for_update:
        query = query.with_for_update()
    state = session.execute(query).scalar_one_or_none()
    if state is None:
        raise NotFound(f"claim {claim_id} not found", {"claim_id": claim_id})
    return _claim(state)


def order_claims(session: Session, order_id: str, actor: dict) -> list[dict]:
    """The order's claims the actor may see, oldest first (none for its buyer)."""
    return list(
        session.execute(
            select(claims.c.state)
            .where(claims.c.order_id == order_id, _claims_visible_to(actor))
            .order_by(claims.c.opened_at)
        ).scalars()
    )


def approved_claims_amount(session: Session, order_id: str) -> int:
    """What the order's approved claims pay together."""
    states = session.execute(
        select(claims.c.state).where(claims.c.order_id == order_id, claims.c.status == APPROVED)
    ).scalars()
    return sum(state["decision"]["amount"] for state in states)


def _claim(state: dict) -> Claim:
    values = dict(state)
    for name in ("opened_at", "decided_at"):
        values[name] = _moment(values[name])
    return Claim(**values)


# --- the staff queues ---------------------------------------------------------------------


def queue(session: Session, table, query: dict) -> dict:
    """One page of disputes or claims for staff: filtered by status (and kind, reason,
    currency, organisation), oldest first unless sorted by amount; keyset-paged."""
    sort = query.get("sort") or "opened_at"
    if sort not in QUEUE_SORTS:
        raise InvalidRequest(
            f"cannot sort by {sort!r}", {"errors": {"sort": [f"one of {list(QUEUE_SORTS)}"]}}
        )
    descending, name = sort.startswith("-"), sort.lstrip("-")
    filters = []
    for column in ("status", "kind", "reason", "currency", "order_id"):
        if query.get(column) and column in table.c:
            filters.append(table.c[column] == query[column])
    if query.get("org"):
        filters.append((table.c.buyer_org == query["org"]) | (table.c.supplier_org == query["org"]))
    limit = paging.page_size(query)
    statement = paging.keyset_statement(
        table.c.state,
        table.c[name],
        table.c.id,
        filters=filters,
        descending=descending,
        limit=limit,
        cursor=query.get("cursor"),
        parse_key=int if name == "amount" else _moment,
    )
    return paging.keyset_page(session, statement, limit)


def _moment(value) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)
