"""How each deciding event splits an order's money, and the commission on what is released."""

from payments import settlement
from payments.provider import FAILED, PROCESSING, SUCCEEDED, SandboxProvider
from payments.settlement import ALL, ORIGINAL, WALLET, CommissionRate

MONEY = {"amount": 10_000, "accepted_amount": 10_000}


def test_each_deciding_event_says_how_much_is_refunded():
    decide = settlement.refund_decided_by
    assert decide("order.accepted", MONEY) == 0
    assert decide("order.partly_accepted", {**MONEY, "accepted_amount": 6_000}) == 4_000
    assert decide("order.returned", {**MONEY, "returned_amount": 2_500}) == 2_500
    for event_type in ("order.cancelled", "order.rejected", "order.delivery_failed"):
        assert decide(event_type, MONEY) == ALL
    assert decide("dispute.resolved", {"outcome": "refund"}) == ALL
    assert decide("dispute.resolved", {"outcome": "release"}) == 0
    assert decide("dispute.resolved", {"outcome": "split", "refund_amount": 300}) == 300
    assert decide("order.completed", MONEY) is None


def test_the_commission_is_basis_points_plus_a_fixed_part_never_more_than_released():
    rate = CommissionRate(bps=2_000, fixed=100)
    assert rate.on(15_000) == 3_100
    assert rate.on(50) == 50
    assert rate.on(0) == 0
    assert CommissionRate(bps=1_000, fixed=0).on(999) == 99  # rounded down, in the buyer's favour


def test_a_plan_splits_the_held_amount_and_captures_what_stays_on_the_platform():
    rate = CommissionRate(1_000, 0)
    split = settlement.plan(10_000, 4_000, rate, ORIGINAL)
    assert (split.release, split.commission, split.refund, split.capture) == (
        6_000,
        600,
        4_000,
        6_000,
    )
    to_wallet = settlement.plan(10_000, ALL, rate, WALLET)
    assert (to_wallet.release, to_wallet.refund, to_wallet.capture) == (0, 10_000, 10_000)
    assert settlement.plan(10_000, 99_999, rate, ORIGINAL).refund == 10_000


def test_terms_come_from_the_workflow_or_the_default():
    config = {
        "COMMISSION": {
            "default": {"bps": "1000"},
            "services": {"bps": 2000, "fixed": {"USD": 100}},
        },
        "REFUNDS_TO_WALLET": ["services"],
    }
    assert settlement.terms_for(config, "services", "USD") == settlement.Terms(
        CommissionRate(2000, 100), WALLET
    )
    assert settlement.terms_for(config, "retail", "NGN") == settlement.Terms(
        CommissionRate(1000, 0), ORIGINAL
    )


def test_the_sandbox_decides_by_test_token_and_fails_late_charges_later():
    now = [100.0]
    sandbox = SandboxProvider(settle_after_s=2, clock=lambda: now[0])
    assert sandbox.charge("tok_visa", 1, "EUR", key="k").status == SUCCEEDED
    declined = sandbox.charge("tok_declined", 1, "EUR", key="k")
    assert (declined.status, declined.reason) == (FAILED, "Your card was declined.")
    assert sandbox.charge("4242424242424242", 1, "EUR", key="k").status == FAILED
    late = sandbox.charge("tok_fails_later", 1, "EUR", key="k")
    assert (late.status, sandbox.status(late.reference).status) == (PROCESSING, PROCESSING)
    now[0] += 3
    assert sandbox.status(late.reference).status == FAILED
