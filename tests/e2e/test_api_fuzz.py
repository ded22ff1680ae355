"""The API fuzzer: schemathesis, driven by our own OpenAPI document, against the whole system.

Every operation, for every role, with generated valid and invalid requests, on random ids and on
a real order: no response may be a 5xx, and every response must match the document (status,
content type, headers, body). Bounded in examples per operation and mode (valid, invalid; on a
random id and on the real order): the cost is one request per example, and every role sweeps
every operation. Each role draws its own cases from its own fixed seed, so the four roles together
try four times as many distinct inputs as one role does, and the same ones on every run (a failure
here is a failure everywhere).

    make test PYTEST_ARGS='tests/e2e/test_api_fuzz.py -q -s'

Knobs for a longer hunt, by hand or on a schedule: ``API_FUZZ_EXAMPLES=200`` (examples per
operation and mode), ``API_FUZZ_SEED=random`` (or a number: other cases than the fixed ones; the
seed is printed so a failure can be replayed with ``API_FUZZ_SEED=<it>``).
"""

import os
import random
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from support.orders import MANUFACTURING_ORDER

EXAMPLES_PER_OPERATION = int(os.environ.get("API_FUZZ_EXAMPLES", "5"))
_SEED = os.environ.get("API_FUZZ_SEED", "")
# The first role's seed; the others take the next ones.
SEED = random.randrange(2**32) if _SEED == "random" else int(_SEED) if _SEED else 20261203
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
ROLES = {
    "buyer": ("fuzz-buyer", "fuzz-acme"),
    "supplier": ("fuzz-supplier", "fuzz-forge"),
    "admin": ("fuzz-admin", "platform"),
    "support": ("fuzz-support", "platform"),
}


@pytest.fixture(scope="module")
def api(system):
    return schemathesis.openapi.from_url(system.api_url + "/openapi.json")


def _bearer(as_user, role):
    user, org = ROLES[role]
    return {"Authorization": as_user(user, role, org).session.headers["Authorization"]}


@pytest.fixture
def placed_order(as_user):
    user, org = ROLES["buyer"]
    order = {**MANUFACTURING_ORDER, "supplier_org": ROLES["supplier"][1]}
    response = as_user(user, "buyer", org).post("/orders", order)
    assert response.status_code == 201, response.text
    return response.json()["id"]


@pytest.mark.parametrize("role", list(ROLES))
def test_every_response_is_documented_and_none_is_a_server_error(
    system, api, as_user, placed_order, role
):
    started = time.monotonic()
    headers = _bearer(as_user, role)
    role_seed = SEED + list(ROLES).index(role)
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 9
    took = {}
    for operation in operations:
        operation_started = time.monotonic()
        takes_order = "{order_id}" in operation.path
        for mode in _modes(operation):
            for path_parameters in [None, {"order_id": placed_order}] if takes_order else [None]:
                strategy = operation.as_strategy(mode, path_parameters=path_parameters)
                _fuzz(strategy, system.base_url, headers, role_seed)
        took[f"{operation.method.upper()} {operation.path}"] = time.monotonic() - operation_started
    slowest = sorted(took.items(), key=lambda item: -item[1])[:5]
    print("slowest:", ", ".join(f"{name} {seconds:.1f} s" for name, seconds in slowest))
    print(
        f"fuzzed {len(operations)} operations as {role}, {EXAMPLES_PER_OPERATION} examples each "
        f"per mode (seed {role_seed}; API_FUZZ_SEED={SEED} replays the run) "
        f"in {time.monotonic() - started:.1f} s"
    )


def _modes(operation):
    """Valid requests, and invalid ones where the operation takes anything to make invalid."""
    takes_input = operation.body or any(
        len(parameters)
        for parameters in (operation.path_parameters, operation.query, operation.headers)
    )
    negative = [schemathesis.GenerationMode.NEGATIVE] if takes_input else []
    return [schemathesis.GenerationMode.POSITIVE, *negative]


def _fuzz(strategy, base_url, headers, role_seed):
    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        response = case.call(base_url=base_url, headers=headers, timeout=15)
        case.validate_response(response, checks=CHECKS, headers=headers)

    seed(role_seed)(run)()
