"""Disputes between an order's parties, and sellers' claims on the platform. Pure: no I/O, and
``now`` is always passed in.

What the service layer calls::

    open_dispute(order, actor, request, dispute_id, now, respond_by) -> (Dispute, event)
    add_statement(dispute, actor, request, now) -> None
    withdraw(dispute, actor, now) -> event
    resolve(dispute, actor, request, now) -> event
    escalate(dispute, now) -> event | None
    open_claim(order, trigger, actor, request, claim_id, now, calendar) -> (Claim, event)
    decide_claim(claim, order, actor, request, now, already_approved=...) -> event

``order`` is the service's projection of an order (``OrderFacts``), built from order events;
``event`` is ``(event type, payload)``. Rules:

- Only the order's parties open disputes and add statements; an order of another organisation
  is NotFound, so nobody learns that it exists. Staff (admin, support) add notes to any dispute.
- A dispute's description and its statements are read by the other party, so they may carry no
  contact details (``contracts.contact_details``, ADR 19); staff's notes are exempt. A claim is
  read by the seller and staff only, and is not screened.
- One dispute at a time per order; none on a cancelled order (the money is already back).
- The party that did not open the dispute answers by ``respond_by`` (business days, from the
  service's config); a dispute still waiting on it then escalates to staff.
- Whoever opened a dispute may withdraw it while it is open or escalated.
- Only an admin resolves: release to the supplier, refund the buyer, split by amount, or complete
  (= release) or cancel (= refund) the order. A split refunds part of the order's amount.
- Claims: a seller (supplier) of the order claims compensation from the platform, for a parcel
  left unscanned after being prompted (only once fulfillment said so: ``parcel.unscanned``) or
  for a wrong item returned (only after ``return.received`` flagged it, within
  ``WRONG_ITEM_WINDOW_BUSINESS_DAYS`` of pick-up, with photos). An admin approves it with an
  amount or rejects it with a reason the seller sees.
"""

from dataclasses import asdict, dataclass, field
from datetime import datetime

from marshmallow import EXCLUDE, Schema, ValidationError, validate, validates_schema
from marshmallow import fields as schema_fields

from chassis.access import is_staff
from chassis.calendar import Calendar
from contracts.contact_details import ContactFilter
from contracts.errors import (
    Conflict,
    Forbidden,
    GuardFailed,
    IllegalTransition,
    InvalidRequest,
    NotFound,
)
from contracts.events.disputes import DECISIONS

PARTIES = ("buyer", "supplier")
STAFF = ("admin", "support")
REASONS = (
    "not_as_described",
    "not_delivered",
    "quality",
    "late_delivery",
    "cancellation_refused",
    "unresponsive_party",
    "other",
)
OPEN, ESCALATED, RESOLVED, WITHDRAWN = "open", "escalated", "resolved", "withdrawn"
ACTIVE = (OPEN, ESCALATED)
OUTCOME_OF = {
    "release": "release",
    "complete": "release",
    "refund": "refund",
    "cancel": "refund",
    "split": "split",
}
UNSCANNED, WRONG_ITEM = "unscanned_parcel", "wrong_item_returned"
WRONG_ITEM_WINDOW_BUSINESS_DAYS = 5
DEFAULT_CONTACT_FILTER = ContactFilter()
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"

Event = tuple[str, dict]


@dataclass
class OrderFacts:
    """What the disputes service knows of an order, from the orders service's events."""

    order_id: str
    buyer_org: str
    supplier_org: str
    currency: str
    amount: int
    status: str


@dataclass
class Dispute:
    id: str
    order_id: str
    buyer_org: str
    supplier_org: str
    currency: str
    amount: int
    opened_by: dict
    reason: str
    description: str
    evidence: list[dict]
    status: str
    opened_at: datetime
    respond_by: datetime
    awaiting: str | None  # the party whose answer is due, until it answers
    statements: list[dict] = field(default_factory=list)
    escalated_at: datetime | None = None
    closed_at: datetime | None = None
    resolution: dict | None = None

    @property
    def opener_role(self) -> str:
        return self.opened_by["role"]

    def to_dict(self) -> dict:
        data = asdict(self)
        for name in ("opened_at", "respond_by", "escalated_at", "closed_at"):
            data[name] = _iso(data[name])
        return data


@dataclass
class Claim:
    id: str
    order_id: str
    kind: str
    supplier_org: str
    buyer_org: str
    currency: str
    reference: str  # the tracking number, or the return's id
    description: str
    evidence: list[dict]
    opened_by: dict
    opened_at: datetime
    status: str = PENDING
    decision: dict | None = None
    decided_at: datetime | None = None

    def to_dict(self) -> dict:
        data = asdict(self)
        for name in ("opened_at", "decided_at"):
            data[name] = _iso(data[name])
        return data


class _Evidence(Schema):
    class Meta:
        unknown = EXCLUDE

    file_id = schema_fields.String(required=True, validate=validate.Length(min=1, max=200))
    name = schema_fields.String(load_default="", validate=validate.Length(max=300))
    content_type = schema_fields.String(load_default="", validate=validate.Length(max=100))


_EVIDENCE = schema_fields.List(
    schema_fields.Nested(_Evidence), load_default=list, validate=validate.Length(max=20)
)


class _OpenRequest(Schema):
    class Meta:
        unknown = EXCLUDE

    reason = schema_fields.String(required=True, validate=validate.OneOf(REASONS))
    description = schema_fields.String(required=True, validate=validate.Length(min=1, max=5000))
    evidence = _EVIDENCE


class _StatementRequest(Schema):
    class Meta:
        unknown = EXCLUDE

    text = schema_fields.String(required=True, validate=validate.Length(min=1, max=5000))
    evidence = _EVIDENCE


class _ResolveRequest(Schema):
    class Meta:
        unknown = EXCLUDE

    decision = schema_fields.String(required=True, validate=validate.OneOf(DECISIONS))
    refund_amount = schema_fields.Integer(strict=True, validate=validate.Range(min=1))
    note = schema_fields.String(required=True, validate=validate.Length(min=1, max=5000))

    @validates_schema
    def amount_only_for_a_split(self, data, **kwargs):
        if data["decision"] == "split" and "refund_amount" not in data:
            raise ValidationError("a split says how much goes back to the buyer", "refund_amount")
        if data["decision"] != "split" and "refund_amount" in data:
            raise ValidationError("only a split takes an amount", "refund_amount")


class _ClaimRequest(Schema):
    class Meta:
        unknown = EXCLUDE

    kind = schema_fields.String(required=True, validate=validate.OneOf((UNSCANNED, WRONG_ITEM)))
    reference = schema_fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = schema_fields.String(required=True, validate=validate.Length(min=1, max=5000))
    evidence = _EVIDENCE


class _ClaimDecision(Schema):
    class Meta:
        unknown = EXCLUDE

    approve = schema_fields.Boolean(required=True)
    amount = schema_fields.Integer(strict=True, validate=validate.Range(min=1))
    reason = schema_fields.String(required=True, validate=validate.Length(min=1, max=5000))

    @validates_schema
    def amount_when_approved(self, data, **kwargs):
        if data["approve"] and "amount" not in data:
            raise ValidationError("an approval says how much the seller gets", "amount")


def _screen(contact_filter: ContactFilter | None, actor: dict, texts: dict[str, str]) -> None:
    if not is_staff(actor):
        (contact_filter or DEFAULT_CONTACT_FILTER).refuse(texts)


def _load(schema: Schema, request: dict | None, what: str) -> dict:
    try:
        return schema.load(request or {})
    except ValidationError as error:
        raise InvalidRequest(f"invalid {what}", {"errors": error.messages}) from None


def party_of(order, actor: dict) -> str | None:
    """The side ``actor`` is on for ``order`` (anything with buyer_org and supplier_org)."""
    role = actor["role"]
    if role in PARTIES and getattr(order, f"{role}_org") == actor["org"]:
        return role
    return None


def check_visible(item, actor: dict, what: str) -> None:
    """Staff see everything; a party sees its own orders' items; others learn nothing."""
    if actor["role"] not in STAFF and party_of(item, actor) is None:
        raise NotFound(f"{what} not found")


def open_dispute(
    order: OrderFacts | None,
    actor: dict,
    request: dict,
    dispute_id: str,
    now: datetime,
    respond_by: datetime,
    current: Dispute | None = None,
    contact_filter: ContactFilter | None = None,
) -> tuple[Dispute, Event]:
    """``current``: the order's dispute still open, if any."""
    _require_party(order, actor)
    data = _load(_OpenRequest(), request, "dispute")
    _screen(contact_filter, actor, {"description": data["description"]})
    if order.status == "cancelled":
        raise IllegalTransition(
            "a cancelled order cannot be disputed: its funds are already refunded",
            {"state": order.status},
        )
    if current is not None:
        raise Conflict(
            f"order {order.order_id} already has an open dispute", {"dispute_id": current.id}
        )
    opener = party_of(order, actor)
    dispute = Dispute(
        id=dispute_id,
        order_id=order.order_id,
        buyer_org=order.buyer_org,
        supplier_org=order.supplier_org,
        currency=order.currency,
        amount=order.amount,
        opened_by=_person(actor),
        reason=data["reason"],
        description=data["description"],
        evidence=data["evidence"],
        status=OPEN,
        opened_at=now,
        respond_by=respond_by,
        awaiting="supplier" if opener == "buyer" else "buyer",
    )
    return dispute, (
        "dispute.opened",
        {
            **_ids(dispute),
            "buyer_org": dispute.buyer_org,
            "supplier_org": dispute.supplier_org,
            "opened_by": dispute.opened_by,
            "reason": dispute.reason,
            "description": dispute.description,
            "respond_by": respond_by.isoformat(),
        },
    )


def add_statement(
    dispute: Dispute,
    actor: dict,
    request: dict,
    now: datetime,
    contact_filter: ContactFilter | None = None,
) -> None:
    check_visible(dispute, actor, f"dispute {dispute.id}")
    _require_active(dispute, "add to")
    data = _load(_StatementRequest(), request, "statement")
    _screen(contact_filter, actor, {"text": data["text"]})
    side = party_of(dispute, actor) or actor["role"]
    dispute.statements.append(
        {
            "by": _person(actor),
            "side": side,
            "text": data["text"],
            "evidence": data["evidence"],
            "at": now.isoformat(),
        }
    )
    if side == dispute.awaiting:
        dispute.awaiting = None


def withdraw(dispute: Dispute, actor: dict, now: datetime) -> Event:
    check_visible(dispute, actor, f"dispute {dispute.id}")
    opener = dispute.opened_by
    if (actor["role"], actor["org"]) != (opener["role"], opener["org"]):
        raise Forbidden("only the party that opened a dispute may withdraw it", {})
    _require_active(dispute, "withdraw")
    dispute.status, dispute.closed_at = WITHDRAWN, now
    return "dispute.withdrawn", {**_ids(dispute), "withdrawn_by": _person(actor)}


def resolve(dispute: Dispute, actor: dict, request: dict, now: datetime) -> Event:
    if actor["role"] != "admin":
        raise Forbidden("only an admin resolves a dispute: it moves money", {"role": actor["role"]})
    _require_active(dispute, "resolve")
    data = _load(_ResolveRequest(), request, "resolution")
    decision = data["decision"]
    outcome = OUTCOME_OF[decision]
    refund = {"refund": dispute.amount, "release": 0}.get(outcome, data.get("refund_amount", 0))
    if outcome == "split" and refund >= dispute.amount:
        raise InvalidRequest(
            "a split refunds part of the order",
            {"errors": {"refund_amount": [f"must be less than {dispute.amount}"]}},
        )
    dispute.resolution = {
        "decision": decision,
        "outcome": outcome,
        "refund_amount": refund,
        "release_amount": dispute.amount - refund,
        "currency": dispute.currency,
        "note": data["note"],
        "resolved_by": _person(actor),
    }
    dispute.status, dispute.closed_at, dispute.awaiting = RESOLVED, now, None
    return "dispute.resolved", {**_ids(dispute), **dispute.resolution}


def escalate(dispute: Dispute, now: datetime) -> Event | None:
    """Escalate the dispute if the party it waits on let ``respond_by`` pass."""
    if dispute.status != OPEN or dispute.awaiting is None or now < dispute.respond_by:
        return None
    dispute.status, dispute.escalated_at = ESCALATED, now
    return (
        "dispute.escalated",
        {
            **_ids(dispute),
            "silent_party": dispute.awaiting,
            "respond_by": dispute.respond_by.isoformat(),
        },
    )


def open_claim(
    order: OrderFacts | None,
    trigger: dict | None,
    actor: dict,
    request: dict,
    claim_id: str,
    now: datetime,
    calendar: Calendar,
) -> tuple[Claim, Event]:
    """``trigger``: what fulfillment told about ``request['reference']`` on this order —
    ``{"kind": ..., "at": datetime}`` from ``parcel.unscanned`` or a wrong-item
    ``return.received`` — or None when it told nothing."""
    _require_party(order, actor)
    if actor["role"] != "supplier":
        raise Forbidden("only the seller of an order claims compensation", {"role": actor["role"]})
    data = _load(_ClaimRequest(), request, "claim")
    kind = data["kind"]
    if trigger is None or trigger["kind"] != kind:
        raise GuardFailed(_no_trigger(kind, data["reference"]), {"kind": kind})
    if kind == WRONG_ITEM:
        if not any(item["content_type"].startswith("image/") for item in data["evidence"]):
            raise InvalidRequest(
                "a wrong-item claim needs photos taken at the warehouse",
                {"errors": {"evidence": ["attach at least one photo (image/*)"]}},
            )
        closes = calendar.add_business_days(trigger["at"], WRONG_ITEM_WINDOW_BUSINESS_DAYS)
        if now >= closes:
            raise GuardFailed(
                f"a wrong-item claim must be raised within {WRONG_ITEM_WINDOW_BUSINESS_DAYS} "
                f"workdays of picking the goods up; this window closed at {closes.isoformat()}",
                {"kind": kind, "closed_at": closes.isoformat()},
            )
    claim = Claim(
        id=claim_id,
        order_id=order.order_id,
        kind=kind,
        supplier_org=order.supplier_org,
        buyer_org=order.buyer_org,
        currency=order.currency,
        reference=data["reference"],
        description=data["description"],
        evidence=data["evidence"],
        opened_by=_person(actor),
        opened_at=now,
    )
    return claim, (
        "claim.opened",
        {**_claim_ids(claim), "reference": claim.reference, "description": claim.description},
    )


def decide_claim(
    claim: Claim,
    order: OrderFacts,
    actor: dict,
    request: dict,
    now: datetime,
    *,
    already_approved: int,
) -> Event:
    """Approve (paying the seller ``amount``) or reject a claim. ``already_approved`` is what
    the order's other approved claims pay: all of them together pay at most the order's amount."""
    if actor["role"] != "admin":
        raise Forbidden("only an admin decides a claim: it moves money", {"role": actor["role"]})
    if claim.status != PENDING:
        raise IllegalTransition(
            f"claim {claim.id} is already {claim.status}", {"state": claim.status}
        )
    data = _load(_ClaimDecision(), request, "decision")
    left = order.amount - already_approved
    if data["approve"] and data["amount"] > left:
        # Claims make good lost parcels or wrong items of this order: an order has several
        # parcels and returns, each with its own claim, but together they never pay more than
        # the order was worth, or approvals could pay out any sum.
        raise InvalidRequest(
            "the order's claims pay at most the order's amount together",
            {
                "errors": {"amount": [f"must be at most {left} {order.currency}"]},
                "order_amount": order.amount,
                "already_approved": already_approved,
            },
        )
    claim.decided_at = now
    claim.decision = {"by": _person(actor), "reason": data["reason"]}
    if data["approve"]:
        claim.status = APPROVED
        claim.decision["amount"] = data["amount"]
        return "claim.approved", {
            **_claim_ids(claim),
            "amount": data["amount"],
            "currency": claim.currency,
            "note": data["reason"],
        }
    claim.status = REJECTED
    return "claim.rejected", {**_claim_ids(claim), "reason": data["reason"]}


def _no_trigger(kind: str, reference: str) -> str:
    if kind == UNSCANNED:
        return (
            f"parcel {reference} has not been reported unscanned after prompting; a claim for an "
            "unscanned parcel can be raised only once it is"
        )
    return f"return {reference} was not received at the warehouse as a wrong item"


def _require_party(order: OrderFacts | None, actor: dict) -> None:
    """Only the order's parties act on it; to anyone else it does not exist."""
    if order is None or party_of(order, actor) is None:
        raise NotFound("order not found", {"hint": "only the order's buyer and supplier may"})


def _require_active(dispute: Dispute, verb: str) -> None:
    if dispute.status not in ACTIVE:
        raise IllegalTransition(
            f"cannot {verb} a dispute that is {dispute.status}", {"state": dispute.status}
        )


def _person(actor: dict) -> dict:
    return {"user_id": actor["user_id"], "role": actor["role"], "org": actor["org"]}


def _ids(dispute: Dispute) -> dict:
    return {"order_id": dispute.order_id, "dispute_id": dispute.id}


def _claim_ids(claim: Claim) -> dict:
    return {
        "order_id": claim.order_id,
        "claim_id": claim.id,
        "kind": claim.kind,
        "supplier_org": claim.supplier_org,
    }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
