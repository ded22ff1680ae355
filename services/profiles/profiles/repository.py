"""The projection's rows: applying a change, reading an organisation's rows, rebuilding."""

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from profiles.models import history, moderation, order_facts, reviews, verdicts
from profiles.projection import Change, change


def record(session: Session, event_id: str, event_type: str, at: datetime, data: dict) -> None:
    session.execute(
        insert(history).values(event_id=event_id, event_type=event_type, occurred_at=at, data=data)
    )


def apply(session: Session, event_id: str, at: datetime, done: Change) -> None:
    # The order's events arrive on separate queues, in any order and at once: whichever comes
    # first makes the row, the others only fill in their columns.
    dialect_insert = (
        postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert
    )
    session.execute(
        dialect_insert(order_facts)
        .values(order_id=done.order_id, title="", **done.parties)
        .on_conflict_do_nothing(index_elements=[order_facts.c.order_id])
    )
    if done.facts:
        session.execute(
            update(order_facts).where(order_facts.c.order_id == done.order_id).values(done.facts)
        )
    if done.verdict is not None:
        session.execute(
            insert(verdicts).values(
                event_id=event_id,
                order_id=done.order_id,
                verdict=done.verdict,
                at=at,
                **done.parties,
            )
        )
    if done.review is not None:
        session.execute(delete(reviews).where(reviews.c.review_id == done.review["review_id"]))
        session.execute(insert(reviews).values(done.review))


def rebuild(session: Session) -> int:
    """The projection again, from the history alone; staff's moderation is kept."""
    for table in (reviews, verdicts, order_facts):
        session.execute(delete(table))
    replayed = 0
    rows = session.execute(select(history).order_by(history.c.occurred_at, history.c.seq))
    for row in rows.mappings().all():
        apply(
            session,
            row["event_id"],
            row["occurred_at"],
            change(row["event_type"], row["data"], row["occurred_at"]),
        )
        replayed += 1
    return replayed


def rows_of(session: Session, org: str) -> dict[str, list[Any]]:
    """Everything an organisation's profile is computed from."""
    orders = (
        session.execute(
            select(order_facts).where(
                or_(order_facts.c.buyer_org == org, order_facts.c.supplier_org == org)
            )
        )
        .mappings()
        .all()
    )
    judged = (
        session.execute(
            select(verdicts).where(or_(verdicts.c.buyer_org == org, verdicts.c.supplier_org == org))
        )
        .mappings()
        .all()
    )
    return {
        "orders": list(orders),
        "verdicts": list(judged),
        "reviews": reviews_around(session, org),
    }


def reviews_around(session: Session, org: str) -> list[Any]:
    """Reviews an organisation wrote or received, with their order and staff's moderation."""
    query = (
        select(
            reviews,
            order_facts.c.title,
            order_facts.c.placed_at,
            order_facts.c.completed_at,
            moderation.c.hidden_reason,
            moderation.c.hidden_by,
            moderation.c.hidden_at,
            moderation.c.reports,
        )
        .outerjoin(order_facts, order_facts.c.order_id == reviews.c.order_id)
        .outerjoin(moderation, moderation.c.review_id == reviews.c.review_id)
        .where(or_(reviews.c.reviewee_org == org, reviews.c.reviewer_org == org))
        .order_by(reviews.c.posted_at.desc())
    )
    return list(session.execute(query).mappings().all())


def review(session: Session, review_id: str) -> Any:
    return (
        session.execute(select(reviews).where(reviews.c.review_id == review_id)).mappings().first()
    )


def moderate(session: Session, review_id: str, **values: Any) -> None:
    _ensure_moderation(session, review_id)
    session.execute(update(moderation).where(moderation.c.review_id == review_id).values(values))


def _ensure_moderation(session: Session, review_id: str) -> None:
    session.execute(
        _insert(session, moderation)
        .values(review_id=review_id, reports=[])
        .on_conflict_do_nothing(index_elements=[moderation.c.review_id])
    )


def _insert(session: Session, table: Any) -> Any:
    """An INSERT that can skip a row already there, in the session's dialect."""
    return (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert(table)


def reports_of(session: Session, review_id: str) -> list[dict[str, Any]]:
    """The review's reports, locked until the transaction ends: reports may arrive at once."""
    _ensure_moderation(session, review_id)
    found = session.execute(
        select(moderation.c.reports).where(moderation.c.review_id == review_id).with_for_update()
    ).scalar()
    return list(found or [])
