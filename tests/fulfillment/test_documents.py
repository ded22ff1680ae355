"""Documents: an upload never recorded as a document is deleted once past its retention; one
that is recorded, or another service's, is kept."""

from datetime import UTC, datetime

import eventlet
import eventlet.event
import pytest
from nameko.testing.services import entrypoint_waiter

from chassis import locks
from chassis.blobs import blob_store
from contracts.documents import DOCUMENTS_BLOB_NAMESPACE
from contracts.errors import Conflict
from fulfillment import service
from support import files
from support.services import SUPPLIER


def document(blob, kind="inspection_report"):
    return {
        "kind": kind,
        "filename": f"{kind}.pdf",
        "blob_key": blob.key,
        "media_type": blob.media_type,
        "extension": blob.extension,
        "size": blob.size,
    }


def test_an_upload_never_recorded_is_deleted_after_its_retention_and_only_it(fulfillment):
    order_id = fulfillment.place()
    fulfillment.clock.now = datetime.now(UTC)
    documents = blob_store(fulfillment.config, namespace=DOCUMENTS_BLOB_NAMESPACE)
    elsewhere = blob_store(fulfillment.config, namespace="chat")  # another service's uploads
    report = files.pdf("inspection")
    recorded = documents.put(report)
    fulfillment.call("add_document", SUPPLIER, order_id, document(recorded))
    orphan = documents.put(files.pdf("never recorded"))
    their_file = files.pdf("theirs")
    theirs = elsewhere.put(their_file)

    sweep(fulfillment)  # within the retention (1 hour): everything is kept
    assert documents.modified(orphan.key) is not None

    fulfillment.clock.advance(hours=2)
    sweep(fulfillment)
    assert documents.modified(orphan.key) is None
    assert documents.get(recorded.key) == report
    assert elsewhere.get(theirs.key) == their_file
    # The request that stored it, coming back late, is told to upload it again.
    with pytest.raises(Conflict, match="upload it again"):
        fulfillment.call("add_document", SUPPLIER, order_id, document(orphan))
    assert len(fulfillment.call("list_documents", SUPPLIER, order_id)) == 1


def test_a_sweep_gets_past_more_recorded_documents_than_its_batch(fulfillment, monkeypatch):
    """With a batch of 1 and three recorded documents listed first, each sweep still deletes
    one orphan, at most, until none is left; the documents are kept."""
    monkeypatch.setattr(service, "BLOB_SWEEP_BATCH", 1)
    order_id = fulfillment.place()
    fulfillment.clock.now = datetime.now(UTC)
    store = blob_store(fulfillment.config, namespace=DOCUMENTS_BLOB_NAMESPACE)
    uploads = sorted((store.put(files.pdf(f"file {n}")) for n in range(5)), key=key_of)
    recorded, orphans = uploads[:3], uploads[3:]  # the store lists by key: recorded ones first
    for blob in recorded:
        fulfillment.call("add_document", SUPPLIER, order_id, document(blob))
    deleted_per_sweep = []

    def swept(worker_ctx, result, exc_info):
        deleted_per_sweep.append(result)
        return all(store.modified(blob.key) is None for blob in orphans)

    with entrypoint_waiter(fulfillment.container, "sweep_orphan_blobs", callback=swept, timeout=30):
        fulfillment.clock.advance(hours=2)  # every sweep that sees the orphans old is counted
    assert max(deleted_per_sweep) == 1 and sum(deleted_per_sweep) == len(orphans)
    assert all(store.modified(blob.key) is not None for blob in recorded)


def test_a_document_is_recorded_while_the_sweep_is_busy_with_another_upload(fulfillment):
    """The sweep holds one upload's lock at a time: recording another upload does not wait for
    the sweep, and the sweep then keeps it."""
    order_id = fulfillment.place()
    fulfillment.clock.now = datetime.now(UTC)
    store = blob_store(fulfillment.config, namespace=DOCUMENTS_BLOB_NAMESPACE)
    first, second = sorted((store.put(files.pdf(f"upload {n}")) for n in range(2)), key=key_of)
    assert locks.lock_key("blob", first.key) != locks.lock_key("blob", second.key)
    [storage] = [
        p.store.storage for p in fulfillment.container.dependencies if p.attr_name == "blobs"
    ]
    deleting, release = eventlet.event.Event(), eventlet.event.Event()
    delete = storage.delete

    def slow_delete(key):  # the store's call taking long, with the first upload's lock held
        deleting.send(key)
        release.wait()
        delete(key)

    storage.delete = slow_delete
    fulfillment.clock.advance(hours=2)
    assert deleting.wait() == first.key
    try:
        with eventlet.Timeout(10):
            fulfillment.call("add_document", SUPPLIER, order_id, document(second))
    finally:
        storage.delete = delete
        release.send()
    sweep(fulfillment)
    assert store.modified(first.key) is None
    assert store.modified(second.key) is not None


def key_of(blob):
    return blob.key


def sweep(fulfillment):
    """Wait until the sweep has run once more from now."""
    with entrypoint_waiter(fulfillment.container, "sweep_orphan_blobs"):
        pass


def test_a_file_uploaded_before_documents_had_a_namespace_is_still_recorded_and_kept(fulfillment):
    """Uploads from before the ``fulfillment/`` namespace are at the store's root: an add that
    was on its way then still finds its file, and the sweep never deletes from the root."""
    order_id = fulfillment.place()
    fulfillment.clock.now = datetime.now(UTC)
    root = blob_store(fulfillment.config)
    report = files.pdf("uploaded before the namespace")
    before = root.put(report)

    fulfillment.call("add_document", SUPPLIER, order_id, document(before))

    fulfillment.clock.advance(hours=2)
    sweep(fulfillment)
    assert root.get(before.key) == report
    [recorded] = fulfillment.call("list_documents", SUPPLIER, order_id)
    assert fulfillment.call("get_document", SUPPLIER, order_id, recorded["id"])["blob_key"] == (
        before.key
    )
