"""Documents: an upload never recorded as a document is deleted once past its retention; one
that is recorded, or another service's, is kept."""

from datetime import UTC, datetime

import pytest
from nameko.testing.services import entrypoint_waiter

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
    uploads = sorted((store.put(files.pdf(f"file {n}")) for n in range(5)), key=lambda b: b.key)
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
