"""Quality documents and photos attached to an order: what they are and who may add them.

The bytes live in the blob store (``chassis.blobs``), put there and vetted by the gateway;
this service keeps what the blob is, which order it belongs to, and who added it.
"""

import itertools
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator
from datetime import datetime

from sqlalchemy import select

from contracts.errors import Forbidden, InvalidRequest
from contracts.events.fulfillment import DOCUMENT_KINDS
from fulfillment.models import documents

KINDS = DOCUMENT_KINDS
UPLOADER_ROLES = ("supplier", "admin", "support")
MAX_FILENAME = 255


def new(actor: dict, order_id: str, document: dict, now: datetime) -> dict:
    if actor["role"] not in UPLOADER_ROLES:
        raise Forbidden("only the supplier (or platform staff) adds documents", actor)
    kind = document.get("kind")
    errors = {}
    if kind not in KINDS:
        errors["kind"] = [f"one of {', '.join(KINDS)}"]
    key = document.get("blob_key")
    if not isinstance(key, str) or len(key) != 64:
        errors["blob_key"] = ["the key the blob store gave"]
    if errors:
        raise InvalidRequest("invalid document", {"errors": errors})
    filename = str(document.get("filename") or f"{kind}.{document.get('extension', 'bin')}")
    return {
        "id": str(uuid.uuid4()),
        "order_id": order_id,
        "kind": kind,
        "filename": filename[-MAX_FILENAME:],
        "blob_key": key,
        "media_type": str(document.get("media_type", "application/octet-stream")),
        "size": int(document.get("size", 0)),
        "uploaded_by": {k: actor[k] for k in ("user_id", "role", "org")},
        "uploaded_at": now,
    }


def view(row: dict) -> dict:
    shown = {k: v for k, v in row.items() if k != "blob_key"}
    shown["uploaded_at"] = row["uploaded_at"].isoformat()
    return shown


def of_order(session, order_id: str) -> list[dict]:
    rows = session.execute(
        select(documents)
        .where(documents.c.order_id == order_id)
        .order_by(documents.c.uploaded_at, documents.c.id)
    )
    return [view(row._asdict()) for row in rows]


def unused(
    keys: Iterable[str], used: Callable[[list[str]], Collection[str]], chunk: int
) -> Iterator[str]:
    """The ``keys`` that ``used`` does not claim, asking it about ``chunk`` keys at a time: a walk
    of the store gets past however many recorded documents come first in its listing."""
    remaining = iter(keys)
    while part := list(itertools.islice(remaining, chunk)):
        claimed = used(part)
        yield from (key for key in part if key not in claimed)


def recorded(session, keys: list[str]) -> set[str]:
    """Those of the blob ``keys`` that documents refer to."""
    return set(session.scalars(select(documents.c.blob_key).where(documents.c.blob_key.in_(keys))))
