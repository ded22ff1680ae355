"""The whole system as processes, started the way ``make run`` starts it, on PostgreSQL."""

import secrets
import sys
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests

from gateway.tokens import mint
from support.databases import Databases, migrated_databases

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
from launch import component_dirs, start_system

JWT_SECRET = secrets.token_urlsafe(32)
UPLOAD_LIMIT = 3_000_000


@contextmanager
def running_system(request, url_for, vhost_pipeline, directory, **settings):
    """The system as processes on the given databases and a vhost of its own."""
    broker = urlparse(request.config.getoption("RABBIT_AMQP_URI"))
    with vhost_pipeline.get() as vhost:
        env = {
            "DATA_DIR": str(directory),
            "AMQP_URI": f"amqp://{broker.netloc}/{vhost}",
            "JWT_SECRET": JWT_SECRET,
            "CARRIER_WEBHOOK_SECRET": secrets.token_urlsafe(32),
            "AFTERSHIP_WEBHOOK_SECRET": secrets.token_urlsafe(32),
            "EASYPOST_WEBHOOK_SECRET": secrets.token_urlsafe(32),
            "BLOB_MAX_BYTES": str(UPLOAD_LIMIT),
            "LOG_LEVEL": "WARNING",
            "TIMER_INTERVAL_S": "0.5",
            **{f"{name.upper()}_DATABASE_URL": url_for(name) for name in component_dirs()},
            **settings,
        }
        with open(directory / "system.log", "w") as log:
            running = start_system(env, port=0, output=log)
            try:
                yield running
            finally:
                running.stop()


@pytest.fixture(scope="session")
def system(request, databases, vhost_pipeline, tmp_path_factory):
    with running_system(
        request, databases, vhost_pipeline, tmp_path_factory.mktemp("system")
    ) as running:
        yield running


@pytest.fixture(scope="session")
def fresh_system(request, vhost_pipeline, tmp_path_factory):
    """``with fresh_system(**settings) as (system, url_for):`` the system on databases of its
    own, for a test that kills or slows its parts."""

    @contextmanager
    def start(**settings):
        directory = tmp_path_factory.mktemp("fresh")
        databases = contextmanager(migrated_databases)(Databases("postgresql", directory))
        with (
            databases as url_for,
            running_system(request, url_for, vhost_pipeline, directory, **settings) as running,
        ):
            yield running, url_for

    return start


@pytest.fixture(scope="session")
def client_of():
    """``client_of(system, sub, role, org)``: a Client of a system started by ``fresh_system``."""
    return lambda running, sub, role, org: Client(running.api_url, sub, role, org)


def token(sub: str, role: str, org: str) -> str:
    return mint(sub, role, org, ttl=600, key=JWT_SECRET)


class Client:
    """Someone calling the API with their own token."""

    def __init__(self, api_url: str, sub: str, role: str, org: str):
        self.api_url = api_url
        self.org = org
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token(sub, role, org)}"

    def get(self, path, **kwargs):
        return self.session.get(self.api_url + path, timeout=15, **kwargs)

    def post(self, path, json=None, **kwargs):
        return self.session.post(self.api_url + path, json=json, timeout=15, **kwargs)

    def patch(self, path, json=None, **kwargs):
        return self.session.patch(self.api_url + path, json=json, timeout=15, **kwargs)

    def delete(self, path, **kwargs):
        return self.session.delete(self.api_url + path, timeout=15, **kwargs)

    def act(self, order_id, action, payload=None, **kwargs):
        return self.post(f"/orders/{order_id}/actions/{action}", json=payload or {}, **kwargs)


@pytest.fixture
def as_user(system):
    def make(sub: str, role: str, org: str) -> Client:
        return Client(system.api_url, sub, role, org)

    return make


@pytest.fixture
def market(system, as_user):
    """``market(name)``: fresh buyer and supplier organisations (and the platform admin)."""
    from e2e.walk import Market

    return lambda name: Market.open(system, as_user, name)


@pytest.fixture(scope="session")
def order_events(system):
    """Every event the orders service publishes, as a consumer of its own sees them."""
    from e2e.walk import EventTap

    tap = EventTap(system.env["AMQP_URI"])
    yield tap
    tap.close()
