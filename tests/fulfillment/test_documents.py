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
