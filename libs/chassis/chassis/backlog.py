"""What a service holds that is not done yet, and since when: an operator's first question when
something is late (``backlog()`` over RPC, the admin gateway's ``/admin/v1/backlogs``).

Every service holds the events its outbox has not yet published; a consumer of events that may
come before its record of the order holds those in ``waiting_events`` (ADR 16); a service may
name more (fulfillment's scans parked until their shipment appears). Each is reported as its
count and its oldest item's time: a count that grows or an age that keeps rising is the alarm.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, ColumnElement, MetaData, Table, func, select
from sqlalchemy.orm import Session

from chassis.clock import as_utc


@dataclass(frozen=True)
class Held:
    """Rows of ``table`` (those matching ``where``) that wait, each since its ``since``."""

    name: str
    table: Table
    since: Column[Any]
    where: ColumnElement[bool] | None = None


def messaging_held(metadata: MetaData) -> tuple[Held, ...]:
    """What the chassis's own tables hold: events not yet published, and events waiting for
    their order's record where the service keeps them."""
    outbox = metadata.tables["outbox"]
    held = [
        Held("unpublished_events", outbox, outbox.c.created_at, outbox.c.published_at.is_(None))
    ]
    waiting = metadata.tables.get("waiting_events")
    if waiting is not None:
        held.append(Held("events_waiting_for_their_record", waiting, waiting.c.received_at))
    return tuple(held)


def report(session: Session, held: tuple[Held, ...], now: datetime) -> dict[str, dict[str, Any]]:
    """``{name: {count, oldest_at, oldest_age_s}}``; the oldest are None when nothing waits."""
    found = {}
    for item in held:
        query = select(func.count(), func.min(item.since)).select_from(item.table)
        if item.where is not None:
            query = query.where(item.where)
        count, oldest = session.execute(query).one()
        oldest = as_utc(oldest) if oldest is not None else None
        found[item.name] = {
            "count": count,
            "oldest_at": oldest.isoformat() if oldest else None,
            "oldest_age_s": round((now - oldest).total_seconds(), 3) if oldest else None,
        }
    return found
