"""The blob store vets what it keeps, and keeps it the same way on a folder and on S3."""

import io
import os
import re
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from PIL import Image

from chassis.blobs import (
    DOCUMENTS,
    IMAGES,
    BlobNotFound,
    BlobRejected,
    BlobStore,
    FolderStorage,
    S3Storage,
    blob_store,
)
from support import files
from support.s3 import CREDENTIALS, s3_server


@pytest.fixture(scope="module")
def s3_endpoint():
    with s3_server() as url:
        yield url


@pytest.fixture(params=["folder", "s3"])
def store(request, tmp_path, monkeypatch):
    if request.param == "folder":
        return BlobStore(FolderStorage(tmp_path), max_bytes=100_000)
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    endpoint = request.getfixturevalue("s3_endpoint")
    client = boto3.client("s3", endpoint_url=endpoint)
    bucket = f"blobs-{tmp_path.name.lower().replace('_', '-')}"[:60]
    client.create_bucket(Bucket=bucket)
    return BlobStore(S3Storage(bucket, "uploads", client=client), max_bytes=100_000)


def test_a_stored_file_reads_back_by_its_content_address(store):
    data = files.pdf()
    blob = store.put(data, filename="report.pdf")
    assert (blob.media_type, blob.extension, blob.size) == ("application/pdf", "pdf", len(data))
    assert store.get(blob.key) == data
    assert store.put(data).key == blob.key  # the same content is the same blob


def test_office_documents_are_recognised_from_their_bytes(store):
    blob = store.put(files.docx(), filename="coc")
    assert blob.extension == "docx"


def test_an_executable_renamed_pdf_is_refused_and_says_what_it_is(store):
    with pytest.raises(BlobRejected) as refused:
        store.put(files.windows_executable(), filename="invoice.pdf")
    message = str(refused.value)
    assert "application/x-msdownload" in message and "ends in .pdf" in message
    assert ".pdf" in message.split("accepted:")[1]


def test_a_file_over_the_limit_is_refused(store):
    with pytest.raises(BlobRejected, match="at most 100000"):
        store.put(files.pdf() + b" " * 100_000)


def test_an_empty_file_is_refused(store):
    with pytest.raises(BlobRejected, match="empty"):
        store.put(b"")


@pytest.mark.parametrize("kind", ["JPEG", "PNG", "WEBP"])
def test_a_photo_loses_its_location_but_keeps_its_pixels(store, kind):
    photo = files.photo_with_gps(kind)
    assert files.gps_of(photo)  # the camera did record where it was
    blob = store.put(photo, filename="part.jpg")
    kept = store.get(blob.key)
    assert files.gps_of(kept) == {}
    assert blob.media_type == f"image/{kind.lower()}"
    with Image.open(io.BytesIO(kept)) as image:
        assert image.size == (40, 30)
        assert image.getexif() == {}


def test_only_the_allowed_types_are_kept(store):
    with pytest.raises(BlobRejected, match=re.escape("accepted: .gif, .jpg, .png, .webp")):
        store.put(files.pdf(), allowed=IMAGES)


def test_an_unknown_key_is_not_found(store):
    with pytest.raises(BlobNotFound):
        store.get("0" * 64)
    with pytest.raises(BlobNotFound):
        store.get("../../etc/passwd")


def test_the_environment_chooses_the_store(tmp_path, s3_endpoint, monkeypatch):
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket="configured")
    on_s3 = blob_store(
        {"BLOB_STORE_URL": "s3://configured/files", "BLOB_S3_ENDPOINT_URL": s3_endpoint}
    )
    assert on_s3.get(on_s3.put(files.pdf()).key) == files.pdf()

    on_disk = blob_store({}, environ={"DATA_DIR": str(tmp_path), "BLOB_MAX_BYTES": "10"})
    assert isinstance(on_disk.storage, FolderStorage)
    assert on_disk.storage.root == tmp_path / "blobs" and on_disk.max_bytes == 10
    assert DOCUMENTS["application/pdf"] == "pdf"


def test_blobs_are_listed_by_age_and_deleted_within_their_namespace(store):
    blob = store.put(files.pdf("listed"))
    modified = store.modified(blob.key)
    assert modified is not None
    assert list(store.stored_before(modified + timedelta(seconds=1))) == [blob.key]
    assert list(store.stored_before(modified - timedelta(seconds=1))) == []
    store.delete(blob.key)
    assert store.modified(blob.key) is None
    with pytest.raises(BlobNotFound):
        store.get(blob.key)


def test_blobs_are_listed_in_key_order_on_a_folder_as_on_s3(store):
    """The same walk every time: a sweep that stops part way goes on from a known place."""
    keys = [store.put(files.pdf(f"listed {n}")).key for n in range(6)]
    later = datetime.now(UTC) + timedelta(seconds=1)
    assert list(store.stored_before(later)) == sorted(keys)


def test_a_namespace_is_a_store_of_its_own(tmp_path):
    config = {"BLOB_STORE_URL": f"file://{tmp_path}"}
    root, documents = blob_store(config), blob_store(config, namespace="fulfillment")
    data = files.pdf("shared")
    kept, deleted = root.put(data), documents.put(data)
    documents.put(files.pdf("theirs"))  # listed only in its namespace
    assert list(root.stored_before(datetime.now(UTC) + timedelta(seconds=1))) == [kept.key]
    documents.delete(deleted.key)
    assert root.get(kept.key) == data


def test_storing_the_same_file_again_renews_it(tmp_path):
    store = BlobStore(FolderStorage(tmp_path))
    blob = store.put(files.pdf("twice"))
    os.utime(FolderStorage(tmp_path)._path(blob.key), (0, 0))  # long ago
    store.put(store.get(blob.key))
    assert store.modified(blob.key) > datetime(2000, 1, 1, tzinfo=UTC)
