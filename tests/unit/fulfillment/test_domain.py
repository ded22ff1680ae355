"""fulfillment.domain: what re-work takes back from the record's lines."""

from fulfillment import domain

RECORD = {
    "lines": [
        {"line_id": "L1", "quantity": 40, "shipped": 40},
        {"line_id": "L2", "quantity": 100, "shipped": 2},
    ]
}


def test_reworked_parts_leave_what_their_lines_shipped_and_never_below_nothing():
    inspected = [
        {"line_id": "L1", "accepted": 30, "rejected": 0, "rework": 10},
        {"line_id": "L2", "accepted": 0, "rejected": 0, "rework": 5},  # more than was shipped
    ]
    assert [line["shipped"] for line in domain.reworked(RECORD, inspected)] == [30, 0]
    assert [line["shipped"] for line in RECORD["lines"]] == [40, 2]  # the record is left as it is
