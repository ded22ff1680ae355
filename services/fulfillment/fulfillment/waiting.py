"""An event that came before the record it is about: kept whole, to be applied when it opens."""

from datetime import datetime

from chassis.envelope import Event, envelope_of


def row(event: Event, now: datetime) -> dict:
    return {
        "order_id": event.data["order_id"],
        "event_id": event.event_id,
        "event_type": event.event_type,
        "occurred_at": event.occurred_at,
        "envelope": envelope_of(event),
        "received_at": now,
    }
