"""An order's money, moved by the orders service's events: held on placement, then released,
refunded or split by the first event that decides it.

Everything here runs inside one database transaction of the caller (the service's unit of work,
or a test's session). The order's ``order_payments`` row is locked first, so events about one
order apply one at a time whatever their order of arrival; every ledger movement is keyed by the
event that caused it, so an event applied twice moves nothing the second time.
"""

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from chassis.database import insert_ignoring_duplicates
from payments import ledger, settlement, terms
from payments.books import (
    CLEARING,
    COMMISSION,
    EARNINGS,
    ESCROW,
    PLATFORM,
    WALLET,
    Books,
)
from payments.models import order_payments
from payments.provider import FAILED, PROCESSING, SUCCEEDED, PaymentProvider

AWAITING = "awaiting"  # no placement seen yet, or the charge has not started
PROCESSING_CHARGE = "processing"
HELD = "held"
FAILED_CHARGE = "failed"
SETTLED = "settled"

WALLET_METHOD = "wallet"
CARD_METHOD = "card"
NO_METHOD = "No payment method was given with the order."
WALLET_TOO_LOW = "Your wallet balance is too low for this order."

Publish = Callable[[str, dict], object]

ORDER_FIELDS = ("buyer_org", "supplier_org", "workflow", "currency", "amount")


class Escrow:
    def __init__(
        self,
        session: Session,
        now: datetime,
        config: dict,
        provider: PaymentProvider,
        publish: Publish,
    ):
        self.session = session
        self.now = now
        self.config = config
        self.provider = provider
        self.publish = publish
        self.books = Books(session, now)

    # -- events ---------------------------------------------------------------------------------

    def placed(self, event_id: str, data: dict) -> None:
        order = self._lock_or_open(data)
        if order["status"] != AWAITING or order["placed_at"] is not None:
            return  # placed before: a redelivery
        payment = data.get("payment") or {}
        method = payment.get("method") or CARD_METHOD
        order = self._change(
            order,
            buyer_user=data.get("buyer_user"),
            placed_at=self.now,
            method=method,
            **{name: data[name] for name in ORDER_FIELDS},
        )
        if method == WALLET_METHOD:
            wallet = self.books.account(WALLET, order["buyer_org"], order["currency"])
            try:
                self._hold(order, wallet, ("order.placed", event_id))
            except ledger.InsufficientFunds:
                self._fail(order, WALLET_TOO_LOW)
            return
        token = payment.get("token") or self.config.get("SANDBOX_DEFAULT_TOKEN")
        if not token:
            self._fail(order, NO_METHOD)
            return
        outcome = self.provider.charge(
            token, order["amount"], order["currency"], key=f"charge-{order['order_id']}"
        )
        self._after_charge(order, outcome, event_id)

    def decided(self, event_id: str, event_type: str, data: dict) -> None:
        """An event that decides the order's money (see ``settlement.refund_decided_by``)."""
        refund = settlement.refund_decided_by(event_type, data)
        if refund is None:
            return
        order = self._lock_or_open(data)
        if order["decided_by"] is not None:
            return  # the first deciding event settled it; later ones find nothing to move
        order = self._change(
            order, refund_decided=refund, decided_by=event_type, decided_cause=event_id
        )
        if order["status"] == HELD:
            self._settle(order)

    def charge_settled(self, order_id: str) -> None:
        """Ask the provider about a charge that was still processing."""
        order = self._lock(order_id)
        if order is None or order["status"] != PROCESSING_CHARGE:
            return
        outcome = self.provider.status(order["provider_reference"])
        self._after_charge(order, outcome, f"charge-{order_id}")

    # -- steps ----------------------------------------------------------------------------------

    def _after_charge(self, order: dict, outcome, cause_id: str) -> None:
        if outcome.status == SUCCEEDED:
            order = self._change(order, provider_reference=outcome.reference)
            clearing = self.books.account(CLEARING, self.provider.name, order["currency"])
            self._hold(order, clearing, ("order.placed", cause_id))
        elif outcome.status == PROCESSING:
            self._change(order, status=PROCESSING_CHARGE, provider_reference=outcome.reference)
        else:
            assert outcome.status == FAILED
            self._fail(order, outcome.reason)

    def _hold(self, order: dict, source: str, cause: tuple[str, str]) -> None:
        terms = settlement.terms_for(self.config, order["workflow"], order["currency"])
        escrow = self.books.account(ESCROW, order["order_id"], order["currency"])
        hold_id = self.books.record(
            f"{cause[1]}:hold",
            "hold",
            ledger.move(source, escrow, order["currency"], order["amount"]),
            cause=cause,
            order_id=order["order_id"],
            pending=True,
        )
        order = self._change(
            order,
            status=HELD,
            hold_id=hold_id,
            commission_bps=terms.commission.bps,
            commission_fixed=terms.commission.fixed,
            refund_to=terms.refund_to,
        )
        self.publish(
            "payment.held",
            {**self._payment(order), "amount": order["amount"], "method": order["method"]},
        )
        if order["decided_by"] is not None:
            self._settle(order)

    def _settle(self, order: dict) -> None:
        rate = settlement.CommissionRate(order["commission_bps"], order["commission_fixed"])
        plan = settlement.plan(order["amount"], order["refund_decided"], rate, order["refund_to"])
        cause = (order["decided_by"], order["decided_cause"])
        currency, order_id = order["currency"], order["order_id"]
        escrow = self.books.account(ESCROW, order_id, currency)
        hold = self.books.entries_of(order["hold_id"])
        resolution = "post" if plan.capture else "void"
        self.books.record(
            f"{cause[1]}:{resolution}",
            resolution,
            ledger.part_posted(hold, plan.capture) if plan.capture else [],
            cause=cause,
            order_id=order_id,
            resolves=order["hold_id"],
            currency=currency,
        )
        if plan.release:
            earnings = self.books.account(EARNINGS, order["supplier_org"], currency)
            commission = self.books.account(COMMISSION, PLATFORM, currency)
            self.books.record(
                f"{cause[1]}:release",
                "release",
                [
                    ledger.Entry(escrow, currency, -plan.release),
                    ledger.Entry(earnings, currency, plan.supplier_gets),
                    ledger.Entry(commission, currency, plan.commission),
                ],
                cause=cause,
                order_id=order_id,
            )
            terms.schedule(self.session, self.now, self.config, order, plan.supplier_gets, cause)
        if plan.refund and plan.refund_to == settlement.WALLET:
            wallet = self.books.account(WALLET, order["buyer_org"], currency)
            self.books.record(
                f"{cause[1]}:refund",
                "refund",
                ledger.move(escrow, wallet, currency, plan.refund),
                cause=cause,
                order_id=order_id,
            )
        elif plan.refund and order["method"] == CARD_METHOD:
            self.provider.refund(
                order["provider_reference"], plan.refund, currency, key=f"{cause[1]}:refund"
            )
        self._change(order, status=SETTLED)
        if plan.release:
            self.publish(
                "payment.released",
                {
                    **self._payment(order),
                    "amount": plan.release,
                    "commission": plan.commission,
                    "net": plan.supplier_gets,
                    "supplier_org": order["supplier_org"],
                },
            )
        if plan.refund:
            self.publish(
                "payment.refunded",
                {
                    **self._payment(order),
                    "amount": plan.refund,
                    "to": plan.refund_to,
                    "buyer_org": order["buyer_org"],
                },
            )

    def _fail(self, order: dict, reason: str) -> None:
        order = self._change(order, status=FAILED_CHARGE, failure_reason=reason)
        self.publish(
            "payment.failed", {**self._payment(order), "amount": order["amount"], "reason": reason}
        )

    # -- the order's row ------------------------------------------------------------------------

    @staticmethod
    def _payment(order: dict) -> dict:
        return {
            "order_id": order["order_id"],
            "payment_id": order["hold_id"] or order["order_id"],
            "currency": order["currency"],
        }

    def _lock(self, order_id: str) -> dict | None:
        row = self.session.execute(
            select(order_payments).where(order_payments.c.order_id == order_id).with_for_update()
        ).first()
        return None if row is None else row._asdict()

    def _lock_or_open(self, data: dict) -> dict:
        """The order's row, locked; opened from what the event carries if this is the first."""
        order = self._lock(data["order_id"])
        if order is not None:
            return order
        values = {
            "order_id": data["order_id"],
            "buyer_org": data.get("buyer_org", ""),
            "supplier_org": data.get("supplier_org", ""),
            "workflow": data.get("workflow", ""),
            "currency": data.get("currency", "XXX"),
            "amount": data.get("amount", 0),
            "status": AWAITING,
            "updated_at": self.now,
            "lock_version": 0,
        }
        insert_ignoring_duplicates(self.session, order_payments, values)
        return self._lock(data["order_id"])

    def _change(self, order: dict, **values) -> dict:
        values = {**values, "updated_at": self.now, "lock_version": order["lock_version"] + 1}
        self.session.execute(
            update(order_payments)
            .where(order_payments.c.order_id == order["order_id"])
            .values(**values)
        )
        return {**order, **values}
