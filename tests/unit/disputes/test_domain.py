"""The rules of disputes and claims, without broker or database."""

from datetime import UTC, datetime, timedelta

import pytest

from chassis.calendar import Calendar
from contracts.catalogue import contract
from contracts.errors import (
    Conflict,
    Forbidden,
    GuardFailed,
    IllegalTransition,
    InvalidRequest,
    NotFound,
)
from disputes import domain

BUYER = {"user_id": "alice", "role": "buyer", "org": "acme"}
SUPPLIER = {"user_id": "sam", "role": "supplier", "org": "forge"}
ADMIN = {"user_id": "ada", "role": "admin", "org": "platform"}
SUPPORT = {"user_id": "sue", "role": "support", "org": "platform"}
OUTSIDER = {"user_id": "eve", "role": "buyer", "org": "globex"}
ORDER = domain.OrderFacts("o-1", "acme", "forge", "EUR", 50000, "in_progress")
# Friday 10:00 UTC
NOW = datetime(2031, 3, 7, 10, 0, tzinfo=UTC)
CALENDAR = Calendar()
OPEN_REQUEST = {
    "reason": "cancellation_refused",
    "description": "The freelancer refused my cancellation; the work never started.",
    "evidence": [{"file_id": "f-1", "name": "chat.png", "content_type": "image/png"}],
}


def opened(by=BUYER, order=ORDER):
    dispute, event = domain.open_dispute(
        order, by, OPEN_REQUEST, "d-1", NOW, CALENDAR.add_business_days(NOW, 3)
    )
    return dispute, event


def valid(event):
    """The event fits its published contract."""
    event_type, data = event
    contract(event_type).schema(contract(event_type).version).load(data)
    return event_type


def test_a_party_opens_a_dispute_and_the_other_party_owes_an_answer_in_business_days():
    dispute, event = opened()

    assert valid(event) == "dispute.opened"
    assert dispute.status == "open" and dispute.awaiting == "supplier"
    assert dispute.respond_by == datetime(2031, 3, 12, 10, 0, tzinfo=UTC)  # Wednesday
    assert event[1]["opened_by"] == BUYER
    assert dispute.evidence[0]["file_id"] == "f-1"


def test_holidays_do_not_count_towards_the_answer():
    calendar = Calendar.from_config("2031-03-10,2031-03-11")
    assert calendar.add_business_days(NOW, 3) == datetime(2031, 3, 14, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("actor", [OUTSIDER, {**SUPPLIER, "org": "acme"}, ADMIN])
def test_only_the_orders_parties_open_a_dispute_and_others_learn_nothing(actor):
    with pytest.raises(NotFound):
        opened(by=actor)
    with pytest.raises(NotFound):
        domain.open_dispute(None, BUYER, OPEN_REQUEST, "d", NOW, NOW)


def test_a_reason_from_the_list_and_a_description_are_required():
    with pytest.raises(InvalidRequest) as refused:
        domain.open_dispute(ORDER, BUYER, {"reason": "vibes"}, "d", NOW, NOW)
    assert set(refused.value.details["errors"]) == {"reason", "description"}


def test_one_open_dispute_per_order_and_none_on_a_cancelled_order():
    current, _ = opened()
    with pytest.raises(Conflict):
        domain.open_dispute(ORDER, SUPPLIER, OPEN_REQUEST, "d-2", NOW, NOW, current=current)
    cancelled = domain.OrderFacts("o-1", "acme", "forge", "EUR", 50000, "cancelled")
    with pytest.raises(IllegalTransition):
        opened(order=cancelled)


def test_the_awaited_answer_stops_the_escalation():
    dispute, _ = opened()
    domain.add_statement(dispute, BUYER, {"text": "More detail"}, NOW)
    assert dispute.awaiting == "supplier"

    domain.add_statement(dispute, SUPPLIER, {"text": "I did start the work"}, NOW)

    assert dispute.awaiting is None
    assert domain.escalate(dispute, NOW + timedelta(days=30)) is None
    assert [s["side"] for s in dispute.statements] == ["buyer", "supplier"]


def test_silence_past_the_deadline_escalates_once():
    dispute, _ = opened()
    assert domain.escalate(dispute, dispute.respond_by - timedelta(seconds=1)) is None

    event = domain.escalate(dispute, dispute.respond_by)

    assert valid(event) == "dispute.escalated"
    assert event[1]["silent_party"] == "supplier"
    assert dispute.status == "escalated"
    assert domain.escalate(dispute, dispute.respond_by + timedelta(days=1)) is None


def test_staff_add_notes_and_outsiders_cannot_see_the_dispute():
    dispute, _ = opened()
    domain.add_statement(dispute, SUPPORT, {"text": "Looking into it"}, NOW)
    assert dispute.statements[-1]["side"] == "support"
    with pytest.raises(NotFound):
        domain.add_statement(dispute, OUTSIDER, {"text": "hi"}, NOW)


def test_a_description_or_statement_the_other_party_reads_carries_no_contact_details():
    with pytest.raises(InvalidRequest) as refused:
        domain.open_dispute(
            ORDER,
            BUYER,
            {**OPEN_REQUEST, "description": "Refused; call me on +1 415 555 0132"},
            "d-1",
            NOW,
            NOW,
        )
    assert refused.value.details["contact_details"][0]["field"] == "description"
    dispute, _ = opened()
    before = list(dispute.statements)
    with pytest.raises(InvalidRequest) as refused:
        domain.add_statement(dispute, SUPPLIER, {"text": "mail sam dot k at gmail dot com"}, NOW)
    assert refused.value.details["contact_details"][0]["field"] == "text"
    assert dispute.statements == before
    # Platform staff are exempt; a customer organisation's admin is a party like its members.
    domain.add_statement(dispute, SUPPORT, {"text": "Write to help@platform.io"}, NOW)
    customer_admin = {"user_id": "al", "role": "admin", "org": "acme"}
    with pytest.raises(InvalidRequest):
        domain.add_statement(dispute, customer_admin, {"text": "Write to al@acme.io"}, NOW)


def test_only_the_opener_withdraws_and_only_before_resolution():
    dispute, _ = opened()
    with pytest.raises(Forbidden):
        domain.withdraw(dispute, SUPPLIER, NOW)

    assert valid(domain.withdraw(dispute, BUYER, NOW)) == "dispute.withdrawn"

    assert dispute.status == "withdrawn"
    with pytest.raises(IllegalTransition):
        domain.withdraw(dispute, BUYER, NOW)
    with pytest.raises(IllegalTransition):
        domain.resolve(dispute, ADMIN, {"decision": "refund", "note": "n"}, NOW)


@pytest.mark.parametrize(
    "decision, outcome, refund",
    [
        ("release", "release", 0),
        ("complete", "release", 0),
        ("refund", "refund", 50000),
        ("cancel", "refund", 50000),
    ],
)
def test_resolutions_say_where_the_money_goes(decision, outcome, refund):
    dispute, _ = opened()

    event = domain.resolve(dispute, ADMIN, {"decision": decision, "note": "Reviewed"}, NOW)

    assert valid(event) == "dispute.resolved"
    data = event[1]
    assert (data["outcome"], data["refund_amount"], data["release_amount"]) == (
        outcome,
        refund,
        50000 - refund,
    )
    assert (data["decision"], data["currency"], dispute.status) == (decision, "EUR", "resolved")


def test_a_split_refunds_part_of_the_order():
    dispute, _ = opened()
    request = {"decision": "split", "refund_amount": 20000, "note": "Half the work was done"}

    _, data = domain.resolve(dispute, ADMIN, request, NOW)

    assert (data["outcome"], data["refund_amount"], data["release_amount"]) == (
        "split",
        20000,
        30000,
    )


@pytest.mark.parametrize(
    "request_",
    [
        {"decision": "split", "note": "n"},
        {"decision": "split", "refund_amount": 50000, "note": "n"},
        {"decision": "refund", "refund_amount": 10, "note": "n"},
        {"decision": "refund"},
    ],
)
def test_a_bad_resolution_is_refused_and_changes_nothing(request_):
    dispute, _ = opened()
    with pytest.raises(InvalidRequest):
        domain.resolve(dispute, ADMIN, request_, NOW)
    assert dispute.status == "open" and dispute.resolution is None


def test_support_cannot_resolve():
    dispute, _ = opened()
    with pytest.raises(Forbidden):
        domain.resolve(dispute, SUPPORT, {"decision": "refund", "note": "n"}, NOW)


PHOTO = [{"file_id": "p-1", "name": "wrong.jpg", "content_type": "image/jpeg"}]


def claim(kind, trigger, now=NOW, evidence=PHOTO, actor=SUPPLIER):
    request = {
        "kind": kind,
        "reference": "R-1",
        "description": "Not our item",
        "evidence": evidence,
    }
    return domain.open_claim(ORDER, trigger, actor, request, "c-1", now, CALENDAR)


def test_an_unscanned_parcel_claim_needs_fulfillments_word_first():
    with pytest.raises(GuardFailed) as refused:
        claim(domain.UNSCANNED, None)
    assert "not been reported unscanned" in str(refused.value)

    made, event = claim(domain.UNSCANNED, {"kind": domain.UNSCANNED, "at": NOW})

    assert valid(event) == "claim.opened" and made.status == "pending"


def test_a_wrong_item_claim_is_taken_within_five_workdays_of_pick_up_with_photos():
    picked_up = {"kind": domain.WRONG_ITEM, "at": NOW}  # Friday 10:00
    last_moment = datetime(2031, 3, 14, 9, 59, tzinfo=UTC)  # next Friday, 9:59

    made, _ = claim(domain.WRONG_ITEM, picked_up, now=last_moment)
    assert made.kind == domain.WRONG_ITEM

    with pytest.raises(GuardFailed) as late:
        claim(domain.WRONG_ITEM, picked_up, now=last_moment + timedelta(minutes=1))
    assert "within 5 workdays" in str(late.value) and late.value.details["closed_at"]

    with pytest.raises(InvalidRequest) as no_photo:
        claim(domain.WRONG_ITEM, picked_up, evidence=[])
    assert "photo" in str(no_photo.value)


def test_a_wrong_item_window_from_a_weekend_pick_up_counts_from_monday():
    """Five workdays are 120 hours of workdays (seed 003): none of Saturday counts."""
    picked_up = {"kind": domain.WRONG_ITEM, "at": datetime(2031, 3, 8, 10, 0, tzinfo=UTC)}
    closes = datetime(2031, 3, 15, 0, 0, tzinfo=UTC)  # Monday 00:00 + 5 x 24 hours

    made, _ = claim(domain.WRONG_ITEM, picked_up, now=closes - timedelta(minutes=1))
    assert made.kind == domain.WRONG_ITEM
    with pytest.raises(GuardFailed) as late:
        claim(domain.WRONG_ITEM, picked_up, now=closes)
    assert late.value.details["closed_at"] == closes.isoformat()


def test_only_the_seller_claims():
    with pytest.raises(Forbidden):
        claim(domain.UNSCANNED, {"kind": domain.UNSCANNED, "at": NOW}, actor=BUYER)


def test_staff_approve_with_an_amount_or_reject_with_a_reason():
    trigger = {"kind": domain.UNSCANNED, "at": NOW}
    approved, _ = claim(domain.UNSCANNED, trigger)
    event = domain.decide_claim(
        approved,
        ORDER,
        ADMIN,
        {"approve": True, "amount": 1200, "reason": "ok"},
        NOW,
        already_approved=0,
    )
    assert valid(event) == "claim.approved"
    assert (event[1]["amount"], event[1]["currency"]) == (1200, "EUR")

    rejected, _ = claim(domain.UNSCANNED, trigger)
    reason = "The carrier scanned the parcel on 3 March"
    event = domain.decide_claim(
        rejected, ORDER, ADMIN, {"approve": False, "reason": reason}, NOW, already_approved=0
    )
    assert valid(event) == "claim.rejected"
    assert rejected.decision["reason"] == reason and rejected.status == "rejected"

    with pytest.raises(IllegalTransition):
        domain.decide_claim(
            rejected,
            ORDER,
            ADMIN,
            {"approve": True, "amount": 1, "reason": "r"},
            NOW,
            already_approved=0,
        )
    with pytest.raises(Forbidden):
        domain.decide_claim(
            approved, ORDER, SUPPORT, {"approve": False, "reason": "r"}, NOW, already_approved=0
        )


def test_an_approved_claim_pays_at_most_the_orders_amount():
    pending, _ = claim(domain.UNSCANNED, {"kind": domain.UNSCANNED, "at": NOW})
    too_much = {"approve": True, "amount": ORDER.amount + 1, "reason": "lost"}
    with pytest.raises(InvalidRequest) as refused:
        domain.decide_claim(pending, ORDER, ADMIN, too_much, NOW, already_approved=0)
    assert str(ORDER.amount) in refused.value.details["errors"]["amount"][0]
    assert (pending.status, pending.decision, pending.decided_at) == ("pending", None, None)

    whole = {"approve": True, "amount": ORDER.amount, "reason": "lost"}
    event = domain.decide_claim(pending, ORDER, ADMIN, whole, NOW, already_approved=0)
    assert event[1]["amount"] == ORDER.amount


def test_the_orders_claims_together_pay_at_most_the_orders_amount():
    """Claims are one per parcel or return, so an order may have several: what the others
    already pay counts against the order's amount."""
    already = ORDER.amount // 3
    left = ORDER.amount - already
    pending, _ = claim(domain.UNSCANNED, {"kind": domain.UNSCANNED, "at": NOW})
    too_much = {"approve": True, "amount": left + 1, "reason": "lost"}
    with pytest.raises(InvalidRequest) as refused:
        domain.decide_claim(pending, ORDER, ADMIN, too_much, NOW, already_approved=already)
    assert str(left) in refused.value.details["errors"]["amount"][0]
    assert refused.value.details["already_approved"] == already
    assert (pending.status, pending.decision, pending.decided_at) == ("pending", None, None)

    # A rejection pays nothing, so it is never capped, even once the order is paid out in full.
    no = {"approve": False, "reason": "scanned after all"}
    event = domain.decide_claim(pending, ORDER, ADMIN, no, NOW, already_approved=ORDER.amount)
    assert event[0] == "claim.rejected"

    rest = {"approve": True, "amount": left, "reason": "lost"}
    other, _ = claim(domain.UNSCANNED, {"kind": domain.UNSCANNED, "at": NOW})
    event = domain.decide_claim(other, ORDER, ADMIN, rest, NOW, already_approved=already)
    assert event[1]["amount"] == left
