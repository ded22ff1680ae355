"""The orders service: every marketplace's order lifecycle, run by one workflow engine.

Entrypoints only translate: they load the aggregate, let ``orders.domain`` decide, then persist
the order, its timeline and its events in one transaction.
"""

import uuid

from nameko.rpc import rpc
from sqlalchemy.exc import IntegrityError

from chassis.clock import Clock
from chassis.consumer import consume
from chassis.health import ServiceBase
from chassis.timers import every
from chassis.unit_of_work import UnitOfWork
from contracts.errors import Conflict, InvalidRequest
from orders import domain, repository
from orders.engine_provider import WorkflowEngine
from orders.models import metadata

DUE_BATCH = 100
# A backlog (say, a holiday's worth of auto-cancels) drains over a few ticks, not in one.
DUE_BATCHES_PER_TICK = 20


def as_actor(actor: dict) -> domain.Actor:
    try:
        identity = domain.Actor(user_id=actor["user_id"], role=actor["role"], org=actor["org"])
    except (KeyError, TypeError):
        raise InvalidRequest(
            "actor must carry user_id, role and org",
            {"errors": {"actor": ["user_id, role and org are required"]}},
        ) from None
    if identity.role not in domain.HUMAN_ROLES:
        raise InvalidRequest(
            f"unknown role {identity.role!r}",
            {"errors": {"actor.role": [f"one of {sorted(domain.HUMAN_ROLES)}"]}},
        )
    return identity


class OrdersService(ServiceBase):
    name = "orders"
    uow = UnitOfWork(metadata)
    clock = Clock()
    engine = WorkflowEngine()

    @rpc
    def place_order(self, actor, request, idempotency_key=None):
        buyer = as_actor(actor)
        workflow = self.engine.latest(request.get("workflow"))
        try:
            with self.uow.transaction() as tx:
                order, outcome = domain.place_order(
                    workflow,
                    str(uuid.uuid4()),
                    buyer,
                    request,
                    self.clock(),
                    calendar=self.engine.calendar,
                )
                if idempotency_key:
                    existing = repository.find_by_idempotency_key(
                        tx.session, buyer, idempotency_key
                    )
                    if existing is not None:
                        return self._view(self._same_placement(existing, order), buyer)
                repository.add(tx.session, order, *self._index(order), idempotency_key)
                self._record(tx, order, outcome)
        except IntegrityError:
            if not idempotency_key:
                raise
            # A concurrent request with the same key won the insert: answer with its order.
            with self.uow.reading() as session:
                existing = repository.find_by_idempotency_key(session, buyer, idempotency_key)
            if existing is None:
                raise
            order = self._same_placement(existing, order)
        return self._view(order, buyer)

    @rpc
    def perform_action(self, actor, order_id, action, payload=None, expected_version=None):
        identity = as_actor(actor)
        with self.uow.transaction() as tx:
            order = repository.load(tx.session, order_id, actor, for_update=True)
            if expected_version is not None and int(expected_version) != order.version:
                raise Conflict(
                    f"order {order_id} is at version {order.version}, not {expected_version}",
                    {"order_id": order_id, "version": order.version},
                )
            self._apply(
                tx,
                order,
                lambda workflow, calendar: domain.perform(
                    order,
                    workflow,
                    identity,
                    action,
                    payload or {},
                    self.clock(),
                    calendar=calendar,
                ),
            )
        return self._view(order, identity)

    @rpc
    def get_order(self, actor, order_id):
        identity = as_actor(actor)
        with self.uow.reading() as session:
            order = repository.load(session, order_id, actor)
        return self._view(order, identity)

    @rpc
    def get_timeline(self, actor, order_id):
        as_actor(actor)
        with self.uow.reading() as session:
            repository.load(session, order_id, actor)
            return repository.timeline(session, order_id)

    @rpc
    def list_orders(self, actor, query=None):
        as_actor(actor)
        with self.uow.reading() as session:
            return repository.list_page(session, actor, query or {})

    @rpc
    def count_orders(self, actor):
        as_actor(actor)
        with self.uow.reading() as session:
            return repository.count_by_status(session, actor)

    @rpc
    def describe_workflows(self):
        return self.engine.describe()

    @consume("shipment.created")
    @consume("parcel.scanned")
    @consume("parcel.delivered")
    @consume("parcel.delivery_failed")
    @consume("return.received")
    @consume("document.uploaded")
    @consume("payment.held")
    @consume("dispute.resolved")
    @consume("dispute.opened")
    @consume("dispute.withdrawn")
    @consume("dispute.escalated")
    def on_event(self, event):
        """Another service's news about an order; its workflow says what, if anything, follows."""
        with self.uow.transaction() as tx:
            order = repository.load_for_system(tx.session, event.data["order_id"])
            if order is not None:
                self._apply(
                    tx,
                    order,
                    lambda workflow, calendar: domain.react(
                        order,
                        workflow,
                        event.event_type,
                        event.data,
                        self.clock(),
                        calendar=calendar,
                    ),
                )

    @every("TIMER_INTERVAL_S", 5)
    def fire_due_timers(self):
        """Fire every deadline that has passed; replicas skip the orders another one holds."""
        now = self.clock()
        for _ in range(DUE_BATCHES_PER_TICK):
            with self.uow.reading() as session:
                due = repository.due_order_ids(session, now, DUE_BATCH)
            if not due:
                return
            for order_id in due:
                with self.uow.transaction() as tx:
                    order = repository.lock_if_due(tx.session, order_id, now)
                    if order is not None:
                        # Saved even if nothing fired (say, a holiday was added since): the
                        # stored deadline must move, or this order would be picked up forever.
                        self._apply(
                            tx,
                            order,
                            lambda workflow, calendar: domain.fire_due_timers(
                                order, workflow, now, calendar=calendar
                            ),
                            save_always=True,
                        )

    @staticmethod
    def _same_placement(existing, requested):
        """The order an idempotency key already placed, if this request asks for the same."""
        if domain.placement_terms(existing) != domain.placement_terms(requested):
            raise Conflict(
                "this Idempotency-Key already placed a different order", {"order_id": existing.id}
            )
        return existing

    def _apply(self, tx, order, decide, save_always=False):
        """Let the domain decide, then persist the order, its timeline and its events."""
        loaded_version = order.version
        outcome = decide(self.engine.of(order), self.engine.calendar)
        if save_always or order.version != loaded_version:
            repository.save(tx.session, order, loaded_version, *self._index(order))
        self._record(tx, order, outcome)

    def _index(self, order):
        """The derived columns queries need: the status's group and the next deadline."""
        workflow = self.engine.of(order)
        return (
            workflow.group_of(order.status),
            domain.next_deadline(order, workflow, calendar=self.engine.calendar),
        )

    @staticmethod
    def _record(tx, order, outcome):
        repository.append_activity(tx.session, order.id, outcome.activity)
        for event_type, payload in outcome.events:
            tx.publish(event_type, payload)

    def _view(self, order, actor):
        workflow = self.engine.of(order)
        return {
            **order.to_dict(timeline=False),
            "status_group": workflow.group_of(order.status),
            "allowed_actions": domain.allowed_actions(order, workflow, actor),
        }
