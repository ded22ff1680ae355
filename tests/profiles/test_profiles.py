"""The profiles service on a real broker and PostgreSQL, fed the orders' events as published."""

import random
import statistics
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from nameko.testing.services import entrypoint_waiter, replace_dependencies
from profiles.models import conversation_posts, history, medians, samples, tallies
from profiles.rebuild import main as rebuild_command
from profiles.service import ProfilesService
from sqlalchemy import delete

from chassis.database import make_engine
from chassis.envelope import new_envelope
from contracts.errors import Forbidden, NotFound
from support.clock import FrozenClock
from support.events import publish
from support.services import ADMIN, BUYER, SUPPLIER, count, rpc
from support.waiting import eventually

OUTSIDER = {"user_id": "olga", "role": "buyer", "org": "elsewhere"}
START = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)
COMMITTED = "2031-03-20"


@pytest.fixture
def profiles(container_factory, service_config, declared_topology):
    config = service_config("profiles", REVIEW_WINDOW_DAYS="14")
    container = container_factory(ProfilesService, config)
    clock = FrozenClock(START + timedelta(days=30))
    replace_dependencies(container, clock=clock)
    container.start()
    return {"container": container, "config": config, "clock": clock}


class History:
    """Order events as the orders service publishes them, at moments the test chooses."""

    def __init__(self, supplier="forge", buyer="acme", workflow="manufacturing"):
        self.parties = {"buyer_org": buyer, "supplier_org": supplier, "workflow": workflow}
        self.envelopes = []

    def event(self, event_type, order_id, at, **data):
        payload = {"order_id": order_id, **self.parties, "workflow_version": 1, "status": "s"}
        payload.update(data)
        envelope = new_envelope(event_type, payload, "orders")
        envelope["occurred_at"] = at.isoformat()
        self.envelopes.append(envelope)

    def money(self, event_type, order_id, at, **data):
        self.event(event_type, order_id, at, currency="EUR", amount=1000, **data)

    def placed(self, order_id, at, title):
        self.money(
            "order.placed",
            order_id,
            at,
            buyer_user="alice",
            title=title,
            lines=[{"line_id": "l-1", "sku": "P-1", "quantity": 2, "unit_price": 500}],
            committed_deliver_by=COMMITTED,
        )

    def fulfilled(self, order_id, placed_at, approve_after_h, delivered_on, verdict):
        self.placed(order_id, placed_at, f"Order {order_id}")
        self.event(
            "order.approved",
            order_id,
            placed_at + timedelta(hours=approve_after_h),
            lines=[{"line_id": "l-1", "sku": "P-1", "quantity": 2, "unit_price": 500}],
        )
        self.event("order.delivered", order_id, delivered_on)
        judged_at = delivered_on + timedelta(days=1)
        if verdict == "accepted":
            self.money("order.accepted", order_id, judged_at, accepted_amount=1000)
        elif verdict == "partly_accepted":
            inspected = [{"line_id": "l-1", "accepted": 1, "rejected": 1, "rework": 0}]
            self.money(
                "order.partly_accepted", order_id, judged_at, accepted_amount=500, lines=inspected
            )
        else:
            self.money("order.rejected", order_id, judged_at, reason="cracked")
        if verdict != "rejected":
            self.event("order.completed", order_id, judged_at)

    def cancelled(self, order_id, at, by, against):
        self.placed(order_id, at, f"Order {order_id}")
        self.money(
            "order.cancelled",
            order_id,
            at + timedelta(hours=1),
            by=by,
            counts_against_supplier=against,
        )

    def review(self, order_id, at, role, rating, comment):
        self.event(
            "review.posted", order_id, at, reviewer_role=role, rating=rating, comment=comment
        )


def day(n, hour=10):
    return START + timedelta(days=n, hours=hour - 9)


def known_history():
    h = History()
    h.fulfilled("o-a", day(0), 2, day(14), "accepted")  # delivered before the committed date
    h.fulfilled("o-b", day(0), 4, day(15), "partly_accepted")
    h.fulfilled("o-c", day(1), 6, day(17), "rejected")  # on the committed day itself: on time
    h.cancelled("o-d", day(1), by="supplier", against=True)
    h.cancelled("o-e", day(2), by="buyer", against=False)
    h.fulfilled("o-f", day(2), 8, day(19), "accepted")  # two days after the committed date
    return h


def deliver(profiles, envelopes):
    uri = profiles["config"]["AMQP_URI"]
    url = profiles["config"]["DATABASE_URL"]
    before = count(url, history)
    for envelope in envelopes:
        publish(
            uri, envelope["event_type"], envelope["data"], envelope["producer"], envelope=envelope
        )
    assert eventually(lambda: count(url, history) == before + len(envelopes))


def profile_of(profiles, actor, org="forge"):
    with rpc(profiles["config"]) as proxy:
        return proxy.profiles.get_profile(actor, org)


def test_a_supplier_with_a_known_history_shows_exactly_its_rates(profiles):
    deliver(profiles, known_history().envelopes)

    supplier = profile_of(profiles, BUYER)["supplier"]
    figures = supplier["workflows"]["manufacturing"]
    assert supplier["completed_orders"]["count"] == 3  # a, b, f
    assert figures["inspection"] == {
        "inspections": 4,
        "accepted": 2,
        "partly_accepted": 1,
        "rejected": 1,
        "rework": 0,
        "acceptance_rate": 2 / 4,
        "rates": {"accepted": 2 / 4, "partly_accepted": 1 / 4, "rejected": 1 / 4, "rework": 0.0},
        "period": {"from": day(15).isoformat(), "to": day(20).isoformat()},
    }
    # The supplier's own cancellation counts against it; the buyer's does not (seed 002).
    assert figures["cancellation"] == {
        "orders": 6,
        "cancelled": 2,
        "counted_against": 1,
        "rate": 1 / 6,
        "period": {"from": day(0).isoformat(), "to": day(2).isoformat()},
    }
    assert figures["on_time_delivery"] == {
        "delivered": 4,
        "on_time": 3,
        "rate": 3 / 4,
        "period": {"from": day(14).isoformat(), "to": day(19).isoformat()},
    }
    # Approved after 2, 4, 6 and 8 hours: the median wait is 5 hours.
    assert figures["time_to_approve"]["median_seconds"] == 5 * 3600
    assert figures["time_to_approve"]["approved"] == 4

    # The buyer's side of the same orders: the buyer's own cancellation counts against it.
    acme = profile_of(profiles, BUYER, org="acme")["buyer"]["workflows"]["manufacturing"]
    assert (acme["cancellation"]["counted_against"], acme["cancellation"]["rate"]) == (1, 1 / 6)


def test_redelivered_events_change_nothing_and_a_rebuild_gives_the_same_profile(profiles):
    h = known_history()
    deliver(profiles, h.envelopes)
    before = profile_of(profiles, ADMIN)

    uri = profiles["config"]["AMQP_URI"]
    for envelope in h.envelopes:
        with entrypoint_waiter(profiles["container"], "on_order_events"):
            publish(uri, envelope["event_type"], envelope["data"], "orders", envelope=envelope)

    assert count(profiles["config"]["DATABASE_URL"], history) == len(h.envelopes)
    assert profile_of(profiles, ADMIN) == before

    with rpc(profiles["config"]) as proxy:
        assert proxy.profiles.rebuild(ADMIN) == {"replayed": len(h.envelopes)}
        with pytest.raises(Forbidden):
            proxy.profiles.rebuild(SUPPLIER)
    assert profile_of(profiles, ADMIN) == before


def test_the_operators_rebuild_fills_running_totals_an_upgrade_created_empty(profiles, capsys):
    """Migrations 0004 and 0005 create the running totals empty over an existing history: the
    upgrade step (deploy/README.md) is the ``profiles-rebuild`` command, which replays it."""
    deliver(profiles, known_history().envelopes + conversation())
    before = profile_of(profiles, OUTSIDER)
    url = profiles["config"]["DATABASE_URL"]
    engine = make_engine(url)
    with engine.begin() as connection:  # the state right after the upgrade
        for table in (tallies, samples, medians, conversation_posts):
            connection.execute(delete(table))
    engine.dispose()
    upgraded = profile_of(profiles, OUTSIDER)
    assert (
        upgraded["supplier"]["completed_orders"]["count"]
        == 0
        != before["supplier"]["completed_orders"]["count"]
    )

    assert rebuild_command(["--database-url", url]) == 0
    assert f"from {count(url, history)} events" in capsys.readouterr().out
    assert profile_of(profiles, OUTSIDER) == before


def reviews_received(profile, side):
    return [(r["reviewer_org"], r["rating"]) for r in profile[side]["reviews"]["items"]]


def test_a_review_stays_sealed_until_the_other_side_reviews(profiles):
    profiles["clock"].now = day(20)
    h = History()
    h.fulfilled("o-a", day(0), 2, day(14), "accepted")
    h.review("o-a", day(16), "buyer", 4, "Tight tolerances, on time")
    deliver(profiles, h.envelopes)

    # The supplier cannot read what the buyer wrote before it has answered; nor can others.
    for reader in (SUPPLIER, OUTSIDER):
        seen = profile_of(profiles, reader)["supplier"]["reviews"]
        assert (seen["items"], seen["average_rating"]) == ([], None)
    assert profile_of(profiles, BUYER, "acme")["reviews_given"][0]["rating"] == 4
    assert reviews_received(profile_of(profiles, ADMIN), "supplier") == [("acme", 4)]

    answer = History()
    answer.review("o-a", day(17), "supplier", 5, "Clear drawings, paid promptly")
    deliver(profiles, answer.envelopes)

    forge = profile_of(profiles, OUTSIDER)
    assert reviews_received(forge, "supplier") == [("acme", 4)]
    [item] = forge["supplier"]["reviews"]["items"]
    assert (item["order_title"], item["comment"]) == ("Order o-a", "Tight tolerances, on time")
    assert forge["supplier"]["reviews"]["average_rating"] == 4.0
    assert reviews_received(profile_of(profiles, OUTSIDER, "acme"), "buyer") == [("forge", 5)]


def test_a_lone_review_is_revealed_when_the_review_window_closes(profiles):
    clock = profiles["clock"]
    clock.now = day(20)
    h = History()
    h.fulfilled("o-a", day(0), 2, day(14), "accepted")  # completed on day 15
    h.review("o-a", day(16), "buyer", 2, "Late paperwork")
    deliver(profiles, h.envelopes)
    assert reviews_received(profile_of(profiles, OUTSIDER), "supplier") == []

    clock.now = day(15) + timedelta(days=14) - timedelta(seconds=1)
    assert reviews_received(profile_of(profiles, OUTSIDER), "supplier") == []
    clock.advance(seconds=1)
    assert reviews_received(profile_of(profiles, OUTSIDER), "supplier") == [("acme", 2)]


def test_a_reported_review_is_hidden_by_staff_with_its_reason_kept(profiles):
    h = History()
    h.fulfilled("o-a", day(0), 2, day(14), "accepted")
    h.review("o-a", day(16), "buyer", 1, "Call me on +1 555 0100 instead")
    h.review("o-a", day(16), "supplier", 5, "Great buyer")
    deliver(profiles, h.envelopes)
    review_id = "o-a:buyer"

    with rpc(profiles["config"]) as proxy:
        reported = proxy.profiles.report_review(
            SUPPLIER, review_id, "shares a phone number", command_id="report-1"
        )
        assert reported == {"review_id": review_id, "reports": 1}
        with pytest.raises(Forbidden):
            proxy.profiles.hide_review(SUPPLIER, review_id, "I dislike it", command_id="hide-0")
        with pytest.raises(NotFound):
            proxy.profiles.hide_review(ADMIN, "o-zz:buyer", "no such", command_id="hide-1")
        proxy.profiles.hide_review(ADMIN, review_id, "contact details", command_id="hide-2")

    assert reviews_received(profile_of(profiles, OUTSIDER), "supplier") == []
    [moderated] = profile_of(profiles, ADMIN)["moderation"]
    assert moderated["hidden_reason"] == "contact details"
    assert moderated["hidden_by"] == ADMIN["user_id"]
    assert [r["reason"] for r in moderated["reports"]] == ["shares a phone number"]
    assert "moderation" not in profile_of(profiles, SUPPLIER)


def test_the_median_time_to_approve_is_exact_whatever_order_the_events_arrive_in(profiles):
    rng = random.Random(13)
    h = History(supplier="mill")
    waits = [rng.randint(1, 72) for _ in range(41)] + [5, 5, 5]  # ties too
    for i, hours in enumerate(waits):
        h.placed(f"m-{i}", day(0), f"Order m-{i}")
        h.event("order.approved", f"m-{i}", day(0) + timedelta(hours=hours), lines=[])
    rng.shuffle(h.envelopes)  # approvals before their placement, too
    deliver(profiles, h.envelopes)

    figures = profile_of(profiles, BUYER, "mill")["supplier"]["workflows"]["manufacturing"]
    assert figures["time_to_approve"]["approved"] == len(waits)
    assert figures["time_to_approve"]["median_seconds"] == statistics.median(waits) * 3600
    # One more wait moves the median from the middle one to the mean of the middle two.
    more = History(supplier="mill")
    more.placed("m-last", day(0), "Order m-last")
    more.event("order.approved", "m-last", day(0) + timedelta(hours=1), lines=[])
    deliver(profiles, more.envelopes)
    figures = profile_of(profiles, BUYER, "mill")["supplier"]["workflows"]["manufacturing"]
    assert figures["time_to_approve"]["median_seconds"] == statistics.median([*waits, 1]) * 3600


def message(order_id, at, role, conversation="order", org=None):
    parties = {"buyer_org": "acme", "supplier_org": "forge"}
    data = {
        "order_id": order_id,
        **parties,
        "conversation": conversation,
        "message_id": str(uuid.uuid4()),
        "author_user": f"{role}-user",
        "author_role": role,
        "author_org": org or parties.get(f"{role}_org", "platform"),
        "posted_at": at.isoformat(),
    }
    envelope = new_envelope("message.posted", data, "chat")
    envelope["occurred_at"] = at.isoformat()
    return envelope


def conversation():
    return [
        message("o-a", day(0, 9), "buyer"),
        message("o-a", day(0, 9) + timedelta(minutes=10), "buyer"),  # still waiting since 9:00
        message("o-a", day(0, 9) + timedelta(minutes=30), "support", "order"),  # staff: no party
        message("o-a", day(0, 11), "supplier"),  # answered after 2 hours
        message("o-a", day(0, 12), "supplier"),  # the supplier writes on: the buyer owes
        message("o-a", day(0, 13), "buyer"),  # answered after 1 hour
        message("o-b", day(1, 9), "buyer"),
        message("o-b", day(1, 9), "supplier", "support-supplier"),  # not to the buyer
        message("o-b", day(1, 13), "supplier"),  # answered after 4 hours
    ]


@pytest.mark.parametrize("arrival", ["as posted", "last first"])
def test_response_time_is_measured_from_the_conversations_messages(profiles, arrival):
    posts = conversation()
    # Handled one at a time in either order: a message handled after a later one (a retry,
    # replicas) changes which messages the later ones answered, and the figures follow.
    for posted in posts if arrival == "as posted" else posts[::-1]:
        deliver(profiles, [posted])

    supplier = profile_of(profiles, OUTSIDER)["supplier"]["response_time"]
    assert supplier == {
        "answered": 2,
        "median_seconds": 3 * 3600.0,  # of 2 and 4 hours
        "period": {"from": day(0, 11).isoformat(), "to": day(1, 13).isoformat()},
    }
    buyer = profile_of(profiles, OUTSIDER, "acme")["buyer"]["response_time"]
    assert (buyer["answered"], buyer["median_seconds"]) == (1, 3600.0)


def test_a_profile_lists_the_newest_reviews_and_counts_them_all(profiles):
    h = History(supplier="busy")
    ratings = [(i % 5) + 1 for i in range(23)]
    for i, rating in enumerate(ratings):
        h.review(f"r-{i}", day(i), "buyer", rating, f"Order {i}")
        h.review(f"r-{i}", day(i, 11), "supplier", 5, "Fine buyer")  # both sides: unsealed
    deliver(profiles, h.envelopes)

    reviews = profile_of(profiles, OUTSIDER, "busy")["supplier"]["reviews"]
    assert reviews["count"] == len(ratings)
    assert reviews["average_rating"] == sum(ratings) / len(ratings)
    assert [r["order_id"] for r in reviews["items"]] == [f"r-{i}" for i in range(22, 2, -1)]
    assert reviews["period"] == {"from": day(0).isoformat(), "to": day(22).isoformat()}
