"""An organisation's profile, read from its running totals: pure, no I/O.

Every figure says which period it covers: the first and last moment of the facts it counts.
A rate is a fraction of its counts (``None`` when there is nothing to count yet).
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from profiles.tallies import APPROVAL, EVERY_WORKFLOW, REPLY

SIDES = ("supplier", "buyer")
VERDICT_NAMES = ("accepted", "partly_accepted", "rejected", "rework")
Row = Mapping[str, Any]


def period(moments: Iterable[datetime | None]) -> dict[str, str] | None:
    known = [m for m in moments if m is not None]
    if not known:
        return None
    return {"from": min(known).isoformat(), "to": max(known).isoformat()}


def rate(part: int, whole: int) -> float | None:
    return float(Fraction(part, whole)) if whole else None


def _period(total: Row | None) -> dict[str, str] | None:
    return period((total["first_at"], total["last_at"])) if total else None


class Totals:
    """An organisation's running totals and medians (``repository.totals_of``), by key."""

    def __init__(self, tallies: Iterable[Row], medians: Iterable[Row]):
        self.tallies = {(t["side"], t["workflow"], t["name"]): t for t in tallies}
        self.medians = {(m["side"], m["workflow"], m["kind"]): m for m in medians}

    def count(self, side: str, workflow: str, name: str) -> int:
        total = self.tallies.get((side, workflow, name))
        return int(total["count"]) if total else 0

    def period(self, side: str, workflow: str, name: str) -> dict[str, str] | None:
        return _period(self.tallies.get((side, workflow, name)))

    def workflows(self, side: str) -> list[str]:
        return sorted({w for (s, w, _) in self.tallies if s == side and w != EVERY_WORKFLOW})

    def median(self, side: str, workflow: str, kind: str) -> dict[str, Any]:
        found = self.medians.get((side, workflow, kind))
        return {
            "count": int(found["count"]) if found else 0,
            "median_seconds": (found["low_seconds"] + found["high_seconds"]) / 2 if found else None,
            "period": _period(found),
        }


def inspection(totals: Totals, side: str, workflow: str) -> dict[str, Any]:
    counts = {name: totals.count(side, workflow, name) for name in VERDICT_NAMES}
    total = totals.count(side, workflow, "inspections")
    return {
        "inspections": total,
        **counts,
        "acceptance_rate": rate(counts["accepted"], total),
        "rates": {name: rate(n, total) for name, n in counts.items()},
        "period": totals.period(side, workflow, "inspections"),
    }


def cancellation(totals: Totals, side: str, workflow: str) -> dict[str, Any]:
    orders = totals.count(side, workflow, "orders")
    counted = totals.count(side, workflow, "counted_against")
    return {
        "orders": orders,
        "cancelled": totals.count(side, workflow, "cancelled"),
        "counted_against": counted,
        "rate": rate(counted, orders),
        "period": totals.period(side, workflow, "orders"),
    }


def on_time_delivery(totals: Totals, side: str, workflow: str) -> dict[str, Any]:
    delivered = totals.count(side, workflow, "delivered")
    on_time = totals.count(side, workflow, "on_time")
    return {
        "delivered": delivered,
        "on_time": on_time,
        "rate": rate(on_time, delivered),
        "period": totals.period(side, workflow, "delivered"),
    }


def time_to_approve(totals: Totals, side: str, workflow: str) -> dict[str, Any]:
    waits = totals.median(side, workflow, APPROVAL)
    return {
        "approved": waits["count"],
        "median_seconds": waits["median_seconds"],
        "period": waits["period"],
    }


def response_time(totals: Totals, side: str) -> dict[str, Any]:
    """How long the side takes to answer the other party in an order's conversation."""
    waits = totals.median(side, EVERY_WORKFLOW, REPLY)
    return {
        "answered": waits["count"],
        "median_seconds": waits["median_seconds"],
        "period": waits["period"],
    }


def review_visible(review: Row, reviewed_sides: set[str], closes_at: datetime, now: datetime):
    """Sharetribe's rule: a review stays sealed until the other side has reviewed too, or the
    review window has closed; a review staff hid stays hidden."""
    if review["hidden_reason"] is not None:
        return False
    return len(reviewed_sides) == 2 or now >= closes_at


def side(totals: Totals, side_name: str, reviews: dict[str, Any]) -> dict[str, Any]:
    """One side of an organisation's profile; ``reviews`` is what the reader may see of the
    reviews it received (``received_reviews``)."""
    return {
        "completed_orders": {
            "count": totals.count(side_name, EVERY_WORKFLOW, "completed"),
            "period": totals.period(side_name, EVERY_WORKFLOW, "completed"),
        },
        "reviews": reviews,
        "response_time": response_time(totals, side_name),
        "workflows": {
            name: {
                "inspection": inspection(totals, side_name, name),
                "cancellation": cancellation(totals, side_name, name),
                "on_time_delivery": on_time_delivery(totals, side_name, name),
                "time_to_approve": time_to_approve(totals, side_name, name),
            }
            for name in totals.workflows(side_name)
        },
    }


def received_reviews(
    totals: Totals, side_name: str, unseen: list[Row], latest: list[Row], first: Row | None
) -> dict[str, Any]:
    """The reviews a reader sees on a side: every one received (the running total) less those
    ``unseen`` by this reader (sealed or hidden: few, and recent or moderated), the ``latest``
    the reader may see, newest first, and the ``first`` (for the period)."""
    total = totals.tallies.get((side_name, EVERY_WORKFLOW, "reviews"))
    count = (int(total["count"]) if total else 0) - len(unseen)
    ratings = (int(total["total"]) if total else 0) - sum(r["rating"] for r in unseen)
    return {
        "count": count,
        "average_rating": float(Fraction(ratings, count)) if count else None,
        "period": period((first["posted_at"], latest[0]["posted_at"]))
        if latest and first
        else None,
        "items": [review_view(r) for r in latest],
    }


def review_view(review: Row) -> dict[str, Any]:
    return {
        "review_id": review["review_id"],
        "order_id": review["order_id"],
        "order_title": review["title"],
        "order_placed_at": _iso(review["placed_at"]),
        "reviewer_role": review["reviewer_role"],
        "reviewer_org": review["reviewer_org"],
        "rating": review["rating"],
        "comment": review["comment"],
        "posted_at": _iso(review["posted_at"]),
    }


def visible_reviews(reviews: list[Row], now: datetime, window: timedelta) -> list[Row]:
    """The reviews the public may read: ``reviews`` carry their order's ``completed_at``."""
    sides: dict[str, set[str]] = defaultdict(set)
    first: dict[str, datetime] = {}
    for review in reviews:
        sides[review["order_id"]].add(review["reviewer_role"])
        first[review["order_id"]] = min(first.get(review["order_id"], now), review["posted_at"])
    return [
        r
        for r in reviews
        if review_visible(
            r,
            sides[r["order_id"]],
            (r["completed_at"] or first[r["order_id"]]) + window,
            now,
        )
    ]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
