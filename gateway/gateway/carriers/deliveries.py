"""Carrier deliveries on their way to fulfillment, published together (ADR 22).

Each delivery waits for the broker's confirm before its 202. The deliveries that arrive while
a publish is waiting for its confirm go out together with the next one, as one
``carrier.scans_received`` event per carrier (up to MAX_BATCH scans each): a busy door then
costs the broker and fulfillment one message per burst, not one per delivery, and a lone
delivery waits for nothing but its own confirm. A publish that is not confirmed fails every
delivery in it (503); the carriers send them again, and fulfillment recognises the scans that
did arrive by their dedupe keys.
"""

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

import eventlet
from eventlet.event import Event

from chassis.envelope import new_envelope
from contracts.scans import MAX_BATCH
from gateway.events import ConfirmedPublisher
from gateway.rpc import ServiceUnavailable

log = logging.getLogger(__name__)


@dataclass
class Delivery:
    carrier: str
    scans: list[dict]
    delivery_id: str
    correlation_id: str
    received_at: str
    confirmed: Event = field(default_factory=Event)


class Deliveries:
    def __init__(self, publisher: ConfirmedPublisher):
        self._publisher = publisher
        self._waiting: list[Delivery] = []
        self._publishing = False

    def send(self, carrier: str, scans: list[dict], delivery_id: str, correlation_id: str) -> None:
        """Return once the broker confirmed the delivery; ``ServiceUnavailable`` otherwise."""
        now = datetime.now(UTC).isoformat()
        delivery = Delivery(carrier, scans, delivery_id, correlation_id, now)
        self._waiting.append(delivery)
        if not self._publishing:
            self._publishing = True
            eventlet.spawn(self._publish_waiting)
        problem = delivery.confirmed.wait()
        if problem is not None:
            raise problem

    def _publish_waiting(self) -> None:
        try:
            while self._waiting:
                taken, self._waiting = self._waiting, []
                problem = None
                try:
                    self._publisher.publish(_envelopes(taken))
                except ServiceUnavailable as error:
                    problem = error
                except Exception:
                    log.exception("publishing %d carrier deliveries failed", len(taken))
                    problem = ServiceUnavailable("The deliveries could not be published")
                for delivery in taken:
                    delivery.confirmed.send(problem)
        finally:
            self._publishing = False


def _envelopes(deliveries: list[Delivery]) -> list[dict]:
    """The deliveries' scans as events: per carrier, MAX_BATCH scans at most in each."""
    by_carrier: dict[str, list[Delivery]] = {}
    for delivery in deliveries:
        by_carrier.setdefault(delivery.carrier, []).append(delivery)
    envelopes = []
    for carrier, theirs in by_carrier.items():
        parts = [(delivery, scan) for delivery in theirs for scan in delivery.scans]
        for start in range(0, len(parts), MAX_BATCH):
            part = parts[start : start + MAX_BATCH]
            envelopes.append(
                new_envelope(
                    "carrier.scans_received",
                    {
                        "carrier": carrier,
                        "delivery_ids": list(dict.fromkeys(d.delivery_id for d, _ in part)),
                        "scans": [scan for _, scan in part],
                        "received_at": min(d.received_at for d, _ in part),
                    },
                    "gateway",
                    # A lone delivery's own; the first one's when several travel together
                    # (each is logged with its delivery id).
                    correlation_id=part[0][0].correlation_id,
                )
            )
    return envelopes
