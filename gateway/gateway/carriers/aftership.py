"""AfterShip's tracking webhook, in our words.

Each update carries the tracking's whole checkpoint list; every checkpoint becomes a scan, and
the scans it sent before are recognised again (by tracking number, status and time), so the
history fills in once whatever order the updates arrive in.
"""

# AfterShip's delivery statuses ("tags"), as our scan statuses. "Pending" (no information from
# the carrier yet) and "Expired" (none for 30 days) say the carrier has done nothing: no scan.
TAGS = {
    "InfoReceived": "info_received",
    "InTransit": "in_transit",
    "OutForDelivery": "out_for_delivery",
    "AttemptFail": "attempt_failed",
    "AvailableForPickup": "available_for_pickup",
    "Delivered": "delivered",
    "Exception": "exception",
}
# The sub-statuses ("subtags", ``<Tag>_<nnn>``) that mean more than their tag. Only the last step
# of a return ends the journey: "Returning to sender" (Exception_010) is still travelling.
SUBTAG_STATUSES = {
    "Exception_011": "returned_to_sender",  # Returned to sender: received back by the sender
    "Exception_013": "delivery_failed",  # Shipment lost: delivery failed as it got lost
}
SUBTAG_LOCATIONS = {
    "InTransit_003": "sorting_centre",  # Arrival scan: arrived at a hub or sorting center
    "InTransit_004": "destination_country",  # Arrived at the destination country
    "InTransit_005": "customs",  # Customs clearance completed
    "InTransit_006": "customs",  # Customs clearance started: handed over to customs
    "AvailableForPickup_001": "pickup_point",  # Arrived at a pickup point
}


def status_of(tag: str | None, subtag: str | None) -> tuple[str | None, str]:
    """``(our status or None for no scan, location kind)`` of one checkpoint's tag and subtag;
    a checkpoint without a tag is read by its subtag's."""
    subtag = subtag or ""
    tag = tag or subtag.partition("_")[0]
    status = SUBTAG_STATUSES.get(subtag, TAGS.get(tag))
    return status, SUBTAG_LOCATIONS.get(subtag, "") if status else ""


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
        status, kind = status_of(point.get("tag"), point.get("subtag"))
        if status is None or not point.get("checkpoint_time"):
            continue
        found.append(
            {
                "tracking_number": str(tracking["tracking_number"]),
                "status": status,
                "occurred_at": point["checkpoint_time"],
                "location": _location(point),
                "location_kind": kind,
                "message": str(point.get("message") or "")[:500],
            }
        )
    return str(tracking.get("slug") or "aftership"), found


def _location(point: dict) -> str:
    if isinstance(point.get("location"), str) and point["location"]:
        return point["location"][:200]
    parts = (point.get("city"), point.get("state"), point.get("country_iso3"))
    return ", ".join(str(part) for part in parts if part)[:200]
