"""The profiles service: each organisation's reputation, projected from the orders' events.

Every consumed event is kept in ``history`` and applied to the projection in the transaction
that records it in the inbox, so a redelivery changes nothing; ``rebuild`` replays the history.
"""

from datetime import timedelta

from nameko.dependency_providers import Config
from nameko.rpc import rpc

from chassis.clock import Clock
from chassis.consumer import consume
from chassis.health import ServiceBase
from chassis.unit_of_work import UnitOfWork
from contracts.errors import Forbidden, InvalidRequest, NotFound
from contracts.rpc import orders as requests
from profiles import figures, repository
from profiles.models import metadata
from profiles.projection import EVENT_TYPES, change, kept

STAFF = frozenset({"admin", "support"})
REASON_LENGTH = 2000


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

    def on_order_event(self, event):
        with self.uow.transaction() as tx:
            data = kept(event.data)
            repository.record(tx.session, event.event_id, event.event_type, event.occurred_at, data)
            repository.apply(
                tx.session,
                event.event_id,
                event.occurred_at,
                change(event.event_type, data, event.occurred_at),
            )

    # One ``@consume`` per event the projection reads (``projection.EVENT_TYPES``).
    for _event_type in EVENT_TYPES:
        on_order_event = consume(_event_type)(on_order_event)
    del _event_type

    @rpc
    def get_profile(self, actor, org):
        actor = checked_actor(actor)
        with self.uow.reading() as session:
            rows = repository.rows_of(session, org)
        staff = actor["role"] in STAFF
        itself = actor["org"] == org
        received = [r for r in rows["reviews"] if r["reviewee_org"] == org]
        readable = received if staff else self._visible(received, rows["reviews"])
        profile = {
            "org": org,
            "as_of": self.clock().isoformat(),
            "view": "staff" if staff else "own" if itself else "public",
            **{
                side: figures.side(
                    org,
                    side,
                    rows["orders"],
                    rows["verdicts"],
                    [r for r in readable if figures.REVIEWED_SIDE[r["reviewer_role"]] == side],
                )
                for side in figures.SIDES
            },
        }
        if itself or staff:
            profile["reviews_given"] = [
                {**figures.review_view(r), "about_org": r["reviewee_org"]}
                for r in rows["reviews"]
                if r["reviewer_org"] == org
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
                for r in received
                if r["reports"] or r["hidden_reason"]
            ]
        return profile

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
        if actor["role"] not in STAFF:
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
        if checked_actor(actor)["role"] not in STAFF:
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
        if actor["role"] in STAFF or actor["org"] in (found["reviewer_org"], found["reviewee_org"]):
            return found
        around = repository.reviews_around(session, found["reviewee_org"])
        if not self._visible([r for r in around if r["review_id"] == review_id], around):
            raise NotFound(f"no review {review_id}")
        return found
