"""The fulfillment service: shipments, carrier scans, quality documents, delivery notes, returns."""

import base64
import functools
import itertools
import logging
from datetime import timedelta

from nameko.dependency_providers import Config
from nameko.rpc import rpc
from sqlalchemy import bindparam, delete, insert, select, update

from chassis import locks, waiting
from chassis.access import is_staff, visible_to
from chassis.backlog import Held
from chassis.blobs import Blobs
from chassis.calendar import Calendar
from chassis.clock import Clock, row_as_utc
from chassis.consumer import consume, consume_batches
from chassis.database import upserting_insert
from chassis.health import ServiceBase
from chassis.pg_transactions import write_later
from chassis.timers import every
from chassis.unit_of_work import UnitOfWork
from contracts.documents import DOCUMENTS_BLOB_NAMESPACE
from contracts.errors import Conflict, Forbidden, InvalidRequest, NotFound
from contracts.rpc.fulfillment import PARKED_SCANS
from contracts.rpc.orders import ORDER_IDS, check
from fulfillment import delivery_note, documents, domain, returns, tracking
from fulfillment.models import documents as documents_table
from fulfillment.models import fulfillments, metadata, scans, shipments, waiting_events
from fulfillment.models import returns as returns_table
from fulfillment.views import (
    fulfillment_statuses,
    fulfillment_view,
    parked_scans_view,
    shipment_view,
)

DEFAULT_UNSCANNED_WORKDAYS = 1
DEFAULT_ORPHAN_BLOB_RETENTION_HOURS = 24
DEFAULT_BLOB_SWEEP_INTERVAL_S = 3600
# A sweep deletes at most this many uploads (the next one goes on), looking up which keys
# documents use this many at a time.
BLOB_SWEEP_BATCH = 500
BLOB_SWEEP_CHUNK = 500
DEFAULT_PARKED_SCAN_WINDOW_DAYS = 30
# Parked scans are kept this long after their receipt for staff to look into (a mistyped
# tracking number), then deleted by the sweep, a batch per transaction.
DEFAULT_PARKED_SCAN_RETENTION_DAYS = 90
DEFAULT_PARKED_SCAN_SWEEP_INTERVAL_S = 3600
PARKED_SCAN_SWEEP_BATCH = 1000
UNSCANNED_BATCH = 100
SCAN_LINGER_S = 0.1
# What every order event runs, built once: building a statement costs more than running it from
# SQLAlchemy's cache.
_RECORD_OF = (
    select(fulfillments)
    .where(fulfillments.c.order_id == bindparam("key_order_id"))
    .with_for_update()
)
_INSERT_RECORD = waiting.record_insert(fulfillments, waiting_events)
# What an open record learns later; its parameters name the columns set.
_LEARN = update(fulfillments).where(fulfillments.c.id == bindparam("key_id"))
# ... and what every delivery of scans runs.
_SHIPMENTS_LOCKED = (
    select(shipments)
    .where(shipments.c.tracking_number.in_(bindparam("tracking_numbers", expanding=True)))
    .order_by(shipments.c.id)
    .with_for_update()
)

log = logging.getLogger(__name__)


class FulfillmentService(ServiceBase):
    name = "fulfillment"
    uow = UnitOfWork(metadata)
    clock = Clock()
    config = Config()
    blobs = Blobs(DOCUMENTS_BLOB_NAMESPACE)
    # Where the documents uploaded before they had a namespace are: read, never swept.
    blobs_before_namespace = Blobs()

    # -- the order facts fulfillment keeps ---------------------------------------------------
    #
    # Each event type has its own queue, so the events about one order may arrive in any order.
    # The order's record opens on ``order.placed`` or ``order.approved`` (or closes early on
    # ``order.cancelled``), whichever comes first; an event that needs the record and comes
    # before it waits in ``waiting_events`` and is applied when the record opens. Every handler
    # holds the order's lock first, so a record being opened and an event about to wait for it
    # never miss each other.

    @consume("order.placed")
    def on_order_placed(self, event):
        self._open(event)

    @consume("order.approved")
    def on_order_approved(self, event):
        self._open(event)

    def _open(self, event):
        with self.uow.transaction() as tx:
            record = self._record_of(tx.session, event.data["order_id"])
            if record is None:
                record = domain.open_fulfillment(event.data, self.clock())
                anything_waiting = self._insert_record(tx, record)
                tx.publish(
                    "fulfillment.opened",
                    {"order_id": record["order_id"], "fulfillment_id": record["id"]},
                )
                if anything_waiting:
                    self._apply_waiting(tx, record)
            elif record["status"] == domain.OPEN:
                # A late placement learns its facts, never that the order awaits an approval
                # that came before it.
                learnt = domain.placement_facts(event.data)
                if event.event_type == "order.approved" and record["awaits_approval"]:
                    learnt["awaits_approval"] = False
                if learnt:  # sent with the next statement, which sees it
                    write_later(
                        tx.session,
                        _LEARN,
                        {"key_id": record["id"], **learnt, "updated_at": self.clock()},
                    )
            # else: the cancellation overtook both

    @consume("order.cancelled")
    def on_order_cancelled(self, event):
        with self.uow.transaction() as tx:
            record = self._record_of(tx.session, event.data["order_id"])
            if record is None:
                record = domain.cancelled_before_approval(event.data, self.clock())
                if self._insert_record(tx, record):
                    self._apply_waiting(tx, record)
            elif domain.may_cancel(record):
                tx.session.execute(
                    update(fulfillments)
                    .where(fulfillments.c.id == record["id"])
                    .values(status=domain.CANCELLED, updated_at=self.clock())
                )

    @consume("order.ready_to_ship")
    def on_ready_to_ship(self, event):
        self._apply_when_open(event, self._ship_label)

    def _apply_when_open(self, event, apply):
        """``apply`` the event to its order's record, or keep it until the record opens."""
        with self.uow.transaction() as tx:
            record = self._record_of(tx.session, event.data["order_id"])
            if record is None:
                waiting.keep(tx.session, waiting_events, event, self.clock())
            else:
                apply(tx, record, event.data)

    def _ship_label(self, tx, record, label):
        """A retail seller labels the parcel at the order: that is a shipment of everything left,
        handed over, unless the seller registered it here already."""
        tracking_number = label["tracking_number"]
        known = tx.session.execute(
            select(shipments.c.id).where(
                shipments.c.order_id == record["order_id"],
                shipments.c.tracking_number == tracking_number,
            )
        ).first()
        lines = domain.remaining_lines(record)
        if record["status"] != domain.OPEN or known or not lines:
            return
        lines, allocated = domain.allocate(record, lines)
        shipment = self._add_shipment(tx, record, lines, allocated, "", tracking_number)
        self._hand_over(tx, shipment)

    @consume("order.rework_requested")
    def on_rework_requested(self, event):
        self._apply_when_open(event, self._take_back_rework)

    def _take_back_rework(self, tx, record, inspection):
        """Parts sent back for re-work are shipped again: they leave what the lines shipped."""
        lines = domain.reworked(record, inspection["lines"])
        if lines != record["lines"]:
            tx.session.execute(
                update(fulfillments)
                .where(fulfillments.c.id == record["id"])
                .values(lines=lines, updated_at=self.clock())
            )

    # What each event that may wait for its order's record does once the record is there.
    _WAITING_APPLIERS = {
        "order.ready_to_ship": "_ship_label",
        "order.rework_requested": "_take_back_rework",
    }

    @staticmethod
    def _insert_record(tx, record) -> bool:
        """Store a new record (its order's name held); whether any event waits for it."""
        return waiting.insert_record(tx.session, _INSERT_RECORD, record)

    def _apply_waiting(self, tx, record):
        """The events that came before ``record`` opened, applied in the order they happened,
        each once: they leave the table in the transaction that applies them."""
        for event in waiting.take(tx.session, waiting_events, record["order_id"]):
            apply = getattr(self, self._WAITING_APPLIERS[event.event_type])
            with tx.caused_by(event):
                apply(tx, self._record_of(tx.session, record["order_id"]), event.data)

    @consume("order.return_requested")
    def on_return_requested(self, event):
        with self.uow.transaction() as tx:
            tx.session.execute(
                insert(returns_table).values(**returns.requested(event.data, self.clock()))
            )

    # -- shipments ---------------------------------------------------------------------------

    @rpc
    def get_fulfillment(self, actor, order_id):
        """Everything fulfillment knows of the order, or None before it knows the order."""
        with self.uow.reading() as session:
            row = session.execute(
                select(fulfillments).where(
                    fulfillments.c.order_id == order_id,
                    visible_to(actor, fulfillments.c.buyer_org, fulfillments.c.supplier_org),
                )
            ).first()
            if row is None:
                return None
            return fulfillment_view(session, row._asdict())

    @rpc
    def fulfillment_statuses(self, actor, order_ids):
        """``{order_id: {status, tracking_numbers}}`` for a page of orders (an export's)."""
        check(ORDER_IDS, {"order_ids": order_ids})
        with self.uow.reading() as session:
            return fulfillment_statuses(session, actor, order_ids)

    @uow.command
    def create_shipment(self, tx, actor, order_id, request):
        """A shipment of chosen lines; handed over at once when ``hand_over`` is true."""
        request = _mapping(request)
        carrier = domain.carrier_of(request.get("carrier"))
        tracking_number = domain.tracking_number_of(request.get("tracking_number"))
        record = self._visible_record(tx.session, actor, order_id, for_update=True)
        domain.check_may_create_shipment(actor, record)
        lines, allocated = domain.allocate(record, request.get("lines"))
        shipment = self._add_shipment(tx, record, lines, allocated, carrier, tracking_number)
        if request.get("hand_over"):
            shipment = self._hand_over(tx, shipment)
        elif tracking_number:
            shipment = self._attach_parked(tx, shipment)
        return shipment_view(tx.session, shipment)

    @uow.command
    def update_shipment(self, tx, actor, order_id, shipment_id, request):
        """Change the carrier or tracking number, until the carrier's first scan."""
        request = _mapping(request)
        changes = {}
        if "carrier" in request:
            changes["carrier"] = domain.carrier_of(request["carrier"])
        if "tracking_number" in request:
            changes["tracking_number"] = domain.tracking_number_of(request["tracking_number"])
        record = self._visible_record(tx.session, actor, order_id)
        domain.check_may_ship(actor, record)
        before = self._shipment_of(tx.session, order_id, shipment_id)
        domain.check_tracking_editable(before)
        shipment = before
        if changes:
            shipment = self._save(tx, before, {**changes, "updated_at": self.clock()})
            if retracked := domain.tracking_change(before, shipment):
                tx.publish("shipment.tracking_changed", retracked)
            if shipment["tracking_number"]:
                shipment = self._attach_parked(tx, shipment)
        return shipment_view(tx.session, shipment)

    @uow.command
    def hand_over(self, tx, actor, order_id, shipment_id):
        """The supplier gave the parcel to the carrier: the orders workflow hears of it."""
        record = self._visible_record(tx.session, actor, order_id)
        domain.check_may_ship(actor, record)
        shipment = self._shipment_of(tx.session, order_id, shipment_id)
        if shipment["handed_over_at"] is None:
            shipment = self._hand_over(tx, shipment)
        return shipment_view(tx.session, shipment)

    @uow.command
    def withdraw_shipment(self, tx, actor, order_id, shipment_id):
        """Take back a draft shipment: its quantities are left to ship again. Nobody outside
        heard of it (``shipment.created`` comes with the hand-over), so nothing is announced."""
        record = self._visible_record(tx.session, actor, order_id, for_update=True)
        domain.check_shipping_role(actor)  # a cancelled order's drafts may go too
        shipment = self._shipment_of(tx.session, order_id, shipment_id)
        domain.check_may_withdraw(shipment)
        log.info(
            "shipment withdrawn",
            extra={
                "order_id": order_id,
                "shipment_number": shipment["number"],
                "by_user": actor["user_id"],
                "by_role": actor["role"],
            },
        )
        tx.session.execute(delete(shipments).where(shipments.c.id == shipment["id"]))
        tx.session.execute(
            update(fulfillments)
            .where(fulfillments.c.id == record["id"])
            .values(lines=domain.withdrawn(record, shipment), updated_at=self.clock())
        )
        return {"id": shipment["id"], "number": shipment["number"], "withdrawn": True}

    @rpc
    def get_shipment(self, actor, order_id, shipment_id):
        with self.uow.reading() as session:
            self._visible_record(session, actor, order_id)
            return shipment_view(session, self._shipment_of(session, order_id, shipment_id))

    @rpc
    def delivery_note(self, actor, order_id, shipment_id=None):
        """The delivery note / packing slip, for one shipment or the whole order, as a PDF."""
        with self.uow.reading() as session:
            record = self._visible_record(session, actor, order_id)
            query = select(shipments).where(shipments.c.order_id == order_id)
            if shipment_id is not None:
                query = query.where(shipments.c.id == shipment_id)
            chosen = [row._asdict() for row in session.execute(query.order_by(shipments.c.number))]
        if shipment_id is not None and not chosen:
            raise NotFound(f"shipment {shipment_id} not found")
        pdf = delivery_note.render(record, chosen, whole_order=shipment_id is None)
        suffix = f"-{chosen[0]['number']}" if shipment_id is not None else ""
        return {
            "filename": f"delivery-note-{order_id}{suffix}.pdf",
            "content_base64": base64.b64encode(pdf).decode(),
        }

    # -- carrier scans -----------------------------------------------------------------------

    # Up to 10 deliveries of up to MAX_BATCH scans each: a transaction of bounded size. A
    # scan's effect may wait SCAN_LINGER_S for other deliveries to share its transaction:
    # under load that halves fulfillment's CPU per scan (0.65 to 0.33 ms, docs/benchmarks.md),
    # and no one follows a parcel to the tenth of a second.
    @consume_batches("carrier.scans_received", batch=10, linger=SCAN_LINGER_S)
    def on_scans_received(self, events):
        """Store each scan once and apply it to its shipment, or park it until the shipment
        appears (ADR 22: the gateway answered the carrier 202 once this event was on the broker).
        The deliveries waiting are applied together: one lookup, insert and update for all of
        their scans (ADR 23).

        The contract validated every scan; a redelivered event is skipped by the inbox, and a
        scan the carrier sent again (a new event) is recognised by its dedupe key: no effect."""
        by_carrier: dict[str, list] = {}
        for event in events:
            carrier = domain.carrier_of(event.data["carrier"])
            if not carrier:
                raise InvalidRequest("carrier: required", {"errors": {"carrier": ["required"]}})
            by_carrier.setdefault(carrier, []).extend(event.data["scans"])
        with self.uow.transaction() as tx:
            for carrier, found in by_carrier.items():
                self._record_scans(tx, carrier, found)

    def _record_scans(self, tx, carrier, loaded):
        now = self.clock()
        rows = {}
        for scan in loaded:
            row = tracking.scan_row(carrier, scan, now)
            rows.setdefault(row["dedupe_key"], row)
        candidates = self._shipments_for(tx.session, list(rows.values()))
        before = dict(candidates)
        self._with_milestones(tx.session, candidates)
        shipment_for = self._matcher(candidates)
        for row in rows.values():
            shipment = shipment_for(row)
            row["shipment_id"] = None if shipment is None else shipment["id"]
        # Stored first, so that a concurrent delivery carrying one of these scans waits for this
        # one and then finds it stored (in one order, by key, so two such calls never deadlock).
        stored = self._store_new(tx.session, [rows[key] for key in sorted(rows)])
        fresh = sorted(
            (row for key, row in rows.items() if key in stored), key=lambda row: row["occurred_at"]
        )
        for row in fresh:
            if row["shipment_id"] is None:  # parked: ``_attach_parked`` applies it later
                continue
            shipment = candidates[row["shipment_id"]]
            changes, events = tracking.apply(shipment, row, self._hand_over_changes)
            candidates[shipment["id"]] = {**shipment, **changes}
            for event_type, payload in events:
                tx.publish(event_type, payload)
        self._save_all(
            tx,
            {
                shipment_id: {k: v for k, v in shipment.items() if before[shipment_id][k] != v}
                for shipment_id, shipment in candidates.items()
            },
        )

    def _shipments_for(self, session, rows) -> dict:
        """The shipments the scans may be about, locked. A scan whose shipment is not found
        holds its tracking number's lock and looks again: a shipment committed meanwhile is
        found, and one committed later finds the scan parked (``_attach_parked``)."""
        candidates = self._lock_shipments(session, {row["tracking_number"] for row in rows})
        shipment_for = self._matcher(candidates)
        unmatched = {row["tracking_number"] for row in rows if shipment_for(row) is None}
        if unmatched:
            locks.hold(session, "tracking", unmatched)
            candidates.update(self._lock_shipments(session, unmatched))
        return candidates

    def _store_new(self, session, rows) -> set:
        """The dedupe keys of ``rows`` that were not stored yet, now stored."""
        statement = _new_scans_insert(session.get_bind().dialect.name)
        return set(session.execute(statement, rows).scalars())

    @staticmethod
    def _lock_shipments(session, tracking_numbers) -> dict:
        """Every shipment the scans may be about, locked in one order (by id), so that
        concurrent batches touching the same shipments wait for each other, never deadlock."""
        if not tracking_numbers:
            return {}
        rows = session.execute(_SHIPMENTS_LOCKED, {"tracking_numbers": sorted(tracking_numbers)})
        return {row.id: row_as_utc(row._asdict()) for row in rows}

    @staticmethod
    def _with_milestones(session, candidates: dict) -> None:
        """Fill in the milestones of shipments stored before they were kept on the row, from
        their scans (saved with the shipment's next change)."""
        missing = [key for key, shipment in candidates.items() if shipment["milestones"] is None]
        if not missing:
            return
        reached: dict = {shipment_id: [] for shipment_id in missing}
        rows = session.execute(
            select(scans.c.shipment_id, scans.c.status, scans.c.location_kind)
            .where(scans.c.shipment_id.in_(missing))
            .distinct()
            .order_by(scans.c.shipment_id, scans.c.status, scans.c.location_kind)
        )
        for shipment_id, status, kind in rows:
            reached[shipment_id].append([status, kind])
        for shipment_id, milestones in reached.items():
            candidates[shipment_id] = {**candidates[shipment_id], "milestones": milestones}

    def _matcher(self, candidates: dict):
        return tracking.matcher(candidates.values(), self._parked_window())

    def _apply_scan(self, tx, shipment, scan):
        candidates = {shipment["id"]: shipment}
        self._with_milestones(tx.session, candidates)
        known = candidates[shipment["id"]]
        changes, events = tracking.apply(known, scan, self._hand_over_changes)
        if known["milestones"] != shipment["milestones"]:  # filled in from its scans
            changes.setdefault("milestones", known["milestones"])
        if scan["shipment_id"] != shipment["id"]:  # a parked scan, found its shipment
            tx.session.execute(
                update(scans).where(scans.c.id == scan["id"]).values(shipment_id=shipment["id"])
            )
        shipment = self._save(tx, shipment, changes)
        for event_type, payload in events:
            tx.publish(event_type, payload)
        return shipment

    def _attach_parked(self, tx, shipment):
        """Scans that came before the shipment was known to us, now applied in event order.
        The tracking number's lock first: a scan being parked meanwhile is waited for."""
        locks.hold(tx.session, "tracking", [shipment["tracking_number"]])
        parked = tx.session.execute(
            select(scans)
            .where(
                scans.c.tracking_number == shipment["tracking_number"],
                scans.c.shipment_id.is_(None),
            )
            .order_by(scans.c.occurred_at)
            .with_for_update()
        )
        window = self._parked_window()
        for row in [row._asdict() for row in parked]:
            if tracking.may_carry(shipment, row["carrier"], row["occurred_at"], window):
                shipment = self._apply_scan(tx, shipment, row)
        return shipment

    @every("TIMER_INTERVAL_S", 5)
    def report_unscanned(self):
        """``parcel.unscanned`` once for each parcel handed over and not scanned in time."""
        now = self.clock()
        with self.uow.transaction() as tx:
            due = tx.session.execute(
                select(shipments)
                .where(
                    shipments.c.unscanned_due_at <= now,
                    shipments.c.first_scan_at.is_(None),
                    shipments.c.unscanned_reported.is_(False),
                )
                .limit(UNSCANNED_BATCH)
                .with_for_update(skip_locked=True)
            )
            for shipment in [row._asdict() for row in due]:
                self._save(tx, shipment, {"unscanned_reported": True, "updated_at": now})
                tx.publish(
                    "parcel.unscanned",
                    {
                        **domain.parcel_payload(shipment),
                        "handed_over_at": shipment["handed_over_at"].isoformat(),
                        "due_at": shipment["unscanned_due_at"].isoformat(),
                    },
                )

    # -- documents and returns ---------------------------------------------------------------

    @every("BLOB_SWEEP_INTERVAL_S", DEFAULT_BLOB_SWEEP_INTERVAL_S)
    def sweep_orphan_blobs(self):
        """Delete the uploads that no document refers to, once they are older than
        ``ORPHAN_BLOB_RETENTION_HOURS`` (an upload whose document was refused, or whose request
        died between storing the file and recording it). The number deleted."""
        hours = float(
            self.config.get("ORPHAN_BLOB_RETENTION_HOURS", DEFAULT_ORPHAN_BLOB_RETENTION_HOURS)
        )
        cutoff = self.clock() - timedelta(hours=hours)
        candidates = documents.unused(
            self.blobs.stored_before(cutoff), self._recorded_blobs, BLOB_SWEEP_CHUNK
        )
        return sum(
            self._delete_if_orphan(key, cutoff)
            for key in itertools.islice(candidates, BLOB_SWEEP_BATCH)
        )

    def _recorded_blobs(self, keys):
        with self.uow.reading() as session:
            return documents.recorded(session, keys)

    def _delete_if_orphan(self, key, cutoff):
        """Delete the upload unless a document refers to it by now; whether it was deleted.
        A short transaction holding this one key's lock: ``add_document`` waits for one check
        and one delete at most, never for the whole sweep and its calls to the store."""
        with self.uow.transaction() as tx:
            locks.hold(tx.session, "blob", [key])
            if documents.recorded(tx.session, [key]):
                return False
            modified = self.blobs.modified(key)
            # Stored again since it was listed: an upload on its way to a document.
            if modified is None or modified >= cutoff:
                return False
            self.blobs.delete(key)
        log.info("deleted an orphan upload", extra={"blob_key": key})
        return True

    @uow.command
    def add_document(self, tx, actor, order_id, document):
        """Record a stored blob as one of the order's documents; ``document.uploaded`` follows."""
        self._visible_record(tx.session, actor, order_id)
        row = documents.new(actor, order_id, _mapping(document), self.clock())
        # The sweep holds the blob's name while it decides to delete it: after it, a blob that
        # is still there is kept, since it is now referenced.
        locks.hold(tx.session, "blob", [row["blob_key"]])
        if (
            self.blobs.modified(row["blob_key"]) is None
            and self.blobs_before_namespace.modified(row["blob_key"]) is None
        ):
            raise Conflict(
                "the uploaded file is no longer stored; upload it again",
                {"blob_key": row["blob_key"]},
            )
        tx.session.execute(insert(documents_table).values(**row))
        tx.publish(
            "document.uploaded",
            {"order_id": order_id, "document_id": row["id"], "kind": row["kind"]},
        )
        return documents.view(row)

    @rpc
    def list_documents(self, actor, order_id):
        with self.uow.reading() as session:
            self._visible_record(session, actor, order_id)
            return documents.of_order(session, order_id)

    @rpc
    def get_document(self, actor, order_id, document_id):
        """The document's metadata, with the blob key to read it from the store."""
        with self.uow.reading() as session:
            self._visible_record(session, actor, order_id)
            row = session.execute(
                select(documents_table).where(
                    documents_table.c.order_id == order_id, documents_table.c.id == document_id
                )
            ).first()
        if row is None:
            raise NotFound(f"document {document_id} not found")
        return {**documents.view(row._asdict()), "blob_key": row.blob_key}

    @uow.command
    def receive_return(self, tx, actor, order_id, return_id, request):
        """The returned goods reached the warehouse (and were checked at pick-up)."""
        request = _mapping(request)
        record = self._visible_record(tx.session, actor, order_id)
        found = tx.session.execute(
            select(returns_table)
            .where(returns_table.c.order_id == order_id, returns_table.c.id == return_id)
            .with_for_update()
        ).first()
        if found is None:
            raise NotFound(f"return {return_id} not found")
        photo_ids = set(
            tx.session.scalars(
                select(documents_table.c.id).where(documents_table.c.order_id == order_id)
            )
        )
        changes, event = returns.receive(
            actor, record, found._asdict(), request, photo_ids, self.clock()
        )
        if changes:
            tx.session.execute(
                update(returns_table).where(returns_table.c.id == return_id).values(**changes)
            )
            tx.publish("return.received", event)
        return returns.of_order(tx.session, order_id, return_id)[0]

    # -- helpers -----------------------------------------------------------------------------

    def _add_shipment(self, tx, record, lines, allocated, carrier, tracking_number):
        """A new shipment of ``lines``, the record's lines becoming ``allocated``. Its number is
        never one a withdrawn draft had: a delivery note printed for it names that parcel."""
        number = record["shipments_numbered"] + 1
        tx.session.execute(
            update(fulfillments)
            .where(fulfillments.c.id == record["id"])
            .values(lines=allocated, shipments_numbered=number, updated_at=self.clock())
        )
        shipment = domain.new_shipment(
            record, number, lines, carrier, tracking_number, self.clock()
        )
        tx.session.execute(insert(shipments).values(**shipment))
        return shipment

    def _hand_over(self, tx, shipment):
        shipment = self._save(tx, shipment, self._hand_over_changes(shipment))
        tx.publish("shipment.created", domain.parcel_payload(shipment))
        return self._attach_parked(tx, shipment)

    def _hand_over_changes(self, shipment):
        now = self.clock()
        workdays = int(self.config.get("UNSCANNED_AFTER_WORKDAYS", DEFAULT_UNSCANNED_WORKDAYS))
        calendar = Calendar.from_config(self.config.get("HOLIDAYS"))
        return domain.hand_over(shipment, now, calendar.add_business_days(now, workdays))

    @rpc
    def parked_scans(self, actor, query):
        """For platform staff: the scans no shipment claimed, newest first, to find a mistyped
        or recycled tracking number (``contracts.rpc.fulfillment.PARKED_SCANS``)."""
        if not is_staff(actor):
            raise Forbidden("only platform staff see parked scans", {"role": actor.get("role")})
        check(PARKED_SCANS, query)
        query = PARKED_SCANS.load(query)
        if "carrier" in query:
            query["carrier"] = domain.carrier_of(query["carrier"])
        with self.uow.reading() as session:
            return parked_scans_view(session, query, self.clock() - self._parked_window())

    @every("PARKED_SCAN_SWEEP_INTERVAL_S", DEFAULT_PARKED_SCAN_SWEEP_INTERVAL_S)
    def sweep_parked_scans(self):
        """Delete the parked scans received more than ``PARKED_SCAN_RETENTION_DAYS`` ago (never
        less than the matching window) that happened before that too: a scan a carrier sends
        late is kept as long as any other. The number deleted."""
        days = float(
            self.config.get("PARKED_SCAN_RETENTION_DAYS", DEFAULT_PARKED_SCAN_RETENTION_DAYS)
        )
        cutoff = self.clock() - max(timedelta(days=days), self._parked_window())
        expired = (
            scans.c.shipment_id.is_(None)
            & (scans.c.received_at < cutoff)
            & (scans.c.occurred_at < cutoff)
        )
        batch = select(scans.c.id).where(expired).limit(PARKED_SCAN_SWEEP_BATCH)
        deleted = 0
        while True:  # short transactions, a batch each, until one comes back short
            with self.uow.transaction() as tx:
                # ``expired`` again on the rows themselves: a scan claimed meanwhile stays.
                count = tx.session.execute(
                    delete(scans).where(scans.c.id.in_(batch.scalar_subquery()), expired)
                ).rowcount
            deleted += count
            if count < PARKED_SCAN_SWEEP_BATCH:
                return deleted

    def own_backlog(self) -> tuple[Held, ...]:
        """Scans parked until their shipment appears, those still inside the matching window: an
        older one belongs to a parcel that will never be ours (a recycled or mistyped number)."""
        may_still_match = scans.c.occurred_at >= self.clock() - self._parked_window()
        parked = scans.c.shipment_id.is_(None) & may_still_match
        return (Held("parked_scans", scans, scans.c.received_at, parked),)

    def _parked_window(self):
        days = float(self.config.get("PARKED_SCAN_WINDOW_DAYS", DEFAULT_PARKED_SCAN_WINDOW_DAYS))
        return timedelta(days=days)

    @staticmethod
    def _save_all(tx, changes_by_id) -> None:
        """Save many shipments' changes: one statement, run for every shipment that changed
        the same columns (a burst of scans changes the same few on each)."""
        alike: dict[tuple, list[dict]] = {}
        for shipment_id, changes in changes_by_id.items():
            if changes:
                row = {"shipment_id": shipment_id, **{f"new_{k}": v for k, v in changes.items()}}
                alike.setdefault(tuple(sorted(changes)), []).append(row)
        for columns, rows in alike.items():
            tx.session.execute(_shipments_update(columns), rows)

    @staticmethod
    def _save(tx, shipment, changes):
        if changes:
            tx.session.execute(
                update(shipments).where(shipments.c.id == shipment["id"]).values(**changes)
            )
        return {**shipment, **changes}

    @staticmethod
    def _record_of(session, order_id) -> dict | None:
        """The order's record, locked; or None, with the order's name locked so that no other
        handler opens it meanwhile (see ``chassis.locks``)."""
        locks.hold(session, "order", [order_id], with_next=True)  # with the record's read
        row = session.execute(_RECORD_OF, {"key_order_id": order_id}).first()
        return None if row is None else row._asdict()

    @staticmethod
    def _visible_record(session, actor, order_id, for_update=False) -> dict:
        query = select(fulfillments).where(
            fulfillments.c.order_id == order_id,
            visible_to(actor, fulfillments.c.buyer_org, fulfillments.c.supplier_org),
        )
        row = session.execute(query.with_for_update() if for_update else query).first()
        if row is None:
            raise NotFound(f"order {order_id} not found")
        return row._asdict()

    @staticmethod
    def _shipment_of(session, order_id, shipment_id) -> dict:
        row = session.execute(
            select(shipments)
            .where(shipments.c.order_id == order_id, shipments.c.id == shipment_id)
            .with_for_update()
        ).first()
        if row is None:
            raise NotFound(f"shipment {shipment_id} not found")
        return row._asdict()


def _mapping(value) -> dict:
    if not isinstance(value, dict):
        raise InvalidRequest("the request must be an object", {"errors": {"_": ["an object"]}})
    return value


@functools.cache
def _new_scans_insert(dialect: str):
    """The INSERT of a delivery's scans that skips those stored already and returns the dedupe
    keys of those it stored, built once per dialect."""
    statement = upserting_insert(dialect)(scans).on_conflict_do_nothing(
        index_elements=["dedupe_key"]
    )
    return statement.returning(scans.c.dedupe_key)


@functools.cache
def _shipments_update(columns: tuple[str, ...]):
    """The UPDATE of ``columns`` of many shipments (``new_<column>``, ``shipment_id``), built
    once per set of columns: a burst of scans changes the same few on each."""
    return (
        update(shipments)
        .where(shipments.c.id == bindparam("shipment_id"))
        .values({column: bindparam(f"new_{column}") for column in columns})
    )
