"""Every service starts on its migrated database and answers its health check over RPC."""

import importlib

import pytest

from support.components import SERVICES
from support.services import rpc


@pytest.mark.parametrize("name", SERVICES)
def test_the_service_starts_and_reports_itself_healthy(name, container_factory, service_config):
    service = getattr(importlib.import_module(f"{name}.service"), f"{name.capitalize()}Service")
    config = service_config(name)
    container_factory(service, config).start()

    with rpc(config) as proxy:
        assert getattr(proxy, name).health() == {"service": name, "status": "ok", "database": "ok"}


@pytest.mark.parametrize("name", SERVICES)
def test_the_service_reports_its_backlog_empty_when_nothing_waits(
    name, container_factory, service_config
):
    service = getattr(importlib.import_module(f"{name}.service"), f"{name.capitalize()}Service")
    config = service_config(name)
    container_factory(service, config).start()

    with rpc(config) as proxy:
        found = getattr(proxy, name).backlog()

    assert found["unpublished_events"] == {"count": 0, "oldest_at": None, "oldest_age_s": None}
    assert all(held["count"] == 0 for held in found.values())
