"""AfterShip's tracking webhook, in our words.

Each update carries the tracking's whole checkpoint list; every checkpoint becomes a scan, and
the scans it sent before are recognised again (by tracking number, status and time), so the
history fills in once whatever order the updates arrive in.
"""

TAGS = {
    "InfoReceived": "info_received",
    "InTransit": "in_transit",
    "OutForDelivery": "out_for_delivery",
    "AttemptFail": "attempt_failed",
    "AvailableForPickup": "available_for_pickup",
    "Delivered": "delivered",
    "Exception": "exception",
    "Expired": "exception",
}  # "Pending": no news from the carrier yet, so no scan
SUBTAG_STATUSES = {"Exception_011": "returned_to_sender"}  # "Returned to sender"
SUBTAG_LOCATIONS = {
    "InTransit_002": "sorting_centre",  # arrived at a hub or sorting center
    "InTransit_003": "delivery_facility",
    "InTransit_004": "destination_country",
    "InTransit_005": "customs",
}


def scans(payload: dict) -> tuple[str, list[dict]]:
    """``(carrier slug, scans)`` of one webhook body; ValueError when it is not AfterShip's."""
    tracking = payload.get("msg")
    if not isinstance(tracking, dict) or not tracking.get("tracking_number"):
        raise ValueError("msg.tracking_number: an AfterShip tracking is expected")
    checkpoints = tracking.get("checkpoints") or []
    if not checkpoints and tracking.get("tag") and tracking.get("updated_at"):
        checkpoints = [{**tracking, "checkpoint_time": tracking["updated_at"]}]
    found = []
    for point in checkpoints:
        status = SUBTAG_STATUSES.get(point.get("subtag"), TAGS.get(point.get("tag")))
        if status is None or not point.get("checkpoint_time"):
            continue
        found.append(
            {
                "tracking_number": str(tracking["tracking_number"]),
                "status": status,
                "occurred_at": point["checkpoint_time"],
                "location": _location(point),
                "location_kind": SUBTAG_LOCATIONS.get(point.get("subtag"), ""),
                "message": str(point.get("message") or "")[:500],
            }
        )
    return str(tracking.get("slug") or "aftership"), found


def _location(point: dict) -> str:
    if isinstance(point.get("location"), str) and point["location"]:
        return point["location"][:200]
    parts = (point.get("city"), point.get("state"), point.get("country_iso3"))
    return ", ".join(str(part) for part in parts if part)[:200]
