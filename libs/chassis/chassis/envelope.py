"""The envelope every event travels in, validated when published and when received."""

import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from marshmallow import Schema, ValidationError, fields

from contracts.catalogue import UnknownEvent, contract


class InvalidEvent(ValueError):
    """The message is not an event we can apply; it is parked with this reason, never retried."""


class EnvelopeSchema(Schema):
    event_id = fields.UUID(required=True)
    event_type = fields.String(required=True)
    schema_version = fields.Integer(required=True)
    occurred_at = fields.AwareDateTime(required=True, default_timezone=UTC)
    producer = fields.String(required=True)
    correlation_id = fields.String(required=True)
    causation_id = fields.String(load_default=None, allow_none=True)
    data = fields.Dict(required=True)


ENVELOPE = EnvelopeSchema()


@dataclass(frozen=True)
class Event:
    event_id: str
    event_type: str
    schema_version: int
    occurred_at: datetime
    producer: str
    correlation_id: str
    causation_id: str | None
    data: dict[str, Any]


def _validated_payload(
    event_type: str, version: int, data: dict[str, Any], items_loaded: str | None = None
) -> dict[str, Any]:
    try:
        schema = contract(event_type).schema(version)
    except UnknownEvent as exc:
        raise InvalidEvent(str(exc)) from None
    if items_loaded is not None:
        schema = _items_unloaded(type(schema), items_loaded)
    try:
        loaded: dict[str, Any] = schema.load(data)
        return loaded
    except ValidationError as exc:
        raise InvalidEvent(f"{event_type} v{version} payload is invalid: {exc.messages}") from None


@cache
def _items_unloaded(schema_class: type[Schema], list_field: str) -> Schema:
    """``schema_class`` with its ``list_field`` checked as a list (presence, length and the
    field's other options), its items taken as they are."""
    declared = schema_class._declared_fields[list_field]
    if not isinstance(declared, fields.List):
        raise TypeError(f"{schema_class.__name__}.{list_field} is not a list of items")
    shallow = fields.List(
        fields.Raw(),
        required=declared.required,
        validate=declared.validate,
        allow_none=declared.allow_none,
        data_key=declared.data_key,
        load_default=declared.load_default,
    )
    shallow_class = type(f"{schema_class.__name__}Shallow", (schema_class,), {list_field: shallow})
    schema: Schema = shallow_class()
    return schema


def new_envelope(
    event_type: str,
    data: dict[str, Any],
    producer: str,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    items_loaded: str | None = None,
) -> dict[str, Any]:
    """A JSON-ready envelope for ``data``, refused if the payload breaks its contract.

    ``items_loaded`` names a list field whose items the caller has already loaded with the
    contract's own schema for them (the carrier door validates each delivery's scans, and one
    event carries up to a thousand): they are not loaded a second time. Everything else is
    checked here, and consumers validate the whole payload on receipt.
    """
    known = contract(event_type)
    if known.producer != producer:
        raise InvalidEvent(f"{event_type} is published by {known.producer}, not {producer}")
    _validated_payload(event_type, known.version, data, items_loaded)
    event_id = str(uuid.uuid4())
    return {
        "event_id": event_id,
        "event_type": event_type,
        "schema_version": known.version,
        "occurred_at": datetime.now(UTC).isoformat(),
        "producer": producer,
        "correlation_id": correlation_id or event_id,
        "causation_id": causation_id,
        "data": data,
    }


def parse_envelope(body: object) -> Event:
    """The event in ``body`` with its payload loaded by its contract's schema."""
    if not isinstance(body, dict):
        raise InvalidEvent(f"an event body must be a JSON object, got {type(body).__name__}")
    try:
        envelope = ENVELOPE.load(body)
    except ValidationError as exc:
        raise InvalidEvent(f"envelope is invalid: {exc.messages}") from None
    data = _validated_payload(envelope["event_type"], envelope["schema_version"], envelope["data"])
    return Event(**{**envelope, "event_id": str(envelope["event_id"]), "data": data})


def envelope_of(event: Event) -> dict[str, Any]:
    """``event`` as the JSON-ready envelope it came in: ``parse_envelope``'s inverse, to keep an
    event for later."""
    schema = contract(event.event_type).schema(event.schema_version)
    return {
        **ENVELOPE.dump({**asdict(event), "data": {}}),
        "data": schema.dump(event.data),
    }
