"""How an order's escrow is settled: which event decides what, and how the money splits.

Pure rules, no I/O. An order's escrow is settled once: the first deciding event (acceptance,
partial acceptance, rejection, cancellation, failed delivery, return, a dispute's resolution)
fixes how much of the held amount is refunded; the rest is released to the supplier minus the
commission. A deciding event that arrives before the funds are held is kept and applied when
they are; one that arrives after the escrow was settled finds nothing left to move.
"""

from dataclasses import dataclass

ORIGINAL = "original"
WALLET = "wallet"

# Everything the order still holds goes back to the buyer.
ALL = -1


@dataclass(frozen=True)
class CommissionRate:
    bps: int
    fixed: int

    def on(self, released: int) -> int:
        """The platform's part of a release: never more than the release itself."""
        if released <= 0:
            return 0
        return min(released, released * self.bps // 10_000 + self.fixed)


@dataclass(frozen=True)
class Terms:
    """What a workflow's configuration says about its money."""

    commission: CommissionRate
    refund_to: str = ORIGINAL


@dataclass(frozen=True)
class Plan:
    held: int
    release: int
    commission: int
    refund: int
    refund_to: str

    @property
    def supplier_gets(self) -> int:
        return self.release - self.commission

    @property
    def capture(self) -> int:
        """How much of the pending hold is posted; the rest is voided back to its source."""
        return self.release + (self.refund if self.refund_to == WALLET else 0)


# The events ``refund_decided_by`` reads: the service consumes each of them.
MONEY_DECIDING_EVENTS = (
    "order.accepted",
    "order.partly_accepted",
    "order.rejected",
    "order.cancelled",
    "order.delivery_failed",
    "order.returned",
    "dispute.resolved",
)


def refund_decided_by(event_type: str, data: dict) -> int | None:
    """How much of the order's money ``event_type`` refunds (``ALL`` for everything), or None
    when the event decides nothing about the money."""
    if event_type == "order.accepted":
        return max(data["amount"] - data["accepted_amount"], 0)
    if event_type == "order.partly_accepted":
        return max(data["amount"] - data["accepted_amount"], 0)
    if event_type == "order.returned":
        return data["returned_amount"]
    if event_type in ("order.cancelled", "order.rejected", "order.delivery_failed"):
        return ALL
    if event_type == "dispute.resolved":
        return {"refund": ALL, "release": 0}.get(data["outcome"], data.get("refund_amount", 0))
    return None


def plan(held: int, refund: int, rate: CommissionRate, refund_to: str) -> Plan:
    """How ``held`` splits when ``refund`` of it goes back to the buyer."""
    refunded = held if refund == ALL else min(max(refund, 0), held)
    released = held - refunded
    return Plan(held, released, rate.on(released), refunded, refund_to)


def terms_for(config: dict, workflow: str, currency: str) -> Terms:
    """A workflow's terms from the service configuration::

    COMMISSION: {default: {bps: 1000, fixed: {}}, services: {bps: 2000, fixed: {EUR: 100}}}
    REFUNDS_TO_WALLET: [services]
    """
    table = config.get("COMMISSION") or {}
    chosen = table.get(workflow) or table.get("default") or {}
    fixed = (chosen.get("fixed") or {}).get(currency, 0)
    rate = CommissionRate(int(chosen.get("bps", 0)), int(fixed))
    to_wallet = workflow in (config.get("REFUNDS_TO_WALLET") or ())
    return Terms(rate, WALLET if to_wallet else ORIGINAL)
