"""The public and admin gateways as Flask test clients over the real services' RPC."""

import pytest

from gateway import rpc
from gateway.admin.app import create_admin_app
from gateway.app import create_app
from gateway.settings import load_settings
from support.databases import truncate_all
from support.staff import SECRET


@pytest.fixture
def gateways(databases, tmp_path):
    """``gateways(amqp_uri)``: the public and the admin gateway's test clients."""
    apps = []

    def start(amqp_uri: str) -> tuple:
        truncate_all(databases("gateway"))
        settings = load_settings(
            {
                "JWT_SECRET": SECRET,
                "DATA_DIR": str(tmp_path),
                "GATEWAY_DATABASE_URL": databases("gateway"),
                "AMQP_URI": amqp_uri,
                "RPC_TIMEOUT": "10",
            }
        )
        settings["BLOB_STORE_URL"] = f"file://{tmp_path}/blobs"
        apps.extend((create_app(settings), create_admin_app(settings)))
        return apps[-2].test_client(), apps[-1].test_client()

    yield start
    for app in apps:
        rpc.close(app)
