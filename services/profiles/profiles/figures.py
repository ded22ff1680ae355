"""An organisation's profile, computed from the projection's rows: pure, no I/O.

Every figure says which period it covers: the first and last moment of the facts it counts.
A rate is a fraction of its counts (``None`` when there is nothing to count yet).
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from fractions import Fraction
from statistics import median
from typing import Any

from profiles.projection import REVIEWED_SIDE

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


def inspection(verdicts: list[Row]) -> dict[str, Any]:
    counts = {name: sum(v["verdict"] == name for v in verdicts) for name in VERDICT_NAMES}
    total = len(verdicts)
    return {
        "inspections": total,
        **counts,
        "acceptance_rate": rate(counts["accepted"], total),
        "rates": {name: rate(n, total) for name, n in counts.items()},
        "period": period(v["at"] for v in verdicts),
    }


def cancellation(orders: list[Row], side: str) -> dict[str, Any]:
    def against(order: Row) -> bool:
        # Seed 002: a supplier's own cancellation counts against it; the buyer's never does.
        if side == "supplier":
            return bool(order["counts_against_supplier"])
        return order["cancelled_by"] == "buyer"

    cancelled = [o for o in orders if o["cancelled_at"] is not None]
    counted = [o for o in cancelled if against(o)]
    return {
        "orders": len(orders),
        "cancelled": len(cancelled),
        "counted_against": len(counted),
        "rate": rate(len(counted), len(orders)),
        "period": period(o["placed_at"] or o["cancelled_at"] for o in orders),
    }


def on_time_delivery(orders: list[Row]) -> dict[str, Any]:
    judged = [o for o in orders if o["delivered_at"] and o["committed_deliver_by"]]
    on_time = [o for o in judged if _day(o["delivered_at"]) <= o["committed_deliver_by"]]
    return {
        "delivered": len(judged),
        "on_time": len(on_time),
        "rate": rate(len(on_time), len(judged)),
        "period": period(o["delivered_at"] for o in judged),
    }


def time_to_approve(orders: list[Row]) -> dict[str, Any]:
    approved = [o for o in orders if o["approved_at"] and o["placed_at"]]
    waits = [(o["approved_at"] - o["placed_at"]).total_seconds() for o in approved]
    return {
        "approved": len(approved),
        "median_seconds": median(waits) if waits else None,
        "period": period(o["approved_at"] for o in approved),
    }


def review_visible(review: Row, reviewed_sides: set[str], closes_at: datetime, now: datetime):
    """Sharetribe's rule: a review stays sealed until the other side has reviewed too, or the
    review window has closed; a review staff hid stays hidden."""
    if review["hidden_reason"] is not None:
        return False
    return len(reviewed_sides) == 2 or now >= closes_at


def side(
    org: str,
    side_name: str,
    orders: list[Row],
    verdicts: list[Row],
    reviews: list[Row],
) -> dict[str, Any]:
    own = [o for o in orders if o[f"{side_name}_org"] == org]
    judged = [v for v in verdicts if v[f"{side_name}_org"] == org]
    received = [r for r in reviews if REVIEWED_SIDE[r["reviewer_role"]] == side_name]
    completed = [o for o in own if o["completed_at"] is not None]
    by_workflow: dict[str, dict[str, list[Row]]] = defaultdict(lambda: {"o": [], "v": []})
    for order in own:
        by_workflow[order["workflow"]]["o"].append(order)
    for verdict in judged:
        by_workflow[verdict["workflow"]]["v"].append(verdict)
    ratings = [r["rating"] for r in received]
    return {
        "completed_orders": {
            "count": len(completed),
            "period": period(o["completed_at"] for o in completed),
        },
        "reviews": {
            "count": len(received),
            "average_rating": float(Fraction(sum(ratings), len(ratings))) if ratings else None,
            "period": period(r["posted_at"] for r in received),
            "items": [review_view(r) for r in received],
        },
        "workflows": {
            name: {
                "inspection": inspection(rows["v"]),
                "cancellation": cancellation(rows["o"], side_name),
                "on_time_delivery": on_time_delivery(rows["o"]),
                "time_to_approve": time_to_approve(rows["o"]),
            }
            for name, rows in sorted(by_workflow.items())
        },
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


def _day(moment: datetime) -> date:
    return moment.date()


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
