"""Exchanges, queues, bindings, retry and dead-letter queues, all derived from the contracts.

Nameko publishes with ``mandatory=False``: an event published before its consumer's queue exists
is silently dropped. So the whole topology is declared before any service starts
(``python -m chassis.topology``), and each consumer re-declares its own part when it starts.

Per consumer of an event, ``<service>--<event_type>``:
- the queue itself, bound to ``<producer>.events`` with the event type as routing key;
- one retry queue per backoff step (``...retry.<ms>ms``): messages wait out the step's TTL there,
  then are dead-lettered straight back to the queue;
- a parking queue (``...dead``) where a message lands with its error once retries are exhausted.
"""

import argparse
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from kombu import Connection, Exchange, Queue
from nameko.standalone.events import get_event_exchange

from chassis.settings import amqp_uri
from contracts.catalogue import CONTRACTS, EventContract

DEFAULT_RETRY_DELAYS_MS = (200, 1000, 5000)
DEFAULT_EXCHANGE = Exchange("")


def retry_delays_ms(config: Mapping[str, Any] | None = None) -> tuple[int, ...]:
    configured = (config or {}).get("EVENT_RETRY_DELAYS_MS") or os.environ.get(
        "EVENT_RETRY_DELAYS_MS"
    )
    if not configured:
        return DEFAULT_RETRY_DELAYS_MS
    if isinstance(configured, str):
        configured = configured.split(",")
    return tuple(int(ms) for ms in configured)


def consumer_queue_name(service: str, event_type: str) -> str:
    return f"{service}--{event_type}"


def retry_queue_name(queue_name: str, delay_ms: int) -> str:
    return f"{queue_name}.retry.{delay_ms}ms"


def dead_queue_name(queue_name: str) -> str:
    return f"{queue_name}.dead"


def event_exchange(producer: str) -> Exchange:
    return get_event_exchange(producer, {})


def consumer_queue(service: str, contract: EventContract) -> Queue:
    return Queue(
        consumer_queue_name(service, contract.name),
        exchange=event_exchange(contract.producer),
        routing_key=contract.name,
        durable=True,
    )


def side_queues(queue_name: str, delays_ms: Sequence[int]) -> list[Queue]:
    retries = [
        Queue(
            retry_queue_name(queue_name, ms),
            durable=True,
            queue_arguments={
                "x-message-ttl": ms,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": queue_name,
            },
        )
        for ms in delays_ms
    ]
    return [*retries, Queue(dead_queue_name(queue_name), durable=True)]


def queues_for(service: str, contract: EventContract, delays_ms: Sequence[int]) -> list[Queue]:
    main = consumer_queue(service, contract)
    return [main, *side_queues(main.name, delays_ms)]


def all_queues(delays_ms: Sequence[int]) -> list[Queue]:
    return [
        queue
        for contract in CONTRACTS.values()
        for service in contract.consumers
        for queue in queues_for(service, contract, delays_ms)
    ]


def declare(
    connection: Connection, delays_ms: Sequence[int] = DEFAULT_RETRY_DELAYS_MS
) -> list[str]:
    """Declare every exchange and queue; safe to repeat. Returns the queue names."""
    channel = connection.default_channel
    for producer in {c.producer for c in CONTRACTS.values()}:
        event_exchange(producer)(channel).declare()
    queues = all_queues(delays_ms)
    for queue in queues:
        queue(channel).declare()
    return [q.name for q in queues]


def declare_routes(connection: Connection, event_types: Sequence[str]) -> list[str]:
    """Declare what publishing ``event_types`` needs so that none is dropped as unroutable:
    each one's exchange and every consumer's queue, bound. Not the retry and parking queues:
    their arguments (TTLs) are the consumers' to choose, and a mismatch would be refused.
    For a producer that is no Nameko service (the gateway). Returns the queue names."""
    channel = connection.default_channel
    names = []
    for event_type in event_types:
        known = CONTRACTS[event_type]
        event_exchange(known.producer)(channel).declare()
        for service in known.consumers:
            queue = consumer_queue(service, known)
            queue(channel).declare()
            names.append(queue.name)
    return names


def definitions(
    delays_ms: Sequence[int] = DEFAULT_RETRY_DELAYS_MS, vhost: str = "/"
) -> dict[str, Any]:
    """The same topology as RabbitMQ definitions, for a broker provisioned from a file."""
    exchanges = [
        {
            "name": event_exchange(p).name,
            "vhost": vhost,
            "type": "topic",
            "durable": True,
            "auto_delete": False,
            "internal": False,
            "arguments": {},
        }
        for p in sorted({c.producer for c in CONTRACTS.values()})
    ]
    queues, bindings = [], []
    for queue in all_queues(delays_ms):
        queues.append(
            {
                "name": queue.name,
                "vhost": vhost,
                "durable": True,
                "auto_delete": False,
                "arguments": queue.queue_arguments or {},
            }
        )
        if queue.exchange is not None and queue.exchange.name:
            bindings.append(
                {
                    "source": queue.exchange.name,
                    "vhost": vhost,
                    "destination": queue.name,
                    "destination_type": "queue",
                    "routing_key": queue.routing_key,
                    "arguments": {},
                }
            )
    return {"exchanges": exchanges, "queues": queues, "bindings": bindings}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--definitions",
        action="store_true",
        help="print RabbitMQ definitions JSON instead of declaring",
    )
    args = parser.parse_args(argv)
    delays = retry_delays_ms()
    if args.definitions:
        print(json.dumps(definitions(delays), indent=2))
        return
    with Connection(amqp_uri()) as connection:
        connection.ensure_connection(max_retries=10)
        names = declare(connection, delays)
    print(f"declared {len(names)} queues on {connection.as_uri()}")


if __name__ == "__main__":
    main()
