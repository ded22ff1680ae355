"""Where an order's documents are stored: shared by the gateway, which stores each upload, and
the fulfillment service, which records it and sweeps the uploads never recorded. A namespace of
the blob store of their own, so that the sweep deletes nothing another service stored."""

DOCUMENTS_BLOB_NAMESPACE = "fulfillment"
