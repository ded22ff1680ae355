"""The fulfillment service: shipments, tracking and documents for approved orders."""

from nameko.rpc import rpc
from sqlalchemy import insert, select, update

from chassis.access import visible_to
from chassis.clock import Clock
from chassis.consumer import consume
from chassis.health import ServiceBase
from chassis.unit_of_work import UnitOfWork
from fulfillment import domain
from fulfillment.models import fulfillments, metadata


def _serialise(row) -> dict:
    record = dict(row._mapping)
    for key in ("opened_at", "updated_at"):
        record[key] = record[key].isoformat()
    return record


class FulfillmentService(ServiceBase):
    name = "fulfillment"
    uow = UnitOfWork(metadata)
    clock = Clock()

    @consume("order.approved")
    def on_order_approved(self, event):
        with self.uow.transaction() as tx:
            if self._record_of(tx.session, event.data["order_id"]) is not None:
                return  # the cancellation overtook the approval
            record = domain.open_fulfillment(event.data, self.clock())
            tx.session.execute(insert(fulfillments).values(**record))
            tx.publish(
                "fulfillment.opened",
                {"order_id": record["order_id"], "fulfillment_id": record["id"]},
            )

    @consume("order.cancelled")
    def on_order_cancelled(self, event):
        with self.uow.transaction() as tx:
            record = self._record_of(tx.session, event.data["order_id"])
            if record is None:
                tx.session.execute(
                    insert(fulfillments).values(
                        **domain.cancelled_before_approval(event.data, self.clock())
                    )
                )
            elif domain.may_cancel(record):
                tx.session.execute(
                    update(fulfillments)
                    .where(fulfillments.c.id == record["id"])
                    .values(status=domain.CANCELLED, updated_at=self.clock())
                )

    @rpc
    def get_fulfillment(self, actor, order_id):
        """The order's fulfillment record, or None before the order is approved."""
        with self.uow.reading() as session:
            row = session.execute(
                select(fulfillments).where(
                    fulfillments.c.order_id == order_id,
                    visible_to(actor, fulfillments.c.buyer_org, fulfillments.c.supplier_org),
                )
            ).first()
        return None if row is None else _serialise(row)

    @staticmethod
    def _record_of(session, order_id) -> dict | None:
        row = session.execute(
            select(fulfillments).where(fulfillments.c.order_id == order_id).with_for_update()
        ).first()
        return None if row is None else row._asdict()
