"""The disputes service: disputes between an order's parties, sellers' claims on the platform,
and the staff queues of both.

Entrypoints only translate: they load what the rule needs, let ``disputes.domain`` decide, then
persist the change and its events in one transaction. The orders it needs to know about come
from the orders service's events, never from a call.
"""

import uuid
from datetime import datetime
from functools import cache, partial

from nameko.dependency_providers import Config
from nameko.rpc import rpc
from sqlalchemy.exc import IntegrityError

from chassis.access import is_staff
from chassis.calendar import Calendar
from chassis.clock import Clock
from chassis.consumer import consume
from chassis.health import ServiceBase
from chassis.timers import every
from chassis.unit_of_work import UnitOfWork
from contracts.contact_details import ContactFilter
from contracts.errors import Conflict, Forbidden, InvalidRequest
from disputes import domain, repository
from disputes.models import claims, disputes, metadata

DEFAULT_RESPONSE_BUSINESS_DAYS = 3
OVERDUE_BATCH = 100


def as_actor(actor) -> dict:
    if not isinstance(actor, dict) or not all(
        isinstance(actor.get(key), str) and actor[key] for key in ("user_id", "role", "org")
    ):
        raise InvalidRequest(
            "actor must carry user_id, role and org",
            {"errors": {"actor": ["user_id, role and org are required"]}},
        )
    return actor


def require_staff(actor: dict) -> dict:
    if not is_staff(as_actor(actor)):
        raise Forbidden("only platform staff may do this", {"role": actor["role"]})
    return actor


@cache
def _contact_filter(regions: str) -> ContactFilter:
    """One filter per setting: building one compiles its patterns."""
    return ContactFilter.from_setting(regions)


class DisputesService(ServiceBase):
    name = "disputes"
    uow = UnitOfWork(metadata)
    clock = Clock()
    config = Config()

    def _calendar(self) -> Calendar:
        return Calendar.from_config(self.config.get("HOLIDAYS"))

    def _contact_filter(self) -> ContactFilter:
        return _contact_filter(str(self.config.get("MARKETPLACE_REGIONS") or ""))

    # --- disputes -------------------------------------------------------------------------

    @uow.command
    def open_dispute(self, tx, actor, order_id, request):
        actor, now = as_actor(actor), self.clock()
        days = int(
            self.config.get("DISPUTE_RESPONSE_BUSINESS_DAYS", DEFAULT_RESPONSE_BUSINESS_DAYS)
        )
        dispute, event = domain.open_dispute(
            repository.order(tx.session, order_id),
            actor,
            request,
            str(uuid.uuid4()),
            now,
            respond_by=self._calendar().add_business_days(now, days),
            current=repository.active_dispute(tx.session, order_id),
            contact_filter=self._contact_filter(),
        )
        try:
            repository.add_dispute(tx.session, dispute)
        except IntegrityError:
            # Both parties opened one at the same moment: the other insert won.
            raise Conflict(f"order {order_id} already has an open dispute", {}) from None
        tx.publish(*event)
        return dispute.to_dict()

    @rpc
    def get_dispute(self, actor, dispute_id):
        with self.uow.reading() as session:
            return repository.dispute(session, dispute_id, as_actor(actor)).to_dict()

    @rpc
    def order_disputes(self, actor, order_id):
        """The order's disputes the actor may see, oldest first (the order page's section)."""
        with self.uow.reading() as session:
            return repository.order_disputes(session, order_id, as_actor(actor))

    @uow.command
    def add_statement(self, tx, actor, dispute_id, request):
        add = partial(domain.add_statement, contact_filter=self._contact_filter())
        return self._change(tx, actor, dispute_id, add, request)

    @uow.command
    def withdraw_dispute(self, tx, actor, dispute_id):
        return self._change(tx, actor, dispute_id, domain.withdraw)

    @uow.command
    def resolve_dispute(self, tx, actor, dispute_id, request):
        return self._change(tx, require_staff(actor), dispute_id, domain.resolve, request)

    def _change(self, tx, actor, dispute_id, decide, *request):
        actor = as_actor(actor)
        dispute = repository.dispute(tx.session, dispute_id, actor, for_update=True)
        event = decide(dispute, actor, *request, self.clock())
        repository.save_dispute(tx.session, dispute)
        if event:
            tx.publish(*event)
        return dispute.to_dict()

    @every("TIMER_INTERVAL_S", 5)
    def escalate_overdue(self):
        """Escalate every dispute whose awaited answer is overdue; replicas skip each other's."""
        now = self.clock()
        while True:
            with self.uow.reading() as session:
                overdue = repository.overdue_dispute_ids(session, now, OVERDUE_BATCH)
            for dispute_id in overdue:
                with self.uow.transaction() as tx:
                    dispute = repository.lock_if_overdue(tx.session, dispute_id, now)
                    if dispute is not None and (event := domain.escalate(dispute, now)):
                        repository.save_dispute(tx.session, dispute)
                        tx.publish(*event)
            if len(overdue) < OVERDUE_BATCH:
                return

    # --- claims ---------------------------------------------------------------------------

    @uow.command
    def open_claim(self, tx, actor, order_id, request):
        actor = as_actor(actor)
        request = request if isinstance(request, dict) else {}
        order = repository.order(tx.session, order_id)
        found = repository.trigger(
            tx.session, order_id, str(request.get("kind")), str(request.get("reference"))
        )
        claim, event = domain.open_claim(
            order, found, actor, request, str(uuid.uuid4()), self.clock(), self._calendar()
        )
        try:
            repository.add_claim(tx.session, claim, order.amount)
        except IntegrityError:
            raise Conflict(
                f"{claim.reference} already has a claim on order {order_id}", {}
            ) from None
        tx.publish(*event)
        return claim.to_dict()

    @rpc
    def get_claim(self, actor, claim_id):
        with self.uow.reading() as session:
            return repository.claim(session, claim_id, as_actor(actor)).to_dict()

    @rpc
    def order_claims(self, actor, order_id):
        """The order's claims the actor may see, oldest first (the order page's section)."""
        with self.uow.reading() as session:
            return repository.order_claims(session, order_id, as_actor(actor))

    @uow.command
    def decide_claim(self, tx, actor, claim_id, request):
        actor = require_staff(actor)
        claim = repository.claim(tx.session, claim_id, actor, for_update=True)
        # Locking the order's row makes decisions on its claims take turns, so two approvals
        # at once cannot both fit under the order's amount.
        order = repository.order(tx.session, claim.order_id, for_update=True)
        if order is None:
            raise Conflict(
                f"claim {claim_id} is on order {claim.order_id}, which disputes does not know",
                {"order_id": claim.order_id},
            )
        already = repository.approved_claims_amount(tx.session, claim.order_id)
        event = domain.decide_claim(
            claim, order, actor, request, self.clock(), already_approved=already
        )
        repository.save_claim(tx.session, claim)
        tx.publish(*event)
        return claim.to_dict()

    # --- the staff queues -----------------------------------------------------------------

    @rpc
    def dispute_queue(self, actor, query=None):
        require_staff(actor)
        with self.uow.reading() as session:
            return repository.queue(session, disputes, query or {})

    @rpc
    def claim_queue(self, actor, query=None):
        require_staff(actor)
        with self.uow.reading() as session:
            return repository.queue(session, claims, query or {})

    # --- what the other services tell -----------------------------------------------------

    @consume("order.placed")
    def on_order_placed(self, event):
        data = event.data
        with self.uow.transaction() as tx:
            repository.remember_order(
                tx.session,
                domain.OrderFacts(
                    order_id=data["order_id"],
                    buyer_org=data["buyer_org"],
                    supplier_org=data["supplier_org"],
                    currency=data["currency"],
                    amount=data["amount"],
                    status=data["status"],
                ),
            )

    @consume("order.status_changed")
    def on_order_status_changed(self, event):
        with self.uow.transaction() as tx:
            repository.update_order_status(tx.session, event.data["order_id"], event.data["status"])

    @consume("parcel.unscanned")
    def on_parcel_unscanned(self, event):
        """Fulfillment prompted and the parcel stayed unscanned: the seller may now claim."""
        data = event.data
        with self.uow.transaction() as tx:
            repository.remember_trigger(
                tx.session,
                data["order_id"],
                domain.UNSCANNED,
                data["tracking_number"],
                data["due_at"],
                {"event_id": event.event_id, "shipment_id": data["shipment_id"]},
            )

    @consume("return.received")
    def on_return_received(self, event):
        data = event.data
        if not data.get("wrong_item"):
            return
        # The seller picks the goods up at the warehouse; fulfillment may say when.
        picked_up = data.get("picked_up_at")
        picked_up = datetime.fromisoformat(picked_up) if picked_up else event.occurred_at
        with self.uow.transaction() as tx:
            repository.remember_trigger(
                tx.session,
                data["order_id"],
                domain.WRONG_ITEM,
                data["return_id"],
                picked_up,
                {"event_id": event.event_id},
            )
