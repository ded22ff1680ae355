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

Events that wait are applied in batches of up to ``DEFAULT_BATCH`` (``@consume(event_type,
batch=n)`` sets the size; ``batch=1`` never batches), in one transaction: the handler is the
same, called once per event, and the transaction it opens for each is the batch's one
(``chassis.unit_of_work.EventBatch``). So a burst costs one worker, one BEGIN/COMMIT and one
round trip of inbox and outbox rows, not one of each per event. A batch starts as soon as its
consumer is idle, so a lone event waits for nothing; events pile up into the next batch only
while one is being applied. A handler whose events are cheaper by the hundred than one by one
and need not take effect at once may let them wait for company: with ``linger=s`` on
``@consume`` or ``@consume_batches`` (not with ``batch=1``, which never batches), a batch that
is not full is applied ``s`` seconds after its first event arrived, or as soon as it fills up.
Fulfillment's carrier scans linger, and so do chat's notices and profiles' figures. A batch that
fails changes nothing, and each of its events is then applied alone, with the single-event
rules above (a retried event is always applied alone), so one bad event never holds back or
poisons the others (ADR 23).
"""

import functools
import logging
import time
import traceback
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

import eventlet
from kombu import Connection
from nameko.containers import ContainerBeingKilled
from nameko.exceptions import ConfigurationError
from nameko.messaging import Consumer, QueueConsumer

from chassis import locks
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
from chassis.unit_of_work import AlreadyProcessed, EventBatch, SecondTransaction
from contracts.catalogue import contract
from contracts.errors import InvalidRequest

log = logging.getLogger(__name__)

Handler = TypeVar("Handler", bound=Callable[..., Any])

ATTEMPTS_HEADER = "x-attempts"
# The handler refused the event's content, or is built wrong: a retry would fail the same way.
PERMANENT_ERRORS = (InvalidEvent, InvalidRequest, SecondTransaction)
DEFAULT_BATCH = 100


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
        event = self._parsed(body, message)
        if event is not None:
            self._spawn(event, message)

    def _parsed(self, body: Any, message: Any) -> Event | None:
        """The message's event; None if it is not one (then it is parked and acknowledged)."""
        try:
            event = parse_envelope(body)
            self._check_routing(event)
        except InvalidEvent as exc:
            self._park(message, exc, attempts=_attempts(message))
            self.queue_consumer.ack_message(message)
            return None
        return event

    def _spawn(self, event: Event, message: Any, handle_result: Any = None) -> None:
        context_data = self.unpack_message_headers(message)
        context_data.update(correlation_id=event.correlation_id, causation_id=event.event_id)
        try:
            self.container.spawn_worker(
                self,
                (event,),
                {},
                context_data=context_data,
                handle_result=handle_result or partial(self.handle_result, message),
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
        attempts = _attempts(message) + 1
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


class BatchingQueueConsumer(ParkingQueueConsumer):
    """The queue consumer of batching entrypoints: it lets the broker send a batch's worth of
    messages ahead (nameko's default is one per worker), on a connection of its own."""

    @property
    def prefetch_count(self) -> int:
        return 2 * max((provider.batch_size for provider in self._providers), default=1)


class BatchEventConsumer(EventConsumer):
    """``@consume(event_type, batch=n)``: see the module's docstring."""

    queue_consumer = BatchingQueueConsumer()

    def __init__(self, event_type: str, batch: int, linger: float = 0.0, **kwargs: Any):
        super().__init__(event_type, **kwargs)
        self.batch_size = batch
        self.linger = linger
        self._waiting: list[tuple[Event, Any]] = []
        self._applying = False
        self._stopping = False
        self._due = 0.0  # when the first event waiting has lingered enough
        self._lingering = False  # a green thread waits for ``_due``

    def stop(self) -> None:
        # No worker starts once the container stops: what waits goes back to the broker.
        self._stopping = True
        self._next_batch()
        super().stop()

    def handle_message(self, body: Any, message: Any) -> None:
        event = self._parsed(body, message)
        if event is None:
            return
        if _attempts(message):
            self._spawn(event, message)  # it failed before: alone, so it can fail alone
            return
        if not self._waiting:
            self._due = time.monotonic() + self.linger
        self._waiting.append((event, message))
        self._next_batch()

    def _next_batch(self) -> None:
        # One batch at a time: concurrent batches would lock their rows in no common order.
        if self._applying or not self._waiting:
            return
        if self._stopping:
            waiting, self._waiting = self._waiting, []
            for _, message in waiting:
                self.queue_consumer.requeue_message(message)
            return
        early = self._due - time.monotonic()
        if early > 0 and len(self._waiting) < self.batch_size:
            self._linger(early)
            return
        batch, self._waiting = self._waiting[: self.batch_size], self._waiting[self.batch_size :]
        # By the order's lock, then the order, so that batches of two queues that hold each
        # order's name (``locks.hold``, striped) and then lock its rows, event by event, take
        # them all in one order (a stable sort: one order's events keep theirs).
        batch.sort(key=_order_of)
        self._applying = True
        if len(batch) == 1:
            event, message = batch[0]
            self._spawn(event, message, partial(self._alone_done, message))
            return
        first = batch[0][0]
        # An event delivered twice (the relay republished it) is applied once; both messages
        # are acknowledged with the batch.
        events = list({event.event_id: event for event, _ in batch}.values())
        try:
            self.container.spawn_worker(
                self,
                (EventBatch(events),),
                {},
                context_data={
                    **self.unpack_message_headers(batch[0][1]),
                    "correlation_id": first.correlation_id,
                    "causation_id": first.event_id,
                },
                handle_result=partial(self._batch_done, batch),
            )
        except ContainerBeingKilled:
            self._applying = False
            for _, message in batch:
                self.queue_consumer.requeue_message(message)

    def _linger(self, seconds: float) -> None:
        """Apply what waits in ``seconds``, unless a batch fills up first."""
        if self._lingering:
            return
        self._lingering = True

        def then_apply() -> None:
            eventlet.sleep(seconds)
            self._lingering = False
            self._next_batch()

        self.container.spawn_managed_thread(then_apply)

    def _alone_done(self, message: Any, worker_ctx: Any, result: Any, exc_info: Any) -> Any:
        outcome = self.handle_result(message, worker_ctx, result, exc_info)
        self.container.spawn_managed_thread(self._batch_over)
        return outcome

    def _batch_done(
        self, batch: list[tuple[Event, Any]], worker_ctx: Any, result: Any, exc_info: Any
    ) -> tuple[Any, Any]:
        # What follows starts workers: from a thread of its own, not this worker's, where a full
        # worker pool would run them inline, nested in this one.
        self.container.spawn_managed_thread(partial(self._after_batch, batch, exc_info))
        # The batch's error is not the worker's: each event now has its own outcome.
        return result, None

    def _after_batch(self, batch: list[tuple[Event, Any]], exc_info: Any) -> None:
        if exc_info is None:
            for _, message in batch:
                self.queue_consumer.ack_message(message)
        else:
            log.info(
                "a batch of %d from %s failed (%r); applying each alone",
                len(batch),
                self.queue.name,
                exc_info[1],
            )
            for event, message in batch:
                if self._stopping:
                    self.queue_consumer.requeue_message(message)
                else:
                    self._spawn(event, message)
        self._batch_over()

    def _batch_over(self) -> None:
        self._applying = False
        self._next_batch()


def _order_of(waiting: tuple[Event, Any]) -> tuple[int, str]:
    order_id = str(waiting[0].data.get("order_id") or "")
    return locks.lock_key("order", order_id), order_id


def _attempts(message: Any) -> int:
    return int(message.headers.get(ATTEMPTS_HEADER, 0))


def _correlation_id(message: Any) -> str | None:
    """The message's correlation id, from its headers: its body may be unreadable."""
    return (message.headers or {}).get("nameko.correlation_id")


def consume(
    event_type: str, batch: int = DEFAULT_BATCH, linger: float = 0.0, **kwargs: Any
) -> Callable[[Handler], Handler]:
    """The event handler's decorator: ``@consume("order.approved")``; bursts are applied in
    batches of up to ``batch`` events; ``linger``: a batch that is not full is applied this many
    seconds after its first event arrived (see the module's docstring)."""
    _check_linger(event_type, batch, linger)
    if batch <= 1:
        single: Callable[[Handler], Handler] = EventConsumer.decorator(event_type, **kwargs)
        return single

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def apply(service: Any, event: Any) -> Any:
            if not isinstance(event, EventBatch):
                return handler(service, event)
            with event.applying():
                for one in event:
                    handler(service, one)
            return None

        registered: Handler = _batching(event_type, batch, linger, kwargs, apply)
        return registered

    return decorate


def consume_batches(
    event_type: str, batch: int = DEFAULT_BATCH, linger: float = 0.0, **kwargs: Any
) -> Callable[[Handler], Handler]:
    """Like ``@consume``, for a handler that takes the list of events (a lone event is a list
    of one) and applies them all in its one transaction: for work that is cheaper done once
    for many events than once for each (say, one insert of every scan of a hundred carrier
    deliveries). What it publishes is caused by the list's first event unless it says
    otherwise (``tx.caused_by``). ``linger``: a batch that is not full is applied this many
    seconds after its first event arrived (see the module's docstring). Stacked, one per event
    type, it gives one handler several queues, each batch holding events of one type."""
    _check_linger(event_type, batch, linger)

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def apply(service: Any, event: Any) -> Any:
            if isinstance(event, list):  # from the wrapper of another consume_batches above
                return handler(service, event)
            if not isinstance(event, EventBatch):
                return handler(service, [event])
            with event.applying():
                event.at_once = True
                return handler(service, event.events)

        registered: Handler = _batching(event_type, batch, linger, kwargs, apply)
        return registered

    return decorate


def _check_linger(event_type: str, batch: int, linger: float) -> None:
    if linger < 0:
        raise ConfigurationError(f"{event_type}: linger is {linger} s; it cannot be negative")
    if linger and batch <= 1:
        raise ConfigurationError(f"{event_type}: an event applied alone (batch=1) cannot wait")


def _batching(
    event_type: str, batch: int, linger: float, kwargs: dict[str, Any], apply: Any
) -> Any:
    """``apply``, the handler's wrapper, registered as a batching entrypoint."""
    return BatchEventConsumer.decorator(event_type, batch=batch, linger=linger, **kwargs)(apply)


def consume_each(
    event_types: Iterable[str], batch: int = DEFAULT_BATCH
) -> Callable[[Handler], Handler]:
    """``@consume`` once per event type, so a list (say, the contracts' events a service
    consumes) can name what a handler reads."""

    def decorate(handler: Handler) -> Handler:
        for event_type in event_types:
            handler = consume(event_type, batch)(handler)
        return handler

    return decorate
