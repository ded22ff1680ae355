"""Documents: an upload never recorded as a document is deleted once past its retention; one
that is recorded, or another service's, is kept."""

from datetime import UTC, datetime

import pytest
from nameko.testing.services import entrypoint_waiter

from chassis.blobs import blob_store
from contracts.documents import DOCUMENTS_BLOB_NAMESPACE
from contracts.errors import Conflict
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
