"""The projection's rules, without a broker or a database."""

import random
from datetime import UTC, date, datetime, timedelta

from profiles import figures, tallies
from profiles.projection import change, kept

AT = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)
PARTIES = {"order_id": "o-1", "buyer_org": "acme", "supplier_org": "forge", "workflow": "retail"}


def test_the_history_keeps_nothing_of_an_order_beyond_what_the_figures_read():
    placed = {
        **PARTIES,
        "title": "Kettle",
        "committed_deliver_by": date(2031, 3, 20),
        "ship_to": {"name": "Ada", "address": "1 Main St"},
        "buyer_user": "alice",
    }
    assert kept(placed) == {**PARTIES, "title": "Kettle", "committed_deliver_by": "2031-03-20"}


def test_a_review_is_about_the_other_side():
    posted = change("review.posted", {**PARTIES, "reviewer_role": "supplier", "rating": 5}, AT)
    assert posted.review is not None
    assert (posted.review["reviewer_org"], posted.review["reviewee_org"]) == ("forge", "acme")


def test_a_review_is_sealed_until_both_sides_reviewed_or_the_window_closed():
    window = timedelta(days=14)
    lone = {
        "review_id": "o-1:buyer",
        "order_id": "o-1",
        "reviewer_role": "buyer",
        "posted_at": AT,
        "completed_at": AT,
        "hidden_reason": None,
    }
    assert figures.visible_reviews([lone], AT + window - timedelta(seconds=1), window) == []
    assert figures.visible_reviews([lone], AT + window, window) == [lone]
    answer = {**lone, "review_id": "o-1:supplier", "reviewer_role": "supplier"}
    assert figures.visible_reviews([lone, answer], AT, window) == [lone, answer]
    hidden = {**lone, "hidden_reason": "abuse"}
    assert figures.visible_reviews([hidden, answer], AT + window, window) == [answer]


def post(minutes, side, message_id):
    return {
        "message_id": message_id,
        "side": side,
        "org": {"buyer": "acme", "supplier": "forge"}[side],
        "posted_at": AT + timedelta(minutes=minutes),
    }


def test_an_answer_is_timed_from_the_first_unanswered_message_whatever_the_arrival_order():
    posts = [
        post(0, "buyer", "m1"),
        post(10, "buyer", "m2"),  # still the same exchange
        post(90, "supplier", "m3"),  # answers after 90 minutes, and closes it
        post(95, "supplier", "m4"),  # opens the next: the buyer owes
        post(155, "buyer", "m5"),  # answers after 60 minutes
    ]
    expected = {(s.side, s.sample_id, s.seconds) for s in tallies.replies(posts)}
    assert expected == {("supplier", "m3", 90 * 60.0), ("buyer", "m5", 60 * 60.0)}
    for seed in range(20):
        shuffled = random.Random(seed).sample(posts, len(posts))
        assert {(s.side, s.sample_id, s.seconds) for s in tallies.replies(shuffled)} == expected
