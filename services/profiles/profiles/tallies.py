"""What each order, verdict and answered message adds to an organisation's running totals: pure.

A profile is read from running totals, so a read costs the same for ten orders or a million
(docs/adr/0014-profiles-service.md). Each total is a count (and a sum, for ratings) with the
first and last moment it covers; each median is kept from its samples (see ``repository``).

An order *contributes* a set of tallies, derived from its facts alone. Facts only ever get
filled in (the first value of a moment is kept), so when an event fills one in, the order's new
contributions are a superset of its old ones, and the difference is what to add: the result is
the same whatever order the events arrive in, and a redelivered event (skipped by the inbox
anyway) would add nothing.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

SIDES = ("supplier", "buyer")
EVERY_WORKFLOW = "*"  # the key of the side-wide totals (completed orders, reviews, replies)
# A median's kinds: the wait from placing to approval, and from a message to its answer.
APPROVAL, REPLY = "approval", "reply"


@dataclass(frozen=True)
class Tally:
    """One count added to the total ``name`` of ``org`` as ``side`` in ``workflow``."""

    org: str
    side: str
    workflow: str
    name: str
    at: datetime
    amount: int = 0  # what it adds to the total's sum (a rating), besides one to its count


@dataclass(frozen=True)
class Sample:
    """One wait, in seconds, towards the median ``kind`` of ``org`` as ``side``."""

    org: str
    side: str
    workflow: str
    kind: str
    sample_id: str
    seconds: float
    at: datetime


def of_order(row: Mapping[str, Any]) -> tuple[set[Tally], set[Sample]]:
    """Everything an order with these facts counts towards, for both of its parties."""
    tallies: set[Tally] = set()
    samples: set[Sample] = set()
    for side in SIDES:
        org, workflow = row[f"{side}_org"], row["workflow"]

        def tally(name: str, at: datetime, workflow: str = workflow) -> None:
            tallies.add(Tally(org, side, workflow, name, at))

        placed = row["placed_at"]
        if placed is not None:
            tally("orders", placed)
            if row["cancelled_at"] is not None:
                tally("cancelled", placed)
                if _counts_against(row, side):
                    tally("counted_against", placed)
            if row["approved_at"] is not None:
                tally("approved", row["approved_at"])
                wait = (row["approved_at"] - placed).total_seconds()
                samples.add(
                    Sample(org, side, workflow, APPROVAL, row["order_id"], wait, row["approved_at"])
                )
        delivered = row["delivered_at"]
        if delivered is not None and row["committed_deliver_by"] is not None:
            tally("delivered", delivered)
            if delivered.date() <= row["committed_deliver_by"]:
                tally("on_time", delivered)
        if row["completed_at"] is not None:
            tally("completed", row["completed_at"], EVERY_WORKFLOW)
    return tallies, samples


def _counts_against(row: Mapping[str, Any], side: str) -> bool:
    # Seed 002: a supplier's own cancellation counts against it; the buyer's never does.
    if side == "supplier":
        return bool(row["counts_against_supplier"])
    return bool(row["cancelled_by"] == "buyer")


def of_verdict(parties: Mapping[str, str], verdict: str, at: datetime) -> set[Tally]:
    """A verdict at inspection counts for the supplier judged and the buyer who judged."""
    return {
        Tally(parties[f"{side}_org"], side, parties["workflow"], name, at)
        for side in SIDES
        for name in ("inspections", verdict)
    }


def of_review(review: Mapping[str, Any], reviewed_side: str) -> Tally:
    """A review received counts, with its rating, for the side of the organisation reviewed."""
    return Tally(
        review["reviewee_org"],
        reviewed_side,
        EVERY_WORKFLOW,
        "reviews",
        review["posted_at"],
        review["rating"],
    )


def replies(posts: Iterable[Mapping[str, Any]]) -> set[Sample]:
    """The answers in one order's buyer-supplier conversation, each a wait of its author's.

    In posting order: a party's message opens an exchange unless one is open; the other party's
    next message answers it, after the wait since the exchange opened, and closes it. ``posts``
    carry ``message_id``, ``side``, ``org`` and ``posted_at``.
    """
    answers: set[Sample] = set()
    waiting: tuple[str, datetime] | None = None  # the side that owes an answer, since when
    for post in sorted(posts, key=lambda p: (p["posted_at"], p["message_id"])):
        if waiting is None:
            other = "buyer" if post["side"] == "supplier" else "supplier"
            waiting = (other, post["posted_at"])
        elif waiting[0] == post["side"]:
            seconds = (post["posted_at"] - waiting[1]).total_seconds()
            answers.add(
                Sample(
                    post["org"],
                    post["side"],
                    EVERY_WORKFLOW,
                    REPLY,
                    post["message_id"],
                    seconds,
                    post["posted_at"],
                )
            )
            waiting = None
    return answers
