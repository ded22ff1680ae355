"""The carrier door: scan webhooks from carriers and tracking aggregators (see ``door``)."""
