"""The orders service: every marketplace's order lifecycle, run by one workflow engine.

Entrypoints only translate: they load the aggregate, let ``orders.domain`` decide, then persist
the order, its timeline and its events in one transaction.
"""

import logging
import uuid
from datetime import datetime

from nameko.rpc import rpc

from chassis.clock import Clock
from chassis.consumer import consume_each
from chassis.health import ServiceBase
from chassis.timers import every
from chassis.unit_of_work import UnitOfWork
from contracts.errors import InvalidRequest, PreconditionFailed
from contracts.rpc import orders as requests
from orders import domain, queries, repository
from orders.engine_provider import ContactRule, WorkflowEngine
from orders.models import metadata
from orders.workflow.events import REACTED_EVENTS

log = logging.getLogger(__name__)

DUE_BATCH = 100
# A backlog (say, a holiday's worth of auto-cancels) drains over a few ticks, not in one.
DUE_BATCHES_PER_TICK = 20


def as_actor(actor: dict) -> domain.Actor:
    requests.check(requests.ACTOR, actor, "actor")
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
    contact_filter = ContactRule()

    @uow.command
    def place_order(self, tx, actor, request):
        buyer = as_actor(actor)
        requests.check(requests.PLACE_ORDER, request)
        workflow = self.engine.latest(request.get("workflow"))
        order, outcome = domain.place_order(
            workflow,
            str(uuid.uuid4()),
            buyer,
            request,
            self.clock(),
            calendar=self.engine.calendar,
            contact_filter=self.contact_filter,
        )
        repository.add(tx.session, order, *self._index(order))
        self._record(tx, order, outcome)
        return self._view(order, buyer)

    @uow.command
    def perform_action(self, tx, actor, order_id, action, payload=None, expected_version=None):
        identity = as_actor(actor)
        requests.check(
            requests.PERFORM_ACTION,
            {
                "order_id": order_id,
                "action": action,
                "payload": payload or {},
                "expected_version": expected_version,
            },
        )
        order = repository.load(tx.session, order_id, actor, for_update=True)
        if expected_version is not None and int(expected_version) != order.version:
            raise PreconditionFailed(
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
                contact_filter=self.contact_filter,
            ),
        )
        return self._view(order, identity)

    @rpc
    def get_order(self, actor, order_id):
        identity = as_actor(actor)
        requests.check(requests.ORDER_REF, {"order_id": order_id})
        with self.uow.reading() as session:
            order = repository.load(session, order_id, actor)
        return self._view(order, identity)

    @rpc
    def get_timeline(self, actor, order_id):
        as_actor(actor)
        requests.check(requests.ORDER_REF, {"order_id": order_id})
        with self.uow.reading() as session:
            repository.load(session, order_id, actor)
            return repository.timeline(session, order_id)

    @rpc
    def list_orders(self, actor, query=None):
        identity = as_actor(actor)
        requests.check(requests.ORDER_QUERY, query or {}, "query")
        checked = queries.list_query(query or {}, self.engine.workflows)
        with self.uow.reading() as session:
            page = repository.list_page(session, actor, checked)
        # Each item in the shape of a single order, with its group and the caller's actions.
        items = [self._view(domain.Order.from_dict(item), identity) for item in page["items"]]
        return {**page, "items": items}

    @rpc
    def count_orders(self, actor, query=None):
        as_actor(actor)
        requests.check(requests.ORDER_COUNT_QUERY, query or {}, "query")
        checked = queries.count_query(query or {}, self.engine.workflows)
        with self.uow.reading() as session:
            return repository.count_by_status(session, actor, checked)

    @rpc
    def describe_workflows(self):
        return self.engine.describe()

    # Once per event: the contracts, not this file, list what orders reads.
    @consume_each(REACTED_EVENTS)
    def on_event(self, event):
        """Another service's news about an order; its workflow says what, if anything, follows."""
        with self.uow.transaction() as tx:
            order = repository.load_for_system(tx.session, event.data["order_id"])
            if order is None:
                log.info(
                    "%s ignored: no order %s here",
                    event.event_type,
                    event.data["order_id"],
                    extra={"event_id": event.event_id, "order_id": event.data["order_id"]},
                )
            else:
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

    def _apply(self, tx, order, decide, save_always=False):
        """Let the domain decide, then persist the order, its timeline and its events."""
        loaded_version = order.version
        outcome = decide(self.engine.of(order), self.engine.calendar)
        if save_always or order.version != loaded_version:
            repository.save(tx.session, order, *self._index(order))
        self._record(tx, order, outcome)
        for reason in outcome.ignored:
            log.info(reason, extra={"order_id": order.id})

    def _index(self, order):
        """The derived columns queries need: the status's group and the next deadline."""
        deadline = order.next_deadline and datetime.fromisoformat(order.next_deadline["at"])
        return self.engine.of(order).group_of(order.status), deadline

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
