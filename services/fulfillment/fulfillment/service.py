"""The fulfillment service: shipments, tracking and documents for approved orders."""
from datetime import datetime, timezone

from nameko.rpc import rpc
from sqlalchemy import insert, select, update

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

    @consume("order.approved")
    def on_order_approved(self, event):
        with self.uow.transaction() as tx:
            record = domain.open_fulfillment(event.data, datetime.now(timezone.utc))
            tx.session.execute(insert(fulfillments).values(**record))
            tx.publish("fulfillment.opened",
                       {"order_id": record["order_id"], "fulfillment_id": record["id"]})

    @consume("order.cancelled")
    def on_order_cancelled(self, event):
        with self.uow.transaction() as tx:
            row = tx.session.execute(
                select(fulfillments).where(fulfillments.c.order_id == event.data["order_id"])
            ).first()
            if row is not None and domain.may_cancel(row._asdict()):
                tx.session.execute(
                    update(fulfillments).where(fulfillments.c.id == row.id)
                    .values(status=domain.CANCELLED, updated_at=datetime.now(timezone.utc))
                )

    @rpc
    def get_fulfillment(self, order_id):
        """The order's fulfillment record, or None before the order is approved."""
        with self.uow.reading() as session:
            row = session.execute(
                select(fulfillments).where(fulfillments.c.order_id == order_id)
            ).first()
        return None if row is None else _serialise(row)
