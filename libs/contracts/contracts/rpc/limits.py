"""How big anything a client sends may be: one set of limits for the gateway and the services.

The lengths follow the database columns the values land in; the counts and amounts that
operators may want to change are read from the environment once, at import, by every process
alike (set them for the gateway and the services together).
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

# What a JSON number may be anywhere: the largest integer a JavaScript client reads exactly,
# and well inside the 64-bit columns amounts are stored in.
MAX_SAFE_INTEGER = 2**53 - 1

ID_LENGTH = 100  # organisations, users, SKUs: the orders table's key columns
NAME_LENGTH = 50  # workflow, kind, status, group, action and field names
TITLE_LENGTH = 300
TEXT_LENGTH = 2000  # a line's description, a reason, feedback
IDEMPOTENCY_KEY_LENGTH = 200
CURSOR_LENGTH = 512
PAGE_SIZE = 100
# Orders one batch read names (an export's page); and rows a client may select to export.
BATCH_SIZE = 1000
MAX_SELECTED = 200
# Dates an order may commit to or estimate; anything outside is a typo, not a plan.
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)
# An action payload's shape: enough for per-line quantities, never a document of its own.
PAYLOAD_DEPTH = 4
PAYLOAD_KEYS = 50


@dataclass(frozen=True)
class Limits:
    """The configurable ones: environment variable, default, and the ceiling no setting passes."""

    max_order_lines: int = 500
    max_order_total: int = 10**15
    max_quantity: int = 10**9

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> "Limits":
        return cls(
            max_order_lines=_setting(environ, "ORDER_MAX_LINES", cls.max_order_lines, 100_000),
            max_order_total=_setting(
                environ, "ORDER_MAX_TOTAL", cls.max_order_total, MAX_SAFE_INTEGER
            ),
            max_quantity=_setting(environ, "ORDER_MAX_QUANTITY", cls.max_quantity, 10**12),
        )


def _setting(environ: Mapping[str, str], name: str, default: int, ceiling: int) -> int:
    raw = environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, not {raw!r}") from None
    if not 0 < value <= ceiling:
        raise ValueError(f"{name} must be between 1 and {ceiling}, not {value}")
    return value


LIMITS = Limits.from_environ()
