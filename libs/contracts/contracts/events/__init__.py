"""Payload schemas, grouped by the service that publishes them: one module per service, named
after it (``base`` holds the building blocks). ``SERVICES`` is therefore every service of the
system, as the parts that cannot see ``services/`` (the gateway's readiness) need to know them.
The gateway publishes events too (``gateway``: what came in at its doors) but is no Nameko
service: it has no ``health`` to call, so it is not among ``SERVICES``.
"""

import importlib
import pkgutil

PRODUCERS = tuple(sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name != "base"))
SERVICES = tuple(producer for producer in PRODUCERS if producer != "gateway")

ALL = [
    contract
    for producer in PRODUCERS
    for contract in importlib.import_module(f"contracts.events.{producer}").CONTRACTS
]
