"""The projection's rows: applying a change, reading an organisation's rows, rebuilding."""

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, delete, insert, select, tuple_, update
from sqlalchemy.orm import Session

from chassis import locks
from chassis.clock import as_utc, row_as_utc
from chassis.database import parameter_sets, upserting_insert
from chassis.pg_transactions import write_later
from profiles import tallies
from profiles.models import (
    conversation_posts,
    history,
    medians,
    moderation,
    order_facts,
    reviews,
    samples,
    verdicts,
)
from profiles.models import tallies as tallies_table
from profiles.projection import REVIEWED_SIDE, Change, change


def record(session: Session, events: list[dict[str, Any]]) -> None:
    """Keep events in the history: ``[{event_id, event_type, occurred_at, data}]``, one
    statement (a lone event's travels with the next)."""
    write_later(session, _KEEP_EVENT, parameter_sets(events))


@dataclass
class PendingTotals:
    """What a batch of events adds to the running totals and the medians, written once at its
    end (``write``): a burst of an organisation's orders moves each of its totals with one
    statement and locks each of its medians once, however many orders it brings."""

    counts: dict[tuple[str, ...], dict[str, Any]] = field(default_factory=dict)
    steps: dict[tuple[str, ...], list[tuple[bool, tallies.Sample]]] = field(default_factory=dict)

    def count(self, tally: tallies.Tally, count: int = 1) -> None:
        """Add ``count`` to a running total (and the tally's amount to its sum)."""
        found = self.counts.setdefault(
            _key_of(tally), {"count": 0, "total": 0, "first_at": tally.at, "last_at": tally.at}
        )
        found["count"] += count
        found["total"] += tally.amount
        found["first_at"] = min(found["first_at"], tally.at)
        found["last_at"] = max(found["last_at"], tally.at)

    def sample(self, sample: tallies.Sample, adding: bool = True) -> None:
        """Add a wait to its median (``adding=False``: take it back out), in this order."""
        self.steps.setdefault(_key_of(sample), []).append((adding, sample))

    def write(self, session: Session) -> None:
        # Always in the same order, so that two batches counting at once never deadlock.
        for key in sorted(self.counts):
            _count(session, dict(zip(TALLY_KEY, key, strict=True)), self.counts[key])
        for key in sorted(self.steps):
            _move_median(session, dict(zip(MEDIAN_KEY, key, strict=True)), self.steps[key])


TALLY_KEY = ("org", "side", "workflow", "name")
MEDIAN_KEY = ("org", "side", "workflow", "kind")


def apply(
    session: Session, event_id: str, at: datetime, done: Change, totals: PendingTotals
) -> None:
    """The event's change to the projection; what it adds to totals and medians goes to
    ``totals``, for its caller to write."""
    if done.message is not None:
        _message(session, done.order_id, done.message, totals)
        return
    if "workflow" not in done.parties:
        return  # a message nobody waits on (staff's, or in a support conversation)
    # The order's events arrive on separate queues, in any order and at once: whichever comes
    # first makes the row, the others only fill in their columns. The row is locked while its
    # contributions to the totals move, so two events of one order never count twice.
    built = _upserts_for(session)
    # Read back, locked, by the next statement.
    write_later(session, built.make_facts, {"order_id": done.order_id, "title": "", **done.parties})
    before = row_as_utc(
        session.execute(_FACTS_LOCKED, {"key_order_id": done.order_id}).mappings().one()
    )
    # A moment keeps its first value (a services order delivered again after a revision was
    # delivered when it was first delivered).
    filled = {k: v for k, v in done.facts.items() if before.get(k) is None or k == "title"}
    if filled:
        write_later(session, _FILL_FACTS, {"key_order_id": done.order_id, **filled})
    old_tallies, old_samples = tallies.of_order(before)
    new_tallies, new_samples = tallies.of_order({**before, **filled})
    added = new_tallies - old_tallies
    if done.verdict is not None:
        session.execute(
            insert(verdicts).values(
                event_id=event_id,
                order_id=done.order_id,
                verdict=done.verdict,
                at=at,
                **done.parties,
            )
        )
        added |= tallies.of_verdict(done.parties, done.verdict, at)
    for tally in added:
        totals.count(tally)
    for sample in new_samples - old_samples:
        totals.sample(sample)
    if done.review is not None:
        _review(session, done.review, totals)


def _review(session: Session, review: dict[str, Any], totals: PendingTotals) -> None:
    reviewed = REVIEWED_SIDE[review["reviewer_role"]]
    earlier = session.execute(
        select(reviews.c.rating).where(reviews.c.review_id == review["review_id"])
    ).scalar()
    session.execute(delete(reviews).where(reviews.c.review_id == review["review_id"]))
    session.execute(insert(reviews).values(review))
    tally = tallies.of_review(review, reviewed)
    if earlier is None:
        totals.count(tally)
    else:  # a review written again replaces the first: its rating, not its count, changes
        totals.count(replace(tally, amount=review["rating"] - earlier), count=0)


def _message(
    session: Session, order_id: str, message: dict[str, Any], totals: PendingTotals
) -> None:
    """A message of the order's conversation: the answers (response-time samples) derived from
    all its messages change by what this one changes, whatever order they arrive in."""
    locks.hold(session, "conversation", [order_id])
    before = _posts(session, order_id)
    session.execute(
        _insert(session, conversation_posts)
        .values(order_id=order_id, **message)
        .on_conflict_do_nothing(index_elements=["order_id", "message_id"])
    )
    old, new = tallies.replies(before), tallies.replies(_posts(session, order_id))
    for sample in old - new:
        totals.sample(sample, adding=False)
    for sample in new - old:
        totals.sample(sample)


def _posts(session: Session, order_id: str) -> list[Any]:
    query = select(conversation_posts).where(conversation_posts.c.order_id == order_id)
    return [row_as_utc(post) for post in _all(session, query)]


def _key_of(counted: tallies.Tally | tallies.Sample) -> tuple[str, ...]:
    name = counted.name if isinstance(counted, tallies.Tally) else counted.kind
    return (counted.org, counted.side, counted.workflow, name)


def _count(session: Session, key: dict[str, str], added: dict[str, Any]) -> None:
    """Add to a running total, widening its period: one statement, the row made if it is the
    first."""
    write_later(session, _upserts_for(session).count, {**key, **added})


def _move_median(
    session: Session, key: dict[str, str], steps: list[tuple[bool, tallies.Sample]]
) -> None:
    """Add (or take back out) each wait in turn, moving the median's middle one step each time
    (two index look-ups at most): the median's row is locked, read and written once.

    The samples, ordered by (seconds, sample_id), are all distinct; ``low`` and ``high`` are the
    elements at (n-1)//2 and n//2. A median with no samples yet is made with none (count 0), so
    that there is a row to lock, and removed again if it has none at the end.
    """
    built = _upserts_for(session)
    of_key = {f"key_{k}": v for k, v in key.items()}
    _, first = steps[0]
    row = dict(
        session.execute(
            built.make_or_lock_median,
            {
                **key,
                "count": 0,
                "low_seconds": first.seconds,
                "low_id": first.sample_id,
                "high_seconds": first.seconds,
                "high_id": first.sample_id,
                "first_at": first.at,
                "last_at": first.at,
            },
        )
        .mappings()
        .one()
    )
    for adding, sample in steps:
        x = (sample.seconds, sample.sample_id)
        if adding:
            inserted = session.execute(
                built.add_sample, {**key, "sample_id": sample.sample_id, "seconds": sample.seconds}
            ).rowcount
            if inserted:
                _with_sample(session, of_key, row, x, sample.at)
        else:
            removed = session.execute(_REMOVE_SAMPLE, {**of_key, "key_sample_id": x[1]}).rowcount
            if removed:
                _without_sample(session, of_key, row, x)
    if row["count"] == 0:
        write_later(session, _DROP_MEDIAN, of_key)
    else:
        write_later(session, _SAVE_MEDIAN, {**of_key, **row})


def _with_sample(session: Session, of_key: dict, row: dict, x: tuple, at: datetime) -> None:
    """``row`` with the wait ``x`` added. With n odd (low = high = m), the middle pair becomes
    (predecessor of m, m) if x < m, else (m, successor of m); with n even, the middle one is
    low if x < low, high if x > high, else x itself."""
    low, high = (row["low_seconds"], row["low_id"]), (row["high_seconds"], row["high_id"])
    if row["count"] == 0:
        low = high = x
        row["first_at"] = row["last_at"] = at
    elif row["count"] % 2:  # odd: low == high
        if x < low:
            low = _neighbour(session, of_key, low, before=True)
        else:
            high = _neighbour(session, of_key, high, before=False)
    else:
        middle = low if x < low else high if x > high else x
        low = high = middle
    row.update(
        count=row["count"] + 1,
        low_seconds=low[0],
        low_id=low[1],
        high_seconds=high[0],
        high_id=high[1],
        first_at=min(as_utc(row["first_at"]), at),
        last_at=max(as_utc(row["last_at"]), at),
    )


def _without_sample(session: Session, of_key: dict, row: dict, x: tuple) -> None:
    """``row`` with the wait ``x`` taken back out (a message arrived that changes which one it
    answered): the mirror of ``_with_sample``. With n odd (low = high = m), the middle pair
    becomes (m, successor) if x < m, (predecessor, m) if x > m, their neighbours if x is m;
    with n even, the middle one is high if x <= low, else low."""
    low, high = (row["low_seconds"], row["low_id"]), (row["high_seconds"], row["high_id"])
    if row["count"] == 1:
        pass  # no samples left (``_move_median`` deletes the row if none come back)
    elif row["count"] % 2:
        middle = low
        if x <= middle:
            high = _neighbour(session, of_key, middle, before=False)
            low = middle if x < middle else _neighbour(session, of_key, middle, before=True)
        else:
            low = _neighbour(session, of_key, middle, before=True)
    else:
        low = high = high if x <= low else low
    row.update(
        count=row["count"] - 1,
        low_seconds=low[0],
        low_id=low[1],
        high_seconds=high[0],
        high_id=high[1],
    )


def _neighbour(session: Session, of_key: dict, of: tuple, before: bool) -> tuple[float, str]:
    """The sample right before (or after) ``of`` in (seconds, sample_id) order; ``of_key``
    binds the median's key (``key_<column>``)."""
    found = session.execute(
        _NEIGHBOURS[before], {**of_key, "of_seconds": of[0], "of_id": of[1]}
    ).one()
    return (found.seconds, found.sample_id)


# --- the statements every event runs, built once: building a statement costs more CPU than
# running it from SQLAlchemy's cache ------------------------------------------------------------

_KEEP_EVENT = insert(history).inline()  # without RETURNING its serial key, nobody reads it
_FACTS_LOCKED = (
    select(order_facts).where(order_facts.c.order_id == bindparam("key_order_id")).with_for_update()
)
_FILL_FACTS = update(order_facts).where(order_facts.c.order_id == bindparam("key_order_id"))
_OF_MEDIAN = [medians.c[k] == bindparam(f"key_{k}") for k in MEDIAN_KEY]
_DROP_MEDIAN = delete(medians).where(*_OF_MEDIAN)
_SAVE_MEDIAN = update(medians).where(*_OF_MEDIAN)
_OF_SAMPLES = [samples.c[k] == bindparam(f"key_{k}") for k in MEDIAN_KEY]
_REMOVE_SAMPLE = delete(samples).where(
    *_OF_SAMPLES, samples.c.sample_id == bindparam("key_sample_id")
)
_SAMPLE_ORDER = tuple_(samples.c.seconds, samples.c.sample_id)
_SAMPLE_AT = tuple_(bindparam("of_seconds"), bindparam("of_id"))
_NEIGHBOURS = {
    True: select(samples.c.seconds, samples.c.sample_id)
    .where(*_OF_SAMPLES, _SAMPLE_ORDER < _SAMPLE_AT)
    .order_by(samples.c.seconds.desc(), samples.c.sample_id.desc())
    .limit(1),
    False: select(samples.c.seconds, samples.c.sample_id)
    .where(*_OF_SAMPLES, _SAMPLE_ORDER > _SAMPLE_AT)
    .order_by(samples.c.seconds, samples.c.sample_id)
    .limit(1),
}


@dataclass(frozen=True)
class _Upserts:
    """The statements that skip or update a row already there, in one dialect."""

    make_facts: Any
    count: Any
    make_or_lock_median: Any
    add_sample: Any


@functools.cache
def _upserts(dialect: str) -> _Upserts:
    insert_ = upserting_insert(dialect)
    tally = insert_(tallies_table)
    row, new = tallies_table.c, tally.excluded
    return _Upserts(
        make_facts=insert_(order_facts).on_conflict_do_nothing(
            index_elements=[order_facts.c.order_id]
        ),
        count=tally.on_conflict_do_update(
            index_elements=list(TALLY_KEY),
            set_={
                "count": row.count + new.count,
                "total": row.total + new.total,
                "first_at": case((row.first_at > new.first_at, new.first_at), else_=row.first_at),
                "last_at": case((row.last_at < new.last_at, new.last_at), else_=row.last_at),
            },
        ),
        # Made, or found and locked, in one statement: a row a concurrent batch deletes between
        # an insert and a SELECT ... FOR UPDATE cannot slip through.
        make_or_lock_median=insert_(medians)
        .on_conflict_do_update(index_elements=list(MEDIAN_KEY), set_={"count": medians.c.count})
        .returning(*medians.c),
        add_sample=insert_(samples).on_conflict_do_nothing(
            index_elements=[*MEDIAN_KEY, "sample_id"]
        ),
    )


def _upserts_for(session: Session) -> _Upserts:
    return _upserts(session.get_bind().dialect.name)


def rebuild(session: Session) -> int:
    """The projection again, from the history alone; staff's moderation is kept."""
    for table in (
        reviews,
        verdicts,
        order_facts,
        tallies_table,
        samples,
        medians,
        conversation_posts,
    ):
        session.execute(delete(table))
    replayed = 0
    totals = PendingTotals()
    rows = session.execute(select(history).order_by(history.c.occurred_at, history.c.seq))
    for row in rows.mappings().all():
        apply(
            session,
            row["event_id"],
            as_utc(row["occurred_at"]),
            change(row["event_type"], row["data"], as_utc(row["occurred_at"])),
            totals,
        )
        replayed += 1
    totals.write(session)
    return replayed


def totals_of(session: Session, org: str) -> dict[str, list[Any]]:
    """Everything an organisation's figures are read from: a few rows per workflow."""
    return {
        "tallies": list(
            session.execute(select(tallies_table).where(tallies_table.c.org == org)).mappings()
        ),
        "medians": list(session.execute(select(medians).where(medians.c.org == org)).mappings()),
    }


def _reviews_with_context() -> Any:
    """Reviews with their order's title and dates and staff's moderation."""
    return (
        select(
            reviews,
            order_facts.c.title,
            order_facts.c.placed_at,
            order_facts.c.completed_at,
            moderation.c.hidden_reason,
            moderation.c.hidden_by,
            moderation.c.hidden_at,
            moderation.c.reports,
        )
        .outerjoin(order_facts, order_facts.c.order_id == reviews.c.order_id)
        .outerjoin(moderation, moderation.c.review_id == reviews.c.review_id)
        .order_by(reviews.c.posted_at.desc(), reviews.c.review_id)
    )


def _all(session: Session, query: Any) -> list[Any]:
    return list(session.execute(query).mappings().all())


def reviews_of_orders(session: Session, order_ids: Iterable[str]) -> list[Any]:
    """Both sides' reviews of these orders: what the sealing rule needs to know."""
    return _all(session, _reviews_with_context().where(reviews.c.order_id.in_(set(order_ids))))


def received_since(session: Session, org: str, since: datetime) -> list[Any]:
    """Reviews ``org`` received after ``since``: the only ones that may still be sealed."""
    return _all(
        session,
        _reviews_with_context().where(reviews.c.reviewee_org == org, reviews.c.posted_at > since),
    )


def moderated_received(session: Session, org: str) -> list[Any]:
    """Reviews ``org`` received that were reported or hidden."""
    return _all(
        session,
        _reviews_with_context().where(
            reviews.c.reviewee_org == org, moderation.c.review_id.is_not(None)
        ),
    )


def latest_received(
    session: Session, org: str, reviewer_role: str, skip: set[str], limit: int, oldest=False
) -> list[Any]:
    """The newest (or oldest) ``limit`` reviews ``org`` received from ``reviewer_role``s, less
    ``skip``."""
    query = _reviews_with_context().where(
        reviews.c.reviewee_org == org, reviews.c.reviewer_role == reviewer_role
    )
    if skip:
        query = query.where(reviews.c.review_id.not_in(skip))
    if oldest:
        query = query.order_by(None).order_by(reviews.c.posted_at, reviews.c.review_id)
    return _all(session, query.limit(limit))


def latest_given(session: Session, org: str, limit: int) -> list[Any]:
    return _all(session, _reviews_with_context().where(reviews.c.reviewer_org == org).limit(limit))


def review(session: Session, review_id: str) -> Any:
    return (
        session.execute(select(reviews).where(reviews.c.review_id == review_id)).mappings().first()
    )


def moderate(session: Session, review_id: str, **values: Any) -> None:
    _ensure_moderation(session, review_id)
    session.execute(update(moderation).where(moderation.c.review_id == review_id).values(values))


def _ensure_moderation(session: Session, review_id: str) -> None:
    session.execute(
        _insert(session, moderation)
        .values(review_id=review_id, reports=[])
        .on_conflict_do_nothing(index_elements=[moderation.c.review_id])
    )


def _insert(session: Session, table: Any) -> Any:
    """An INSERT that can skip or update a row already there, in the session's dialect."""
    return upserting_insert(session.get_bind().dialect.name)(table)


def reports_of(session: Session, review_id: str) -> list[dict[str, Any]]:
    """The review's reports, locked until the transaction ends: reports may arrive at once."""
    _ensure_moderation(session, review_id)
    found = session.execute(
        select(moderation.c.reports).where(moderation.c.review_id == review_id).with_for_update()
    ).scalar()
    return list(found or [])
