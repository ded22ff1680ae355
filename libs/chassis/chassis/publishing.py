"""Puts envelopes on the broker, waiting for the broker's confirm of each one."""

from typing import Any

from kombu.message import Message
from nameko.amqp.publish import Publisher

from chassis.topology import DEFAULT_EXCHANGE, event_exchange


class EventPublisher:
    def __init__(self, amqp_uri: str):
        self._publisher = Publisher(amqp_uri, use_confirms=True)

    def publish_event(self, envelope: dict[str, Any]) -> None:
        self._publisher.publish(
            envelope,
            exchange=event_exchange(envelope["producer"]),
            routing_key=envelope["event_type"],
            # Nameko consumers unpack ``nameko.*`` headers into their worker's context data.
            headers={"nameko.correlation_id": envelope["correlation_id"]},
        )

    def send_to_queue(self, body: Any, queue_name: str, headers: dict[str, Any]) -> None:
        self._publisher.publish(
            body, exchange=DEFAULT_EXCHANGE, routing_key=queue_name, headers=headers
        )

    def send_raw_to_queue(self, message: Message, queue_name: str, headers: dict[str, Any]) -> None:
        """Send a received message's very bytes on, whatever they are (a poison message too)."""
        self._publisher.publish(
            message.body,
            exchange=DEFAULT_EXCHANGE,
            routing_key=queue_name,
            headers=headers,
            content_type=message.content_type or "application/octet-stream",
            content_encoding=message.content_encoding or "binary",
        )
