"""1. The broker's own floor: a raw kombu publish-with-confirms -> consume-with-ack hop on a
temporary durable queue in the run's vhost, persistent messages (what our events are).

- throughput: a publisher green thread publishes N messages one at a time, each waiting for its
  confirm, while a consumer on its own connection acks each; msgs/s from the first publish to
  the last ack.
- latency: one message in flight at a time, perf_counter in the body; the hop is from just
  before publish to the consumer's callback (same process, same clock).
"""

import time
import uuid

import eventlet
from eventlet.event import Event
from kombu import Connection, Consumer, Exchange, Producer, Queue

NAME = "broker"


def _queue(name):
    return Queue(name, exchange=Exchange(""), routing_key=name, durable=True, auto_delete=False)


def run(infra, report, quick):
    uri = infra.amqp_uri
    n_throughput = 1000 if quick else 5000
    n_latency = 300 if quick else 1000
    queue = _queue(f"bench.hop.{uuid.uuid4().hex[:8]}")
    with (
        Connection(uri) as consumer_conn,
        Connection(uri, transport_options={"confirm_publish": True}) as publisher_conn,
    ):
        queue(consumer_conn.default_channel).declare()
        producer = Producer(publisher_conn.channel(), exchange=Exchange(""), routing_key=queue.name)

        def publish(body):
            producer.publish(body, serializer="json", delivery_mode=2)

        # --- throughput --------------------------------------------------------------------
        state = {"received": 0, "mode": "throughput", "hops": []}
        done = Event()
        go_on = [Event()]

        def on_message(body, message):
            arrived = time.perf_counter()
            message.ack()
            state["received"] += 1
            if state["mode"] == "latency":
                state["hops"].append((arrived - body["t"]) * 1000)
                go_on[0].send()
            elif state["received"] == n_throughput:
                done.send(arrived)

        consumer = Consumer(
            consumer_conn.default_channel,
            queues=[queue],
            callbacks=[on_message],
            prefetch_count=200,
        )
        stop = []

        def drain():
            while not stop:
                try:
                    consumer_conn.drain_events(timeout=0.5)
                except TimeoutError:
                    pass
                except OSError as error:  # socket.timeout
                    if "timed out" not in str(error):
                        raise

        with consumer:
            drainer = eventlet.spawn(drain)
            publish({"t": time.perf_counter(), "warmup": True})  # declare paths, warm up
            while state["received"] < 1:
                eventlet.sleep(0.01)
            state["received"] = 0
            started = time.perf_counter()

            def publisher():
                for i in range(n_throughput):
                    publish({"i": i})

            eventlet.spawn(publisher).wait()
            published = time.perf_counter()
            finished = done.wait()
            throughput = n_throughput / (finished - started)
            report.metric(
                "broker.throughput",
                throughput,
                "msg/s",
                messages=n_throughput,
            )
            report.metric(
                "broker.publish_confirmed_rate", n_throughput / (published - started), "msg/s"
            )

            # --- latency -------------------------------------------------------------------
            state["mode"] = "latency"
            for _ in range(n_latency):
                go_on[0] = Event()
                publish({"t": time.perf_counter()})
                go_on[0].wait()
            report.latency("broker.hop", state["hops"])
            stop.append(True)
            drainer.wait()
        queue(consumer_conn.default_channel).delete()
    return {
        "hop_p50_ms": sorted(state["hops"])[len(state["hops"]) // 2],
        "broker_msgs_per_s": throughput,
    }
