"""Evidence files for disputes and claims: uploaded once into the blob store (``chassis.blobs``),
then referenced by their ``file_id`` in a dispute, a statement or a claim.

A reference is checked against the store when it is used, and its type is read from the stored
bytes, so a client can neither cite a file that was never uploaded nor pass a PDF off as the
photo a wrong-item claim requires. A download passes the access rule of the dispute or claim
that cites the file.
"""

import filetype
from flask import current_app

from chassis.blobs import BlobNotFound, BlobRejected, blob_store
from gateway.problems import Problem


def store():
    if "blobs" not in current_app.extensions:
        current_app.extensions["blobs"] = blob_store(current_app.config)
    return current_app.extensions["blobs"]


def upload(file) -> dict:
    """Store an uploaded file; its reference, or a 422 saying why it was refused."""
    try:
        blob = store().put(file.read(), filename=file.filename or "")
    except BlobRejected as error:
        raise Problem(
            422, "File refused", str(error), slug="file-refused", errors={"file": [str(error)]}
        ) from None
    return {
        "file_id": blob.key,
        "name": file.filename or f"evidence.{blob.extension}",
        "content_type": blob.media_type,
        "size": blob.size,
    }


def checked(request: dict) -> dict:
    """``request`` with each cited file's type taken from the store, or a 422 for an unknown one."""
    cited = []
    for item in request.get("evidence") or []:
        try:
            kind = filetype.guess(store().get(item["file_id"]))
        except BlobNotFound:
            message = f"no uploaded file {item['file_id']}: upload it to /evidence first"
            raise Problem(422, "Invalid request", message, errors={"evidence": [message]}) from None
        cited.append({**item, "content_type": kind.mime if kind else "application/octet-stream"})
    return {**request, "evidence": cited}


def cites(item: dict, file_id: str) -> bool:
    """Whether a dispute (with its statements) or a claim cites the file."""
    files = list(item.get("evidence") or [])
    for statement in item.get("statements") or []:
        files += statement.get("evidence") or []
    return any(f["file_id"] == file_id for f in files)


def download(item: dict, file_id: str, what: str):
    """The cited file of ``item`` (a dispute or claim the caller may see), or a 404."""
    if not cites(item, file_id):
        raise Problem(404, "Not found", f"{what} has no file {file_id}", slug="not-found")
    try:
        data = store().get(file_id)
    except BlobNotFound:
        raise Problem(404, "Not found", f"file {file_id} is gone", slug="not-found") from None
    kind = filetype.guess(data)
    return current_app.response_class(
        data,
        mimetype=kind.mime if kind else "application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{file_id}"'},
    )
