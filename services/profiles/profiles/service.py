"""The profiles service: each organisation's reputation, projected from the orders' events.

Every consumed event is kept in ``history`` and applied to the projection in the transaction
that records it in the inbox, so a redelivery changes nothing; ``rebuild`` replays the history.
"""

from datetime import timedelta

from nameko.dependency_providers import Config
from nameko.rpc import rpc

from chassis import locks
from chassis.access import is_staff
from chassis.clock import Clock
from chassis.consumer import consume_batches
from chassis.health import ServiceBase
from chassis.unit_of_work import UnitOfWork
from contracts.errors import Forbidden, InvalidRequest, NotFound
from contracts.rpc import orders as requests
from profiles import figures, repository
from profiles.models import metadata
from profiles.projection import EVENT_TYPES, REVIEWED_SIDE, change, kept

REASON_LENGTH = 2000
LATEST_REVIEWS = 20  # a profile shows the newest reviews; its counts and average cover them all
# A profile's figures and newest reviews shown a tenth of a second late are shown on time; the
# events of a burst then share one transaction instead of each taking its own (ADR 23).
FIGURES_LINGER_S = 0.1


def checked_actor(actor: dict) -> dict:
    requests.check(requests.ACTOR, actor, "actor")
    return actor


def checked_reason(reason: object) -> str:
    if not isinstance(reason, str) or not reason.strip() or len(reason) > REASON_LENGTH:
        raise InvalidRequest(
            "a reason is required",
            {"errors": {"reason": [f"a non-empty text of at most {REASON_LENGTH} characters"]}},
        )
    return reason.strip()


class ProfilesService(ServiceBase):
    name = "profiles"
    uow = UnitOfWork(metadata)
    clock = Clock()
    config = Config()

    def on_order_events(self, events):
        """The events waiting, applied in one transaction: kept in the history with one
        statement, and what they add to each running total and median written once."""
        rows, changes = [], []
        for event in events:
            data = kept(event.data)
            rows.append(
                {
                    "event_id": event.event_id,
                    "event_type": event.event_type,
                    "occurred_at": event.occurred_at,
                    "data": data,
                }
            )
            changes.append(change(event.event_type, data, event.occurred_at))
        with self.uow.transaction() as tx:
            repository.record(tx.session, rows)
            # Every conversation's lock in one call, which takes them in one order: two
            # replicas' batches of messages never deadlock.
            conversations = {done.order_id for done in changes if done.message is not None}
            if conversations:
                locks.hold(tx.session, "conversation", conversations)
            totals = repository.PendingTotals()
            for event, done in zip(events, changes, strict=True):
                repository.apply(tx.session, event.event_id, event.occurred_at, done, totals)
            totals.write(tx.session)

    # One consumer per event the projection reads (``projection.EVENT_TYPES``).
    for _event_type in EVENT_TYPES:
        on_order_events = consume_batches(_event_type, linger=FIGURES_LINGER_S)(on_order_events)
    del _event_type

    @rpc
    def get_profile(self, actor, org):
        """The organisation's figures as both sides, read from running totals: a handful of
        rows whatever its size; the reviews a reader may not see yet are few (recent or
        moderated) and are taken off the totals."""
        actor = checked_actor(actor)
        staff = is_staff(actor)
        itself = actor["org"] == org
        now = self.clock()
        with self.uow.reading() as session:
            totals = figures.Totals(**repository.totals_of(session, org))
            unseen = [] if staff else self._unseen(session, org, now)
            hidden_ids = {r["review_id"] for r in unseen}
            profile = {
                "org": org,
                "as_of": now.isoformat(),
                "view": "staff" if staff else "own" if itself else "public",
            }
            for side in figures.SIDES:
                reviewer = REVIEWED_SIDE[side]  # who reviews a side: the other one
                latest = repository.latest_received(
                    session, org, reviewer, hidden_ids, LATEST_REVIEWS
                )
                first = repository.latest_received(
                    session, org, reviewer, hidden_ids, 1, oldest=True
                )
                reviews = figures.received_reviews(
                    totals,
                    side,
                    [r for r in unseen if r["reviewer_role"] == reviewer],
                    latest,
                    first[0] if first else None,
                )
                profile[side] = figures.side(totals, side, reviews)
            if itself or staff:
                profile["reviews_given"] = [
                    {**figures.review_view(r), "about_org": r["reviewee_org"]}
                    for r in repository.latest_given(session, org, LATEST_REVIEWS)
                ]
            if staff:
                profile["moderation"] = [
                    {
                        "review_id": r["review_id"],
                        "reports": r["reports"] or [],
                        "hidden_reason": r["hidden_reason"],
                        "hidden_by": r["hidden_by"],
                        "hidden_at": r["hidden_at"] and r["hidden_at"].isoformat(),
                    }
                    for r in repository.moderated_received(session, org)
                    if r["reports"] or r["hidden_reason"]
                ]
        return profile

    def _unseen(self, session, org, now):
        """Reviews ``org`` received that others may not read yet: sealed or hidden by staff.

        A review is posted once its order is complete, so its window closes at most
        ``REVIEW_WINDOW_DAYS`` after it was posted: only those posted since may be sealed.
        """
        recent = repository.received_since(session, org, now - self._window())
        around = repository.reviews_of_orders(session, {r["order_id"] for r in recent})
        visible = {r["review_id"] for r in figures.visible_reviews(around, now, self._window())}
        unseen = {r["review_id"]: r for r in recent if r["review_id"] not in visible}
        for moderated in repository.moderated_received(session, org):
            if moderated["hidden_reason"] is not None:
                unseen[moderated["review_id"]] = moderated
        return list(unseen.values())

    @uow.command
    def report_review(self, tx, actor, review_id, reason):
        actor = checked_actor(actor)
        reason = checked_reason(reason)
        self._readable_review(tx.session, actor, review_id)
        reports = repository.reports_of(tx.session, review_id)
        reports.append(
            {
                "by_user": actor["user_id"],
                "by_org": actor["org"],
                "reason": reason,
                "at": self.clock().isoformat(),
            }
        )
        repository.moderate(tx.session, review_id, reports=reports)
        return {"review_id": review_id, "reports": len(reports)}

    @uow.command
    def hide_review(self, tx, actor, review_id, reason):
        actor = checked_actor(actor)
        reason = checked_reason(reason)
        if not is_staff(actor):
            raise Forbidden("only platform staff hide a review")
        if repository.review(tx.session, review_id) is None:
            raise NotFound(f"no review {review_id}")
        now = self.clock()
        repository.moderate(
            tx.session, review_id, hidden_reason=reason, hidden_by=actor["user_id"], hidden_at=now
        )
        return {"review_id": review_id, "hidden_reason": reason, "hidden_at": now.isoformat()}

    @rpc
    def rebuild(self, actor):
        """The projection again from the kept history (after a fix to its rules, say)."""
        if not is_staff(checked_actor(actor)):
            raise Forbidden("only platform staff rebuild the profiles")
        with self.uow.transaction() as tx:
            return {"replayed": repository.rebuild(tx.session)}

    def _window(self) -> timedelta:
        return timedelta(days=float(self.config.get("REVIEW_WINDOW_DAYS", 14)))

    def _visible(self, chosen, around):
        """Of ``chosen``, the reviews outsiders may read (``around``: every review they need
        to know whether the other side has answered)."""
        visible = {
            r["review_id"] for r in figures.visible_reviews(around, self.clock(), self._window())
        }
        return [r for r in chosen if r["review_id"] in visible]

    def _readable_review(self, session, actor, review_id):
        found = repository.review(session, review_id)
        if found is None:
            raise NotFound(f"no review {review_id}")
        if is_staff(actor) or actor["org"] in (found["reviewer_org"], found["reviewee_org"]):
            return found
        around = repository.reviews_of_orders(session, [found["order_id"]])
        if not self._visible([r for r in around if r["review_id"] == review_id], around):
            raise NotFound(f"no review {review_id}")
        return found
