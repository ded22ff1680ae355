"""Payload schemas, grouped by the service that publishes them: one module per service, named
after it (``base`` holds the building blocks). ``SERVICES`` is therefore every service of the
system, as the parts that cannot see ``services/`` (the gateway's readiness) need to know them.
"""

import importlib
import pkgutil

SERVICES = tuple(sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name != "base"))

ALL = [
    contract
    for service in SERVICES
    for contract in importlib.import_module(f"contracts.events.{service}").CONTRACTS
]
