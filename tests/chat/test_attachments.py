"""Files in messages: stored by the blob store (as the gateway does), recorded by chat from
their bytes, with thumbnails for images; only those who read the conversation reach them."""

import io

import pytest
from nameko.testing.services import entrypoint_waiter
from PIL import Image

from chassis.blobs import blob_store
from chat.models import messages
from chat.service import ChatService
from contracts.attachments import ATTACHMENT_TYPES
from contracts.errors import InvalidRequest, NotFound
from support import files
from support.chat import BUYER, OUTSIDER, SUPPLIER, placed
from support.events import publish
from support.services import count, rpc


@pytest.fixture
def system(container_factory, service_config, declared_topology, tmp_path):
    config = service_config("chat", BLOB_STORE_URL=f"file://{tmp_path}/blobs")
    container = container_factory(ChatService, config)
    container.start()
    with entrypoint_waiter(container, "on_order_placed"):
        publish(config["AMQP_URI"], "order.placed", placed("o-files"), "orders")
    return config, blob_store(config)


def upload(store, data, name):
    return {"key": store.put(data, name, allowed=ATTACHMENT_TYPES).key, "name": name}


def test_buyer_and_supplier_exchange_files_with_thumbnails(system):
    config, store = system
    photo = upload(store, files.photo_with_gps(), "progress.jpg")
    report = upload(store, files.pdf(), "inspection.pdf")
    with rpc(config) as cluster:
        posted = cluster.chat.post_message(
            SUPPLIER, "o-files", "order", "Progress photo and report", [photo, report]
        )
        assert [
            (a["name"], a["content_type"], a["has_thumbnail"]) for a in posted["attachments"]
        ] == [
            ("progress.jpg", "image/jpeg", True),
            ("inspection.pdf", "application/pdf", False),
        ]
        only_a_file = cluster.chat.post_message(
            BUYER, "o-files", "order", "", [upload(store, files.docx(), "po.docx")]
        )
        assert only_a_file["attachments"][0]["content_type"].endswith("wordprocessingml.document")

        tab = cluster.chat.list_attachments(BUYER, "o-files")
        assert [a["name"] for a in tab] == ["po.docx", "progress.jpg", "inspection.pdf"]
        found = cluster.chat.get_attachment(BUYER, posted["attachments"][0]["id"])
        with pytest.raises(NotFound):
            cluster.chat.get_attachment(OUTSIDER, posted["attachments"][0]["id"])
    assert files.gps_of(store.get(found["blob_key"])) == {}  # the stored photo has no location
    with Image.open(io.BytesIO(store.get(found["thumbnail_key"]))) as preview:
        assert max(preview.size) <= 320


def test_a_file_name_with_contact_details_is_refused(system):
    config, store = system
    with rpc(config) as cluster:
        with pytest.raises(InvalidRequest) as refused:
            cluster.chat.post_message(
                BUYER,
                "o-files",
                "order",
                "see file",
                [upload(store, files.pdf(), "call 415 555 0132.pdf")],
            )
        assert refused.value.details["contact_details"][0]["field"] == "attachments[0].name"
        with pytest.raises(InvalidRequest):
            cluster.chat.post_message(
                BUYER, "o-files", "order", "x", [{"key": "0" * 64, "name": "a.pdf"}]
            )
    assert count(config["DATABASE_URL"], messages) == 0
