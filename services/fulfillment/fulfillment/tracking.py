"""Carrier scans and what they do to a shipment. Pure rules.

A shipment's status derives from its scans by the carrier's event time, not by arrival: an
older scan that arrives late lands in the history and changes no status. A terminal scan
(delivered, delivery failed, returned to sender) ends the journey for good; whatever comes after
is history only. Every other scan that reaches a status or a kind of place the parcel had not
reached before is news the orders workflow may act on (the first sorting-centre scan ships a
retail order), so it is published even when it arrives late; one more in-transit hop is history.
"""

import hashlib
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from chassis.clock import as_utc
from contracts.scans import TERMINAL
from fulfillment.domain import DRAFT, HANDED_OVER, parcel_payload

TERMINAL_EVENTS = {
    "delivered": "parcel.delivered",
    "delivery_failed": "parcel.delivery_failed",
    "returned_to_sender": "parcel.delivery_failed",
}


def dedupe_key(carrier: str, scan: dict) -> str:
    """The carrier's event id identifies a scan; a format without one is recognised by what
    it says: tracking number, status and time."""
    if scan["event_id"]:
        identity = ("id", carrier, scan["event_id"])
    else:
        moment = scan["occurred_at"].isoformat()
        identity = ("what", carrier, scan["tracking_number"], scan["status"], moment)
    return hashlib.sha256("\x00".join(identity).encode()).hexdigest()


def scan_row(carrier: str, scan: dict, now: datetime) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "dedupe_key": dedupe_key(carrier, scan),
        "carrier": carrier,
        "carrier_event_id": scan["event_id"],
        "tracking_number": scan["tracking_number"],
        "shipment_id": None,
        "status": scan["status"],
        "occurred_at": scan["occurred_at"],
        "location": scan["location"],
        "location_kind": scan["location_kind"],
        "message": scan["message"],
        "received_at": now,
    }


def may_carry(shipment: dict, carrier: str, occurred_at: datetime, window: timedelta) -> bool:
    """Whether a scan of ``carrier`` at ``occurred_at`` can be about ``shipment`` (same tracking
    number assumed). Carriers recycle tracking numbers: a scan from more than ``window`` before
    the shipment existed is about an older parcel, and one from more than ``window`` after the
    shipment's journey ended (a terminal status) about a newer one, which stays parked until
    its own shipment appears. A journey still under way has no such bound: sea freight or a
    customs hold may leave weeks between scans."""
    if shipment["carrier"] and carrier and shipment["carrier"] != carrier:
        return False
    occurred_at = as_utc(occurred_at)
    if occurred_at < as_utc(shipment["created_at"]) - window:
        return False
    ended_at = shipment.get("status_at") if shipment.get("status") in TERMINAL else None
    return ended_at is None or occurred_at <= as_utc(ended_at) + window


def matcher(shipments: Iterable[dict], window: timedelta) -> Callable[[dict], dict | None]:
    """``scan -> the newest of shipments with its tracking number that may carry it`` (or
    None). Indexed by tracking number once: a batch matches hundreds of scans against hundreds
    of shipments."""
    by_number: dict[str, list[dict]] = {}
    for shipment in shipments:
        by_number.setdefault(shipment["tracking_number"], []).append(shipment)

    def shipment_for(scan: dict) -> dict | None:
        matching = [
            shipment
            for shipment in by_number.get(scan["tracking_number"], ())
            if may_carry(shipment, scan["carrier"], scan["occurred_at"], window)
        ]
        return max(matching, key=lambda shipment: shipment["created_at"], default=None)

    return shipment_for


def apply(shipment: dict, scan: dict, hand_over) -> tuple[dict, list[tuple[str, dict]]]:
    """``(changes to the shipment, events to publish)`` for a new ``scan`` of it. The scan is
    news when the parcel reaches a (status, location kind) it had not reached before: the
    shipment keeps those it reached in ``milestones``.

    ``hand_over()`` gives the changes of handing the shipment over, for a shipment whose first
    news is the carrier's scan (the carrier has it, whatever the seller clicked)."""
    state = dict(shipment)
    events: list[tuple[str, dict]] = []
    milestone = [scan["status"], scan["location_kind"]]
    news = milestone not in state["milestones"]
    if news:
        state["milestones"] = [*state["milestones"], milestone]
    if state["handed_over_at"] is None:
        state.update(hand_over(state))
        events.append(("shipment.created", parcel_payload(state)))
    moment = scan["occurred_at"]
    first_scan = state["first_scan_at"]
    state["first_scan_at"] = moment if first_scan is None else min(first_scan, moment)
    state["unscanned_due_at"] = None
    if state["status"] not in TERMINAL:
        if scan["status"] in TERMINAL:
            state.update(status=scan["status"], status_at=moment)
            events.append((TERMINAL_EVENTS[scan["status"]], _terminal_payload(state, scan)))
        else:
            if state["status"] in (DRAFT, HANDED_OVER) or moment >= state["status_at"]:
                state.update(status=scan["status"], status_at=moment)
            if news:
                events.append(("parcel.scanned", _scanned_payload(state, scan)))
    changes = {key: value for key, value in state.items() if shipment.get(key) != value}
    return changes, events


def _scanned_payload(shipment: dict, scan: dict) -> dict:
    return {
        **parcel_payload(shipment),
        "location": scan["location"],
        "location_kind": scan["location_kind"],
        "scan_id": scan["id"],
        "status": scan["status"],
        "occurred_at": scan["occurred_at"].isoformat(),
    }


def _terminal_payload(shipment: dict, scan: dict) -> dict:
    payload = {**parcel_payload(shipment), "occurred_at": scan["occurred_at"].isoformat()}
    if scan["status"] != "delivered":
        payload["reason"] = scan["message"] or scan["status"].replace("_", " ")
    return payload
