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
