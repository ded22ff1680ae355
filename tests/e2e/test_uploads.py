"""Uploads through the gateway: limits, types from the bytes, photos without their location,
and the order's organisation rule on every file."""

import pytest

from chassis.blobs import blob_store
from contracts.documents import DOCUMENTS_BLOB_NAMESPACE
from e2e.conftest import UPLOAD_LIMIT
from e2e.fulfillment_steps import SMALL_ORDER, known_to_fulfillment, upload
from e2e.walk import act, problem
from support import files

ORDER = SMALL_ORDER


@pytest.fixture
def order(market):
    m = market("uploads")
    placed = m.place(ORDER)
    act(m.supplier, placed, "approve")
    known_to_fulfillment(m.supplier, placed["id"])
    return m, placed["id"]


def documents(client, order_id):
    response = client.get(f"/orders/{order_id}/documents")
    assert response.status_code == 200, response.text
    return response.json()


def test_a_file_over_the_limit_is_refused(order):
    m, order_id = order
    just_over = files.pdf() + b"\0" * UPLOAD_LIMIT
    refused = upload(m.supplier, order_id, "inspection_report", "report.pdf", just_over)
    assert f"at most {UPLOAD_LIMIT}" in problem(refused, 422, "file-refused")["detail"]
    far_over = b"\0" * (2 * UPLOAD_LIMIT)  # refused before the gateway reads it
    refused = upload(m.supplier, order_id, "inspection_report", "report.pdf", far_over)
    assert str(UPLOAD_LIMIT) in problem(refused, 413, "payload-too-large")["detail"]
    assert documents(m.supplier, order_id) == []


def test_an_executable_named_pdf_is_refused_clearly(order):
    m, order_id = order
    refused = upload(m.supplier, order_id, "coc", "coc.pdf", files.windows_executable())
    detail = problem(refused, 422, "file-refused")["detail"]
    assert "application/x-msdownload" in detail and "ends in .pdf" in detail
    assert documents(m.supplier, order_id) == []


def test_a_photo_loses_its_gps_location_on_upload(order):
    m, order_id = order
    photo = files.photo_with_gps()
    assert files.gps_of(photo)
    uploaded = upload(m.supplier, order_id, "part_photo", "part.jpg", photo)
    assert uploaded.status_code == 201, uploaded.text
    download = m.buyer.get(f"/orders/{order_id}/documents/{uploaded.json()['id']}")
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "image/jpeg"
    assert files.gps_of(download.content) == {}


def test_another_organisations_document_is_not_found(order, market):
    m, order_id = order
    uploaded = upload(m.supplier, order_id, "inspection_report", "r.pdf", files.pdf())
    document_id = uploaded.json()["id"]
    stranger = market("uploads-stranger")
    for client in (stranger.buyer, stranger.supplier):
        problem(client.get(f"/orders/{order_id}/documents/{document_id}"), 404)
        problem(client.get(f"/orders/{order_id}/documents"), 404)
    problem(upload(stranger.supplier, order_id, "coc", "c.pdf", files.pdf()), 404)
    assert [d["id"] for d in documents(m.buyer, order_id)] == [document_id]


def test_a_buyer_may_read_but_not_add_documents(order):
    m, order_id = order
    problem(upload(m.buyer, order_id, "inspection_report", "r.pdf", files.pdf()), 403)


def test_a_document_uploaded_before_documents_had_a_namespace_still_downloads(order, system):
    """Its file is at the store's root, where the gateway stored documents before."""
    m, order_id = order
    report = files.pdf("stored at the root")
    document_id = upload(m.supplier, order_id, "inspection_report", "r.pdf", report).json()["id"]
    namespaced = blob_store(environ=system.env, namespace=DOCUMENTS_BLOB_NAMESPACE)
    at_root = blob_store(environ=system.env).put(report)  # where it was before: the same key
    assert namespaced.get(at_root.key) == report
    namespaced.delete(at_root.key)

    download = m.buyer.get(f"/orders/{order_id}/documents/{document_id}")
    assert download.status_code == 200, download.text
    assert download.content == report
