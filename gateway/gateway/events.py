"""How the gateway publishes events: answered only once the broker has confirmed them (ADR 22).

Every request's envelopes go to one ``chassis.publishing.ConfirmedBatches``: its run loop, a
green thread started with the app, publishes whatever many requests queued back to back on one
warm confirm channel and waits once for the broker's confirms. A request waits for its own
envelopes' confirm with a deadline; none in time is a 503 with Retry-After, and the carrier's
retry is harmless (the consumer's dedupe key).

An event published to an exchange where no queue is bound is confirmed and dropped. So, on every
new publishing connection, the gateway declares each event's exchange and its consumers' queues
(``chassis.topology.declare_routes``), as ``python -m chassis.topology`` does before anything
starts: a confirm then means that a queue holds the event. (A queue deleted by hand while the
connection lives is not seen: deleting a live queue is an operator's act, not a failure.)
"""

import logging

import eventlet
from eventlet.event import Event
from kombu import Connection

from chassis import topology
from chassis.publishing import ConfirmedBatches
from gateway.rpc import ServiceUnavailable

log = logging.getLogger(__name__)

# Well past a healthy broker's confirm (milliseconds), well inside a carrier's own timeout.
CONFIRM_WAIT_S = 5.0
PUBLISHED = ("carrier.scans_received",)
# Connect once, without kombu's retries: the carrier retries after a 503, not the request.
ONE_ATTEMPT = {"max_retries": 0}


class ConfirmedPublisher:
    """Publishes envelopes and returns once the broker confirmed every one of them."""

    def __init__(self, amqp_uri: str, wait_s: float = CONFIRM_WAIT_S):
        self._wait_s = wait_s
        self._batches = ConfirmedBatches(
            amqp_uri, confirm_timeout=wait_s, on_connect=_declare_routes
        )
        self._loop = eventlet.spawn(self._batches.run)

    def publish(self, envelopes: list[dict]) -> None:
        """Raise ``ServiceUnavailable`` unless the broker confirmed all of ``envelopes`` in time."""
        wanted = {envelope["event_id"] for envelope in envelopes}
        confirmed = Event()
        self._batches.submit(envelopes, confirmed.send)
        ids = confirmed.wait(timeout=self._wait_s)
        # None: no answer in time. Fewer ids than sent: the broker refused some (a nack), or
        # publishing failed (no broker, a refused declaration): none of it is the carrier's.
        if ids is None or set(ids) != wanted:
            raise ServiceUnavailable("The message broker did not confirm the delivery")

    def close(self) -> None:
        self._loop.kill()
        self._batches.close()


def _declare_routes(connection: Connection) -> None:
    """On every new publishing connection: a broker restarted without its definitions, or a
    queue deleted by hand, gets the routes back before the next publish."""
    connection.ensure_connection(**ONE_ATTEMPT)
    topology.declare_routes(connection, PUBLISHED)


def init_app(app) -> None:
    app.extensions["events"] = ConfirmedPublisher(app.config["AMQP_URI"])


def close(app) -> None:
    app.extensions["events"].close()
