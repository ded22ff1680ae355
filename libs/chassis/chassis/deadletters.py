"""Operator command: list the messages parked in dead-letter queues, and replay them.

    deadletters list [QUEUE...]                 every parked message, with its error
    deadletters replay QUEUE [--event-id ID]    send parked messages back to their queue

Replayed messages start again with a fresh retry budget; the consumer's inbox makes a replay of
an event that did get applied meanwhile harmless. A message is replayed byte for byte, with its
content type: one parked because it could not be decoded is listed with its body as text (bytes
that are not UTF-8 replaced) and is parked again if replayed unchanged.
"""

import argparse
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from kombu import Connection, Queue

from chassis.publishing import EventPublisher
from chassis.settings import amqp_uri
from chassis.topology import all_queues, retry_delays_ms

REPLAY_DROPS = (
    "x-error",
    "x-error-type",
    "x-traceback",
    "x-failed-at",
    "x-last-error",
    "x-attempts",
    "x-death",
    "x-first-death-exchange",
    "x-first-death-queue",
    "x-first-death-reason",
)


@dataclass
class ParkedMessage:
    queue: str
    original_queue: str
    event_id: str | None
    event_type: str | None
    error: str
    error_type: str
    attempts: int
    failed_at: str
    content_type: str
    body: object


def dead_queues() -> list[str]:
    return [q.name for q in all_queues(retry_delays_ms()) if q.name.endswith(".dead")]


def _body(message: Any) -> object:
    """The decoded body, or, for a message that cannot be decoded, its bytes as text."""
    try:
        return message.payload
    except Exception:  # any decoding failure: this is what got the message parked
        raw = message.body
        return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw


def _parked(queue: str, message: Any) -> ParkedMessage:
    body = _body(message)
    headers = message.headers or {}
    envelope = body if isinstance(body, dict) else {}
    return ParkedMessage(
        queue=queue,
        original_queue=headers.get("x-original-queue", queue.removesuffix(".dead")),
        event_id=envelope.get("event_id"),
        event_type=envelope.get("event_type"),
        error=headers.get("x-error", ""),
        error_type=headers.get("x-error-type", ""),
        attempts=int(headers.get("x-attempts", 0)),
        failed_at=headers.get("x-failed-at", ""),
        content_type=message.content_type or "",
        body=body,
    )


def _drain(channel: Any, queue: str) -> Iterator[Any]:
    bound = Queue(queue, no_declare=True)(channel)
    while (message := bound.get(no_ack=False, accept=["json"])) is not None:
        yield message


def list_parked(uri: str, queues: list[str] | None = None) -> list[ParkedMessage]:
    """Every parked message; they stay parked (unacknowledged reads are returned on close)."""
    parked = []
    with Connection(uri) as connection:
        channel = connection.channel()
        for queue in queues or dead_queues():
            parked += [_parked(queue, m) for m in _drain(channel, queue)]
        channel.close()
    return parked


def replay(uri: str, queue: str, event_id: str | None = None) -> int:
    """Send parked messages (all, or the one with ``event_id``) back to their queue."""
    publisher = EventPublisher(uri)
    replayed = 0
    with Connection(uri) as connection:
        channel = connection.channel()
        for message in list(_drain(channel, queue)):
            parked = _parked(queue, message)
            if event_id is not None and parked.event_id != event_id:
                continue
            headers = {k: v for k, v in (message.headers or {}).items() if k not in REPLAY_DROPS}
            publisher.send_raw_to_queue(message, parked.original_queue, headers)
            message.ack()
            replayed += 1
        channel.close()
    return replayed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="deadletters", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list")
    listing.add_argument("queues", nargs="*")
    replaying = commands.add_parser("replay")
    replaying.add_argument("queue")
    replaying.add_argument("--event-id")
    args = parser.parse_args(argv)
    uri = amqp_uri()
    if args.command == "list":
        for parked in list_parked(uri, args.queues or None):
            print(json.dumps(asdict(parked), default=str))
    else:
        print(f"replayed {replay(uri, args.queue, args.event_id)} message(s) to their queue")


if __name__ == "__main__":
    main()
