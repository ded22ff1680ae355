"""Carrier deliveries on their way to fulfillment, published together (ADR 22).

Each delivery waits for the broker's confirm before its 202. The deliveries that arrive while
a publish is waiting for its confirm go out together with the next one, as one
``carrier.scans_received`` event per carrier (up to MAX_BATCH scans each): a busy door then
costs the broker and fulfillment one message per burst, not one per delivery, and a lone
delivery waits for nothing but its own confirm. A publish that is not confirmed fails every
delivery in it (503); the carriers send them again, and fulfillment recognises the scans that
did arrive by their dedupe keys. A delivery waits ``wait_s`` at most, whatever is before it.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import eventlet
from eventlet.event import Event

from chassis.envelope import InvalidEvent, new_envelope
from contracts.scans import MAX_BATCH
from gateway.events import CONFIRM_WAIT_S, ConfirmedPublisher
from gateway.problems import Problem
from gateway.rpc import ServiceUnavailable

log = logging.getLogger(__name__)

# What a delivery is told: None (confirmed), or how to build the problem its request raises.
Outcome = Callable[[], Problem] | None


@dataclass
class Delivery:
    carrier: str
    scans: list[dict]
    delivery_id: str
    correlation_id: str
    received_at: str
    answered: Event = field(default_factory=Event)


class Deliveries:
    def __init__(self, publisher: ConfirmedPublisher, wait_s: float = CONFIRM_WAIT_S):
        self._publisher = publisher
        self._wait_s = wait_s
        self._waiting: list[Delivery] = []
        self._publishing = False

    def send(self, carrier: str, scans: list[dict], delivery_id: str, correlation_id: str) -> None:
        """Return once the broker confirmed the delivery; raise the problem otherwise."""
        now = datetime.now(UTC).isoformat()
        delivery = Delivery(carrier, scans, delivery_id, correlation_id, now)
        deadline = time.monotonic() + self._wait_s
        self._waiting.append(delivery)
        if not self._publishing:
            self._publishing = True
            eventlet.spawn(self._publish_waiting)
        outcome = delivery.answered.wait(timeout=max(0.0, deadline - time.monotonic()))
        if not delivery.answered.ready():
            raise ServiceUnavailable("The message broker did not confirm the delivery in time")
        if outcome is not None:
            raise outcome()

    def _publish_waiting(self) -> None:
        try:
            while self._waiting:
                taken, self._waiting = self._waiting, []
                self._publish(taken)
        finally:
            self._publishing = False

    def _publish(self, taken: list[Delivery]) -> None:
        """Publish ``taken`` and answer every one of them, whatever happens meanwhile."""
        outcomes: dict[str, Outcome] = {}
        try:
            envelopes = []
            for carrier, theirs in _by_carrier(taken).items():
                try:
                    envelopes += _envelopes(carrier, theirs)
                except InvalidEvent as error:  # the door let through what the contract refuses
                    for delivery in theirs:
                        outcomes[delivery.delivery_id] = _refused(str(error))
            if envelopes:
                self._publisher.publish(envelopes)
            for delivery in taken:
                outcomes.setdefault(delivery.delivery_id, None)
        except ServiceUnavailable as error:
            detail = error.detail
            for delivery in taken:
                outcomes.setdefault(delivery.delivery_id, lambda: ServiceUnavailable(detail))
        except Exception:
            log.exception("publishing %d carrier deliveries failed", len(taken))
        finally:
            for delivery in taken:
                delivery.answered.send(outcomes.get(delivery.delivery_id, _not_published))


def _not_published() -> Problem:
    return ServiceUnavailable("The deliveries could not be published")


def _refused(detail: str) -> Callable[[], Problem]:
    return lambda: Problem(422, "Invalid request", detail)


def _by_carrier(deliveries: list[Delivery]) -> dict[str, list[Delivery]]:
    by_carrier: dict[str, list[Delivery]] = {}
    for delivery in deliveries:
        by_carrier.setdefault(delivery.carrier, []).append(delivery)
    return by_carrier


def _envelopes(carrier: str, deliveries: list[Delivery]) -> list[dict]:
    """One carrier's deliveries as events of MAX_BATCH scans at most."""
    parts = [(delivery, scan) for delivery in deliveries for scan in delivery.scans]
    envelopes = []
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
                # A lone delivery's own; the first one's when several travel together (each is
                # logged by the door with its delivery id).
                correlation_id=part[0][0].correlation_id,
                items_loaded="scans",  # by the door, delivery by delivery (CarrierScan)
            )
        )
    return envelopes
