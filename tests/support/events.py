"""Publishing events onto the real broker the way a producing service does."""

from chassis.envelope import new_envelope
from chassis.publishing import EventPublisher

# An ``order.approved`` payload, as the orders service publishes it.
APPROVED = {
    "order_id": "o-7",
    "buyer_org": "acme",
    "supplier_org": "forge",
    "workflow": "retail",
    "workflow_version": 1,
    "status": "approved",
    "lines": [{"line_id": "l-1", "sku": "SKU-1", "quantity": 2, "unit_price": 500}],
}


def publish(amqp_uri: str, event_type: str, data: dict, producer: str, envelope=None) -> dict:
    envelope = envelope or new_envelope(event_type, data, producer)
    EventPublisher(amqp_uri).publish_event(envelope)
    return envelope
