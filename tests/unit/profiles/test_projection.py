"""The projection's rules, without a broker or a database."""

from datetime import UTC, date, datetime, timedelta

from profiles import figures
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
