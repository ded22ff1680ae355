"""The blob store: uploaded files (documents, photos, attachments, evidence) by content address.

Every service that keeps files uses it the same way::

    store = blob_store(config)                      # or ``blobs = Blobs()`` in a Nameko service
    blob = store.put(data, filename="report.pdf")   # vetted, cleaned, stored; BlobRejected if not
    data = store.get(blob.key)

``put`` vets what it is given before storing it: the size limit, the type sniffed from the bytes
(never trusted from the name or a header) against the allowed types, and images decoded and
re-encoded so that no EXIF (GPS, camera, owner) metadata survives. A blob's key is the SHA-256
of the stored bytes, so storing the same file twice stores it once and a retried upload is
harmless. Metadata (who may see it, which order it belongs to) lives with the owning service.

A service that must be able to delete what it stored (``sweep``: uploads never attached to
anything) keeps its blobs in a namespace of its own (``blob_store(config, namespace="...")``):
the same bytes stored by another service are another blob, never deleted under it.

Where blobs live is configuration: ``BLOB_STORE_URL`` unset keeps them in ``$DATA_DIR/blobs``;
``s3://bucket/prefix`` keeps them in an S3-compatible bucket (``BLOB_S3_ENDPOINT_URL`` for one
that is not AWS; credentials the way boto3 finds them, from the environment or a role).
"""

import hashlib
import io
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

import filetype
from nameko.extensions import DependencyProvider
from PIL import Image, ImageOps, UnidentifiedImageError

from chassis.settings import data_dir

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# A decompression bomb is refused, not decoded: 50 megapixels is a large phone photo twice over.
MAX_IMAGE_PIXELS = 50_000_000

# Media types a blob may have, and the extension each is stored and served with.
PDF = {"application/pdf": "pdf"}
IMAGES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}
OFFICE = {
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}
DOCUMENTS = {**PDF, **IMAGES, **OFFICE}

_PILLOW_FORMATS = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WEBP",
    "image/gif": "GIF",
}


class BlobRejected(ValueError):
    """The file may not be stored; the message says why, in words a user can act on."""


class BlobNotFound(LookupError):
    """No blob has this key."""


@dataclass(frozen=True)
class Blob:
    key: str  # the SHA-256 of the stored bytes, hex
    size: int
    media_type: str
    extension: str


class Storage(Protocol):
    def write(self, key: str, data: bytes, media_type: str) -> None: ...
    def read(self, key: str) -> bytes: ...
    def modified(self, key: str) -> datetime | None: ...
    def stored(self) -> Iterator[tuple[str, datetime]]: ...
    def delete(self, key: str) -> None: ...


class BlobStore:
    def __init__(self, storage: Storage, max_bytes: int = DEFAULT_MAX_BYTES):
        self.storage = storage
        self.max_bytes = max_bytes

    def put(self, data: bytes, filename: str = "", allowed: dict[str, str] = DOCUMENTS) -> Blob:
        """Vet ``data`` and store it. ``filename`` only makes refusals clearer; it decides
        nothing. Raises ``BlobRejected``."""
        data, media_type = vet(data, self.max_bytes, allowed, filename)
        blob = Blob(hashlib.sha256(data).hexdigest(), len(data), media_type, allowed[media_type])
        self.storage.write(blob.key, data, media_type)
        return blob

    def get(self, key: str) -> bytes:
        if not _is_key(key):
            raise BlobNotFound(key)
        return self.storage.read(key)

    def modified(self, key: str) -> datetime | None:
        """When the blob was last stored (storing the same bytes again renews it); None if
        there is no such blob."""
        return self.storage.modified(key) if _is_key(key) else None

    def stored_before(self, cutoff: datetime) -> Iterator[str]:
        """The key of every blob last stored before ``cutoff``."""
        for key, modified in self.storage.stored():
            if modified < cutoff:
                yield key

    def delete(self, key: str) -> None:
        if _is_key(key):
            self.storage.delete(key)


def vet(
    data: bytes, max_bytes: int, allowed: dict[str, str], filename: str = ""
) -> tuple[bytes, str]:
    """``(bytes to store, media type)``: ``data`` checked, and cleaned if it is an image."""
    if not data:
        raise BlobRejected("the file is empty")
    if len(data) > max_bytes:
        raise BlobRejected(f"the file is {len(data)} bytes; at most {max_bytes} are accepted")
    kind = filetype.guess(data)
    if kind is None or kind.mime not in allowed:
        found = f"{kind.mime} (.{kind.extension})" if kind else "of an unrecognised type"
        named = Path(filename).suffix.lower()
        claim = f" although its name ends in {named}" if named else ""
        raise BlobRejected(
            f"the file's content is {found}{claim}; accepted: "
            + ", ".join(sorted({f".{ext}" for ext in allowed.values()}))
        )
    if kind.mime in _PILLOW_FORMATS:
        return _without_metadata(data, kind.mime), kind.mime
    return data, kind.mime


def _without_metadata(data: bytes, media_type: str) -> bytes:
    """The image re-encoded from its pixels alone: EXIF, GPS, XMP and comments are left behind."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise BlobRejected(f"the image is larger than {MAX_IMAGE_PIXELS} pixels")
            image.load()
            upright = ImageOps.exif_transpose(image)  # the orientation tag goes: apply it first
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        if isinstance(error, BlobRejected):
            raise
        raise BlobRejected(f"the image cannot be read: {error}") from None
    if media_type == "image/jpeg" and upright.mode not in ("RGB", "L", "CMYK"):
        upright = upright.convert("RGB")
    pixels = Image.new(upright.mode, upright.size)
    pixels.frombytes(upright.tobytes())
    if upright.mode == "P":
        palette = upright.getpalette()
        if palette:
            pixels.putpalette(palette)
    out = io.BytesIO()
    pixels.save(out, format=_PILLOW_FORMATS[media_type])
    return out.getvalue()


def _moment(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


def _is_key(key: str) -> bool:
    return len(key) == 64 and all(c in "0123456789abcdef" for c in key)


class FolderStorage:
    """Blobs as files under a folder, two levels of fan-out by key."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / key[2:4] / key

    def write(self, key: str, data: bytes, media_type: str) -> None:
        path = self._path(key)
        if path.exists():
            os.utime(path)  # stored again: its age starts again, as an S3 object's does
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside, then renamed: a reader never sees half a file.
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as part:
            part.write(data)
            part.flush()
            os.fsync(part.fileno())
        os.replace(part.name, path)

    def read(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise BlobNotFound(key) from None

    def modified(self, key: str) -> datetime | None:
        try:
            return _moment(self._path(key).stat().st_mtime)
        except FileNotFoundError:
            return None

    def stored(self) -> Iterator[tuple[str, datetime]]:
        # In key order, as S3 lists a bucket: every walk takes the same path.
        for first in sorted(self.root.glob("??")):
            for path in sorted(first.glob("??/*")):
                if not _is_key(path.name):
                    continue
                try:
                    yield path.name, _moment(path.stat().st_mtime)
                except FileNotFoundError:  # deleted meanwhile
                    continue

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class S3Storage:
    """Blobs as objects in an S3-compatible bucket, under an optional prefix."""

    def __init__(
        self, bucket: str, prefix: str = "", client: Any = None, endpoint_url: str | None = None
    ):
        import boto3  # only deployments that use S3 pay for importing it

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client = client or boto3.client("s3", endpoint_url=endpoint_url)

    def write(self, key: str, data: bytes, media_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=self.prefix + key, Body=data, ContentType=media_type
        )

    def read(self, key: str) -> bytes:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)
        except self.client.exceptions.NoSuchKey:
            raise BlobNotFound(key) from None
        data: bytes = answer["Body"].read()
        return data

    def modified(self, key: str) -> datetime | None:
        try:
            answer = self.client.head_object(Bucket=self.bucket, Key=self.prefix + key)
        except self.client.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        modified: datetime = answer["LastModified"]
        return modified

    def stored(self) -> Iterator[tuple[str, datetime]]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        for page in pages:
            for item in page.get("Contents", ()):
                key = item["Key"][len(self.prefix) :]
                if _is_key(key):  # not a blob of a namespace below this one
                    yield key, item["LastModified"]

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + key)


def blob_store(
    config: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    namespace: str = "",
) -> BlobStore:
    """The store the configuration (or else the environment) names, or its ``namespace``."""
    env = os.environ if environ is None else environ

    def setting(name: str, default: Any = None) -> Any:
        return (config or {}).get(name) or env.get(name) or default

    max_bytes = int(setting("BLOB_MAX_BYTES", DEFAULT_MAX_BYTES))
    url = setting("BLOB_STORE_URL", "")
    if not url:
        return BlobStore(FolderStorage(data_dir(env) / "blobs" / namespace), max_bytes)
    parsed = urlparse(url)
    if parsed.scheme == "s3":
        prefix = f"{parsed.path.strip('/')}/{namespace}"
        storage = S3Storage(parsed.netloc, prefix, endpoint_url=setting("BLOB_S3_ENDPOINT_URL"))
        return BlobStore(storage, max_bytes)
    if parsed.scheme == "file":
        return BlobStore(FolderStorage(Path(parsed.path) / namespace), max_bytes)
    raise ValueError(f"BLOB_STORE_URL must be s3://bucket/prefix or file:///path, not {url!r}")


class Blobs(DependencyProvider):
    """``self.blobs`` in a Nameko service: the store its config names (or its namespace)."""

    def __init__(self, namespace: str = ""):
        self.namespace = namespace

    def setup(self) -> None:
        self.store = blob_store(self.container.config, namespace=self.namespace)

    def get_dependency(self, worker_ctx: Any) -> BlobStore:
        return self.store
