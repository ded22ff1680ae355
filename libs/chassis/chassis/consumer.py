"""``@consume(event_type)``: an event handler that applies each event exactly once, or parks it.
``@consume_each(event_types)`` makes one handler consume several event types, each on its own
queue as if it had its own ``@consume``.

- The queue and its binding come from the event's contract (``chassis.topology``).
- Every envelope and payload is validated against the contract before the handler runs; one that
  fails is parked at once with the reason: it would fail the same way on every retry. So is one
  the handler refuses with ``InvalidRequest``.
- A handler that raises is retried after each delay of ``EVENT_RETRY_DELAYS_MS`` (through TTL
  queues, so nothing blocks and a restart loses nothing), then parked with its error in
  ``<queue>.dead`` where ``deadletters`` lists and replays it.
- A message that cannot even be decoded (not JSON, not UTF-8, another content type) is parked
  as it came, bytes and content type, with the reason.
- A duplicate (the inbox already has it) is acknowledged and skipped, and logged.
"""

import logging
import traceback
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from kombu import Connection
from nameko.containers import ContainerBeingKilled
from nameko.exceptions import ConfigurationError
from nameko.messaging import Consumer, QueueConsumer

from chassis.envelope import Event, InvalidEvent, parse_envelope
from chassis.publishing import EventPublisher
from chassis.settings import amqp_uri
from chassis.topology import (
    consumer_queue,
    dead_queue_name,
    retry_delays_ms,
    retry_queue_name,
    side_queues,
)
from chassis.unit_of_work import AlreadyProcessed, SecondTransaction
from contracts.catalogue import contract
from contracts.errors import InvalidRequest

log = logging.getLogger(__name__)

Handler = TypeVar("Handler", bound=Callable[..., Any])

ATTEMPTS_HEADER = "x-attempts"
# The handler refused the event's content, or is built wrong: a retry would fail the same way.
PERMANENT_ERRORS = (InvalidEvent, InvalidRequest, SecondTransaction)


class ParkingQueueConsumer(QueueConsumer):
    """Nameko's queue consumer, but a message that fails to decode goes to its consumer."""

    def get_consumers(self, consumer_cls: Any, channel: Any) -> Any:
        consumers = super().get_consumers(consumer_cls, channel)
        for provider, consumer in self._consumers.items():
            consumer.on_decode_error = partial(self._undecodable, provider)
        return consumers

    def _undecodable(self, provider: "EventConsumer", message: Any, error: Exception) -> None:
        self.container.spawn_managed_thread(partial(provider.park_undecodable, message, error))


class EventConsumer(Consumer):
    queue_consumer = ParkingQueueConsumer()

    def __init__(self, event_type: str, **kwargs: Any):
        self.event_type = event_type
        kwargs.setdefault("expected_exceptions", (AlreadyProcessed,))
        super().__init__(queue=None, requeue_on_error=False, **kwargs)

    def setup(self) -> None:
        service = self.container.service_name
        self.contract = event_contract = contract(self.event_type)
        if service not in event_contract.consumers:
            raise ConfigurationError(
                f"{service} consumes {self.event_type} but is not among its consumers in the "
                f"contracts; add it there so the topology declares its queue"
            )
        self.queue = consumer_queue(service, event_contract)
        self.inbox_consumer = self.queue.name
        self.delays_ms = retry_delays_ms(self.container.config)
        uri = amqp_uri(self.container.config)
        self.publisher = EventPublisher(uri)
        with Connection(uri) as connection:
            for queue in side_queues(self.queue.name, self.delays_ms):
                queue(connection.default_channel).declare()
        super().setup()

    def handle_message(self, body: Any, message: Any) -> None:
        try:
            event = parse_envelope(body)
            self._check_routing(event)
        except InvalidEvent as exc:
            self._park(message, exc, attempts=int(message.headers.get(ATTEMPTS_HEADER, 0)))
            self.queue_consumer.ack_message(message)
            return
        context_data = self.unpack_message_headers(message)
        context_data.update(correlation_id=event.correlation_id, causation_id=event.event_id)
        try:
            self.container.spawn_worker(
                self,
                (event,),
                {},
                context_data=context_data,
                handle_result=partial(self.handle_result, message),
            )
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def park_undecodable(self, message: Any, error: Exception) -> None:
        self._park(message, error, attempts=0, raw=True)
        self.queue_consumer.ack_message(message)

    def _check_routing(self, event: Event) -> None:
        """A misrouted or forged message must not run a handler meant for another event."""
        expected = self.contract
        if (event.event_type, event.producer) != (expected.name, expected.producer):
            raise InvalidEvent(
                f"{self.queue.name} takes {expected.name} from {expected.producer}, "
                f"not {event.event_type} from {event.producer}"
            )

    def handle_result(
        self, message: Any, worker_ctx: Any, result: Any = None, exc_info: Any = None
    ) -> tuple[Any, Any]:
        if exc_info is None:
            pass
        elif isinstance(exc_info[1], AlreadyProcessed):
            log.info(
                "duplicate event ignored: already processed",
                extra={
                    "queue": self.queue.name,
                    "event_id": worker_ctx.args[0].event_id,
                    "correlation_id": worker_ctx.context_data.get("correlation_id"),
                },
            )
        else:
            self._retry_or_park(message, exc_info[1])
        self.queue_consumer.ack_message(message)
        return result, exc_info

    def _retry_or_park(self, message: Any, error: BaseException) -> None:
        attempts = int(message.headers.get(ATTEMPTS_HEADER, 0)) + 1
        if attempts > len(self.delays_ms) or isinstance(error, PERMANENT_ERRORS):
            self._park(message, error, attempts)
            return
        delay = self.delays_ms[attempts - 1]
        log.info("retrying %s in %d ms (attempt %d): %s", self.queue.name, delay, attempts, error)
        headers = {**message.headers, ATTEMPTS_HEADER: attempts, "x-last-error": repr(error)}
        self.publisher.send_to_queue(
            message.payload, retry_queue_name(self.queue.name, delay), headers
        )

    def _park(self, message: Any, error: BaseException, attempts: int, raw: bool = False) -> None:
        log.error(
            "parking message from %s after %d attempts: %s",
            self.queue.name,
            attempts,
            error,
            extra={
                "queue": self.queue.name,
                "error_type": type(error).__name__,
                "correlation_id": _correlation_id(message),
            },
        )
        headers = {
            **message.headers,
            ATTEMPTS_HEADER: attempts,
            "x-error": str(error),
            "x-error-type": type(error).__name__,
            "x-traceback": "".join(traceback.format_exception(error))[-4000:],
            "x-failed-at": datetime.now(UTC).isoformat(),
            "x-original-queue": self.queue.name,
        }
        if raw:
            self.publisher.send_raw_to_queue(message, dead_queue_name(self.queue.name), headers)
        else:
            self.publisher.send_to_queue(message.payload, dead_queue_name(self.queue.name), headers)


def _correlation_id(message: Any) -> str | None:
    """The message's correlation id, from its headers: its body may be unreadable."""
    return (message.headers or {}).get("nameko.correlation_id")


consume = EventConsumer.decorator


def consume_each(event_types: Iterable[str]) -> Callable[[Handler], Handler]:
    """``@consume`` once per event type, so a list (say, the contracts' events a service
    consumes) can name what a handler reads."""

    def decorate(handler: Handler) -> Handler:
        for event_type in event_types:
            handler = consume(event_type)(handler)
        return handler

    return decorate
