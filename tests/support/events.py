"""Publishing events onto the real broker the way a producing service does."""

from chassis.envelope import new_envelope
from chassis.publishing import EventPublisher


def publish(amqp_uri: str, event_type: str, data: dict, producer: str, envelope=None) -> dict:
    envelope = envelope or new_envelope(event_type, data, producer)
    EventPublisher(amqp_uri).publish_event(envelope)
    return envelope
