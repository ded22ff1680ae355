"""How carrier deliveries travel to the broker (``gateway.carriers.deliveries``), with a stand-in
for the broker's confirming publisher: which deliveries share an event, and what each request
is answered when a publish fails or never ends."""

import eventlet
from eventlet.event import Event

from gateway.carriers.deliveries import Deliveries
from gateway.problems import Problem
from gateway.rpc import ServiceUnavailable

SCAN = {
    "event_id": "evt-1",
    "tracking_number": "JD0001",
    "status": "in_transit",
    "occurred_at": "2031-03-07T10:00:00+00:00",
}


class Broker:
    """Records each publish; holds the first until released, fails or never answers if told."""

    def __init__(self, fail=False, hang=False):
        self.published: list[list[dict]] = []
        self.release = Event()
        self.fail, self.hang = fail, hang

    def publish(self, envelopes):
        self.published.append(envelopes)
        if self.hang:
            eventlet.sleep(60)
        if len(self.published) == 1:
            self.release.wait()
        if self.fail:
            raise ServiceUnavailable("The message broker did not confirm the delivery")


def send(deliveries, carrier, delivery_id):
    """The request's outcome: None (202) or the problem it raised."""
    try:
        deliveries.send(carrier, [{**SCAN, "event_id": delivery_id}], delivery_id, delivery_id)
    except Problem as problem:
        return problem
    return None


def test_deliveries_arriving_while_a_publish_waits_go_out_together_one_event_per_carrier():
    broker = Broker()
    deliveries = Deliveries(broker)
    first = eventlet.spawn(send, deliveries, "dhl", "d1")
    eventlet.sleep(0)  # d1 is being published and waits for its confirm
    later = [eventlet.spawn(send, deliveries, c, d) for c, d in [("dhl", "d2"), ("ups", "d3")]]
    eventlet.sleep(0)
    broker.release.send()

    assert [first.wait(), *(g.wait() for g in later)] == [None, None, None]
    [alone], together = broker.published
    assert alone["data"]["delivery_ids"] == ["d1"]
    assert alone["correlation_id"] == "d1"
    assert sorted((e["data"]["carrier"], e["data"]["delivery_ids"]) for e in together) == [
        ("dhl", ["d2"]),
        ("ups", ["d3"]),
    ]


def test_a_carrier_the_contract_refuses_fails_alone_and_the_others_are_published():
    broker = Broker()
    broker.release.send()
    deliveries = Deliveries(broker)
    refused = eventlet.spawn(send, deliveries, "x" * 60, "bad")  # the contract's limit is 50
    accepted = eventlet.spawn(send, deliveries, "dhl", "good")

    problem = refused.wait()
    assert accepted.wait() is None
    assert problem.status == 422
    assert [e["data"]["delivery_ids"] for envelopes in broker.published for e in envelopes] == [
        ["good"]
    ]


def test_an_unconfirmed_publish_is_a_503_for_each_of_its_deliveries():
    broker = Broker(fail=True)
    deliveries = Deliveries(broker)
    first = eventlet.spawn(send, deliveries, "dhl", "d1")
    eventlet.sleep(0)
    second = eventlet.spawn(send, deliveries, "ups", "d2")
    broker.release.send()

    problems = [first.wait(), second.wait()]
    assert [p.status for p in problems] == [503, 503]
    assert problems[0] is not problems[1]  # each request raises its own
    assert problems[1].headers["Retry-After"]


def test_a_delivery_waits_no_longer_than_its_deadline_whatever_is_before_it():
    wait_s = 0.2
    deliveries = Deliveries(Broker(hang=True), wait_s=wait_s)
    started = eventlet.hubs.get_hub().clock()

    problem = send(deliveries, "dhl", "d1")

    assert isinstance(problem, ServiceUnavailable)
    assert eventlet.hubs.get_hub().clock() - started < wait_s + 1
