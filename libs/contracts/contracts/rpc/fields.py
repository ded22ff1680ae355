"""Fields whose values are safe to store, index and publish: bounded, and free of the characters
that no database column, UTF-8 encoder or log line takes (NUL, other controls, lone surrogates).
"""

import math
import re
from datetime import date
from typing import Any

from marshmallow import ValidationError, fields, validate

from contracts.rpc.limits import (
    EARLIEST_DATE,
    ID_LENGTH,
    LATEST_DATE,
    MAX_SAFE_INTEGER,
    NAME_LENGTH,
)

# Text may hold tab, line feed and carriage return; names and identifiers no control at all.
_UNSAFE_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_UNSAFE_IN_NAME = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
UNSAFE_MESSAGE = "must not contain NUL, control characters or lone surrogates"
_ISO_DATE = re.compile(r"\A\d{4}-\d{2}-\d{2}\Z")


class Clean(validate.Validator):
    def __init__(self, unsafe: re.Pattern[str] = _UNSAFE_IN_TEXT):
        self.unsafe = unsafe

    def __call__(self, value: str) -> str:
        if self.unsafe.search(value):
            raise ValidationError(UNSAFE_MESSAGE)
        return value


class Exactly(validate.Validator):
    """The whole value matches: patterns are anchored with ``\\A`` and ``\\Z``, since ``$``
    also matches before a trailing newline ("EUR\\n")."""

    def __init__(self, pattern: str, message: str):
        self.regex = re.compile(rf"\A(?:{pattern})\Z")
        self.message = message

    def __call__(self, value: str) -> str:
        if not self.regex.match(value):
            raise ValidationError(self.message)
        return value


class DateWindow(validate.Validator):
    def __call__(self, value: date) -> date:
        if not EARLIEST_DATE <= value <= LATEST_DATE:
            raise ValidationError(f"must be between {EARLIEST_DATE} and {LATEST_DATE}")
        return value


def _in_window(iso_date: str) -> bool:
    try:
        return EARLIEST_DATE <= date.fromisoformat(iso_date) <= LATEST_DATE
    except ValueError:
        return True  # not a date after all: the field's own schema says what it must be


def text(max_length: int, *, min_length: int = 0, **kwargs: Any) -> fields.String:
    """Free text: a description, a reason."""
    return fields.String(
        validate=[validate.Length(min=min_length, max=max_length), Clean()], **kwargs
    )


def identifier(max_length: int = ID_LENGTH, **kwargs: Any) -> fields.String:
    """An id or a name: one line, not empty."""
    return fields.String(
        validate=[validate.Length(min=1, max=max_length), Clean(_UNSAFE_IN_NAME)], **kwargs
    )


def name(**kwargs: Any) -> fields.String:
    """A workflow's, status's, action's or field's name."""
    return identifier(NAME_LENGTH, **kwargs)


def pattern(regex: str, error: str, *, example: str, **kwargs: Any) -> fields.String:
    """A string matching ``regex`` exactly; documented with the ECMA anchors clients know."""
    metadata = {"pattern": f"^{regex}$", "example": example, **kwargs.pop("metadata", {})}
    return fields.String(validate=Exactly(regex, error), metadata=metadata, **kwargs)


def count(maximum: int, *, minimum: int = 0, **kwargs: Any) -> fields.Integer:
    """A whole number of things or of minor currency units."""
    return fields.Integer(strict=True, validate=validate.Range(min=minimum, max=maximum), **kwargs)


def day(**kwargs: Any) -> fields.Date:
    description = f"A date between {EARLIEST_DATE} and {LATEST_DATE}"
    metadata = {"description": description, **kwargs.pop("metadata", {})}
    return fields.Date(validate=DateWindow(), metadata=metadata, **kwargs)


def json_problems(
    value: Any,
    *,
    max_depth: int | None = None,
    max_string: int | None = None,
    max_items: int | None = None,
    max_keys: int | None = None,
    dates: bool = False,
) -> dict[str, list[str]]:
    """Everything unsafe in a parsed JSON document, as ``{path: [message]}`` (empty: none).

    Any string's characters and any number's range are checked; the bounds given also limit
    nesting, string lengths, array lengths and object sizes, and with ``dates`` every string
    written as an ISO date must be a date within the window.
    """
    problems: dict[str, list[str]] = {}

    def visit(node: Any, path: str, depth: int) -> None:
        where = path or "body"
        if max_depth is not None and depth > max_depth:
            problems[where] = [f"nested deeper than {max_depth} levels"]
        elif isinstance(node, str):
            if _UNSAFE_IN_TEXT.search(node):
                problems[where] = [UNSAFE_MESSAGE]
            elif max_string is not None and len(node) > max_string:
                problems[where] = [f"longer than {max_string} characters"]
            elif dates and _ISO_DATE.match(node) and not _in_window(node):
                problems[where] = [f"a date between {EARLIEST_DATE} and {LATEST_DATE}"]
        elif isinstance(node, bool) or node is None:
            pass
        elif isinstance(node, int | float):
            if not (math.isfinite(node) and abs(node) <= MAX_SAFE_INTEGER):
                problems[where] = [f"must be a finite number within ±{MAX_SAFE_INTEGER}"]
        elif isinstance(node, list):
            if max_items is not None and len(node) > max_items:
                problems[where] = [f"more than {max_items} items"]
            else:
                for index, item in enumerate(node):
                    visit(item, f"{path}[{index}]", depth + 1)
        elif isinstance(node, dict):
            if max_keys is not None and len(node) > max_keys:
                problems[where] = [f"more than {max_keys} members"]
                return
            for key, item in node.items():
                if _UNSAFE_IN_NAME.search(key) or len(key) > NAME_LENGTH:
                    problems[f"{path}.{key[:NAME_LENGTH]!r}"] = [
                        f"member names are at most {NAME_LENGTH} plain characters"
                    ]
                else:
                    visit(item, f"{path}.{key}" if path else key, depth + 1)

    visit(value, "", 0)
    return problems
