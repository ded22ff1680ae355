"""The RPC request schemas both doors check: what they refuse, and the limits' settings."""

import base64
import json

import pytest

from contracts.errors import InvalidRequest
from contracts.rpc import orders as requests
from contracts.rpc.limits import MAX_SAFE_INTEGER, Limits
from support.orders import MANUFACTURING_ORDER as ORDER


def test_a_valid_order_passes():
    requests.check(requests.PLACE_ORDER, ORDER)


@pytest.mark.parametrize("currency", ["EUR\n", "EU", "eur", "EURO", "\nEUR"], ids=repr)
def test_the_currency_pattern_matches_the_whole_value(currency):
    with pytest.raises(InvalidRequest) as raised:
        requests.check(requests.PLACE_ORDER, {**ORDER, "currency": currency})

    assert "currency" in raised.value.details["errors"]


def test_text_may_span_lines_but_names_may_not():
    requests.check(requests.PLACE_ORDER, {**ORDER, "title": "Brackets\r\nsecond batch\tsteel"})
    with pytest.raises(InvalidRequest):
        requests.check(requests.PLACE_ORDER, {**ORDER, "supplier_org": "forge\n"})


def test_the_total_is_bounded_as_well_as_each_line():
    line = {"sku": "A", "quantity": 10**6, "unit_price": 10**9}
    with pytest.raises(InvalidRequest) as raised:
        requests.check(requests.PLACE_ORDER, {**ORDER, "lines": [line, line]})

    assert "ORDER_MAX_TOTAL" in json.dumps(raised.value.details)


def test_a_cursor_must_decode_to_plain_values():
    issued = base64.urlsafe_b64encode(b'["2031-03-01T09:30:00+00:00", "ord-1"]').decode()
    requests.check(requests.ORDER_QUERY, {"cursor": issued})
    for forged in (b'[1e400, "x"]', b'[Infinity, "x"]', b'{"a": 1}', b"\xff\xfe"):
        cursor = base64.urlsafe_b64encode(forged).decode()
        with pytest.raises(InvalidRequest):
            requests.check(requests.ORDER_QUERY, {"cursor": cursor})


def test_a_payload_is_bounded_in_depth_size_and_values():
    requests.check(
        requests.PERFORM_ACTION,
        {"order_id": "o-1", "action": "partly_accept", "payload": {"lines": [{"a": 1}]}},
    )
    for payload in (
        {"reason": "x" * 2001},
        {"n": MAX_SAFE_INTEGER + 1},
        {"n": float("inf")},
        {"bad\x00key": 1},
        {f"k{i}": i for i in range(51)},
        {"estimated_deliver_by": "9999-12-31"},
    ):
        with pytest.raises(InvalidRequest):
            requests.check(
                requests.PERFORM_ACTION, {"order_id": "o-1", "action": "x", "payload": payload}
            )


def test_an_actor_whose_ids_no_column_holds_is_refused():
    with pytest.raises(InvalidRequest) as raised:
        requests.check(
            requests.ACTOR, {"user_id": "u" * 101, "role": "buyer", "org": "acme"}, "actor"
        )

    assert "user_id" in raised.value.details["errors"]["actor"]


def test_limits_come_from_the_environment_within_their_ceilings():
    limits = Limits.from_environ({"ORDER_MAX_LINES": "20", "ORDER_MAX_TOTAL": "1000"})
    assert (limits.max_order_lines, limits.max_order_total) == (20, 1000)
    assert Limits.from_environ({}) == Limits()
    for bad in (
        {"ORDER_MAX_LINES": "many"},
        {"ORDER_MAX_TOTAL": str(2**63)},
        {"ORDER_MAX_LINES": "0"},
    ):
        with pytest.raises(ValueError, match=next(iter(bad))):
            Limits.from_environ(bad)
