"""The payments service: an escrow ledger moved by the orders service's events."""

from nameko.dependency_providers import Config
from nameko.rpc import rpc
from sqlalchemy import select

from chassis.blobs import Blobs
from chassis.clock import Clock
from chassis.consumer import consume, consume_each
from chassis.health import ServiceBase
from chassis.timers import every
from chassis.unit_of_work import UnitOfWork
from contracts.rpc.orders import ORDER_IDS, check
from payments import compensation, ledger_views, payouts, terms, views
from payments.escrow import PROCESSING_CHARGE, Escrow
from payments.models import metadata, order_payments
from payments.provider import Provider
from payments.settlement import MONEY_DECIDING_EVENTS


class PaymentsService(ServiceBase):
    name = "payments"
    uow = UnitOfWork(metadata)
    clock = Clock()
    config = Config()
    provider = Provider()
    blobs = Blobs()

    # One event at a time: these call the payment provider inside their transaction, which a
    # batch would hold open (and its ledger rows locked) across many calls (ADR 23).
    @consume("order.placed", batch=1)
    def on_order_placed(self, event):
        with self.uow.transaction() as tx:
            self._escrow(tx).placed(event.event_id, event.data)

    @consume_each(MONEY_DECIDING_EVENTS, batch=1)
    def on_money_decided(self, event):
        with self.uow.transaction() as tx:
            self._escrow(tx).decided(event.event_id, event.event_type, event.data)

    @consume("claim.approved")
    def on_claim_approved(self, event):
        """Staff approved a seller's claim: the platform pays the amount into their wallet."""
        with self.uow.transaction() as tx:
            compensation.compensate(tx.session, self.clock(), event.event_id, event.data)

    @every("CHARGE_CHECK_INTERVAL_S", 1)
    def check_processing_charges(self):
        """Charges the provider accepted but had not settled: held, or failed, once it knows."""
        with self.uow.reading() as session:
            processing = session.scalars(
                select(order_payments.c.order_id).where(
                    order_payments.c.status == PROCESSING_CHARGE
                )
            ).all()
        for order_id in processing:
            with self.uow.transaction() as tx:
                self._escrow(tx).charge_settled(order_id)

    @uow.command
    def request_payout(self, tx, actor, request):
        """Pay out (part of) the organisation's available balance to a provider bank token."""
        over = self.config.get("PAYOUT_APPROVAL_OVER")
        return payouts.request(
            tx.session,
            self.clock(),
            actor,
            request,
            self.provider,
            tx.publish,
            approval_over=None if over in (None, "") else int(over),
        )

    @rpc
    def payout_queue(self, actor, query=None):
        """Staff: payouts awaiting approval or on hold (or of ``status``), oldest first."""
        with self.uow.reading() as session:
            return payouts.queue(session, actor, query or {})

    @uow.command
    def decide_payout(self, tx, actor, payout_id, request):
        """An admin approves, holds or rejects a payout awaiting approval, with a reason."""
        return payouts.decide(tx.session, self.clock(), actor, payout_id, request, tx.publish)

    @rpc
    def ledger_entries(self, actor, query=None):
        """Staff: ledger entries across organisations, newest first, filtered, by keyset."""
        with self.uow.reading() as session:
            return ledger_views.entries_of(session, actor, query or {})

    @rpc
    def ledger_balances(self, actor, query=None):
        """Staff: accounts' balances across organisations, filtered, by keyset."""
        with self.uow.reading() as session:
            return ledger_views.balances_of(session, actor, query or {})

    @every("PAYOUT_INTERVAL_S", 1)
    def pay_out(self):
        """Requested payouts go to the provider; each is paid, or failed and given back."""
        with self.uow.reading() as session:
            waiting = payouts.waiting(session)
        for payout_id in waiting:
            with self.uow.transaction() as tx:
                payouts.settle(tx.session, self.clock(), payout_id, self.provider, tx.publish)

    @uow.command
    def upload_invoice(self, tx, actor, order_id, upload):
        """The supplier's invoice for the order (``upload``: filename, base64 content)."""
        return terms.upload_invoice(tx.session, self.clock(), actor, order_id, upload, self.blobs)

    @rpc
    def get_invoice(self, actor, order_id):
        with self.uow.reading() as session:
            return terms.invoice_of(session, actor, order_id, self.blobs)

    @every("PAYABLES_INTERVAL_S", 60)
    def make_due_payables_available(self):
        """Earnings whose payment terms have run become the supplier's available balance."""
        now = self.clock()
        with self.uow.reading() as session:
            due = terms.due(session, now)
        for order_id in due:
            with self.uow.transaction() as tx:
                terms.make_available_if_due(tx.session, now, order_id, ("payment.due", order_id))

    @rpc
    def list_payouts(self, actor):
        with self.uow.reading() as session:
            return payouts.of_org(session, actor["org"])

    @rpc
    def get_order_payments(self, actor, order_id):
        """The order's Payments tab; an admin also sees the ledger transactions behind it."""
        with self.uow.reading() as session:
            return views.order_payments_of(session, actor, order_id)

    @rpc
    def payment_statuses(self, actor, order_ids):
        """``{order_id: status}`` for a page of orders (an export asks once per page)."""
        check(ORDER_IDS, {"order_ids": order_ids})
        with self.uow.reading() as session:
            return views.payment_statuses(session, actor, order_ids)

    @rpc
    def get_wallet(self, actor):
        """The actor's organisation's balances per currency, and their history."""
        with self.uow.reading() as session:
            return views.wallet_of(session, actor["org"])

    def _escrow(self, tx) -> Escrow:
        return Escrow(tx.session, self.clock(), self.config, self.provider, tx.publish)
