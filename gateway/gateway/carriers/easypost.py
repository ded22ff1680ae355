"""EasyPost's ``tracker.created`` / ``tracker.updated`` events, in our words.

Each event carries the tracker's whole detail list; every detail becomes a scan, recognised
again by tracking number, status and time when a later event repeats it.
"""

STATUSES = {
    "pre_transit": "info_received",
    "in_transit": "in_transit",
    "out_for_delivery": "out_for_delivery",
    "available_for_pickup": "available_for_pickup",
    "delivered": "delivered",
    "return_to_sender": "returned_to_sender",
    "failure": "delivery_failed",
    "cancelled": "exception",
    "error": "exception",
}  # "unknown": nothing to tell
# The details (``status_detail``) that say where the parcel is: at a carrier's facility is a
# sorting centre's scan, the one that makes a retail order Shipped (seed 003).
LOCATION_KINDS = {
    "received_at_origin_facility": "sorting_centre",
    "departed_origin_facility": "sorting_centre",
    "arrived_at_facility": "sorting_centre",
    "departed_facility": "sorting_centre",
    "received_at_destination_facility": "sorting_centre",
    "arrived_at_pickup_location": "pickup_point",
}
TRACKER_EVENTS = ("tracker.created", "tracker.updated")


def scans(payload: dict) -> tuple[str, list[dict]]:
    """``(carrier slug, scans)``; an event that is not about a tracker has none."""
    if payload.get("object") != "Event" or "description" not in payload:
        raise ValueError("an EasyPost Event object is expected")
    tracker = payload.get("result") or {}
    if payload["description"] not in TRACKER_EVENTS or not tracker.get("tracking_code"):
        return "easypost", []
    found = []
    for detail in tracker.get("tracking_details") or []:
        status = STATUSES.get(detail.get("status"))
        if status is None or not detail.get("datetime"):
            continue
        found.append(
            {
                "tracking_number": str(tracker["tracking_code"]),
                "status": status,
                "occurred_at": detail["datetime"],
                "location": _location(detail.get("tracking_location") or {}),
                "location_kind": _location_kind(status, detail.get("status_detail")),
                "message": str(detail.get("message") or "")[:500],
            }
        )
    return str(tracker.get("carrier") or "easypost"), found


def _location_kind(status: str, status_detail: str | None) -> str:
    # Only a parcel on its way is at a sorting centre: an exception or a failure at a facility
    # is news of its own, not the scan that ships a retail order.
    kind = LOCATION_KINDS.get(status_detail or "", "")
    return kind if status in ("in_transit", "available_for_pickup") else ""


def _location(place: dict) -> str:
    parts = (place.get("city"), place.get("state"), place.get("country"))
    return ", ".join(str(part) for part in parts if part)[:200]
