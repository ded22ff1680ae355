"""Events published by the disputes service: disputes between an order's parties, and claims."""

from marshmallow import fields, validate

from contracts.contract import produced_by
from contracts.events.base import ISO_CURRENCY, NON_NEGATIVE, Payload

OUTCOMES = ("refund", "release", "split")
# What staff decided, in the words of the marketplaces: completing an order releases the funds,
# cancelling it refunds them (seed 002).
DECISIONS = ("release", "refund", "split", "complete", "cancel")
PARTIES = ("buyer", "supplier")
CLAIM_KINDS = ("unscanned_parcel", "wrong_item_returned")


class Person(Payload):
    user_id = fields.String(required=True)
    role = fields.String(required=True)
    org = fields.String(required=True)


class DisputePayload(Payload):
    order_id = fields.String(required=True)
    dispute_id = fields.String(required=True)


class DisputeOpened(DisputePayload):
    buyer_org = fields.String(required=True)
    supplier_org = fields.String(required=True)
    opened_by = fields.Nested(Person, required=True)
    reason = fields.String(required=True, metadata={"example": "not_as_described"})
    description = fields.String(load_default="")
    respond_by = fields.DateTime(
        required=True, metadata={"description": "when the other party's answer is due"}
    )


class DisputeWithdrawn(DisputePayload):
    withdrawn_by = fields.Nested(Person, required=True)


class DisputeEscalated(DisputePayload):
    silent_party = fields.String(
        required=True,
        validate=validate.OneOf(PARTIES),
        metadata={"description": "the party that did not answer in time"},
    )
    respond_by = fields.DateTime(required=True)


class DisputeResolved(DisputePayload):
    """``refund_amount`` goes back to the buyer, ``release_amount`` to the supplier."""

    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    refund_amount = fields.Integer(load_default=0, validate=NON_NEGATIVE)
    release_amount = fields.Integer(load_default=None, allow_none=True, validate=NON_NEGATIVE)
    currency = fields.String(load_default=None, allow_none=True, validate=ISO_CURRENCY)
    decision = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(DECISIONS))
    note = fields.String(load_default="")
    resolved_by = fields.Nested(Person, load_default=None, allow_none=True)


class ClaimPayload(Payload):
    order_id = fields.String(required=True)
    claim_id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(CLAIM_KINDS))
    supplier_org = fields.String(required=True)


class ClaimOpened(ClaimPayload):
    reference = fields.String(
        required=True, metadata={"description": "the tracking number, or the return's id"}
    )
    description = fields.String(load_default="")


class ClaimApproved(ClaimPayload):
    """The platform compensates the supplier: ``amount`` moves from the platform to them."""

    amount = fields.Integer(required=True, validate=NON_NEGATIVE)
    currency = fields.String(required=True, validate=ISO_CURRENCY)
    note = fields.String(load_default="")


class ClaimRejected(ClaimPayload):
    reason = fields.String(required=True)


_disputes = produced_by("disputes")


CONTRACTS = [
    _disputes(
        "dispute.opened",
        DisputeOpened,
        "A party opened a dispute on an order; its automatic timers pause.",
        ["orders", "chat"],
    ),
    _disputes(
        "dispute.withdrawn",
        DisputeWithdrawn,
        "Whoever opened a dispute withdrew it; the order's timers start again.",
        ["orders", "chat"],
    ),
    _disputes(
        "dispute.escalated",
        DisputeEscalated,
        "A party did not answer a dispute in time; staff take it up first.",
        ["orders", "chat"],
    ),
    _disputes(
        "dispute.resolved",
        DisputeResolved,
        "An admin resolved a dispute on an order.",
        ["orders", "payments", "chat"],
    ),
    _disputes(
        "claim.opened",
        ClaimOpened,
        "A seller claimed compensation from the platform.",
        ["chat"],
    ),
    _disputes(
        "claim.approved",
        ClaimApproved,
        "Staff approved a claim: the platform pays the seller amount.",
        ["chat", "payments"],
    ),
    _disputes(
        "claim.rejected", ClaimRejected, "Staff rejected a claim, with the reason.", ["chat"]
    ),
]
