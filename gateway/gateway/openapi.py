"""What the OpenAPI document says about every operation, in one place for every blueprint.

Decorate a view with ``documented(blp, ...)``: it lists the statuses the view may answer, on top
of those every request may get at the door (400, 413, 414, 422), from authentication (401) and
from a service call (503). Each error is a problem+json component response with the headers it
carries; success headers are named by the constants below.
"""

import http

CORRELATION_HEADER = "X-Correlation-ID"

# Header components, referred to by name in ``blp.response(..., headers={...})``.
HEADERS = {
    "VERSION_ETAG": {
        "description": 'The order\'s version as a strong entity-tag, e.g. "3": send it back in '
        "If-Match",
        "schema": {"type": "string", "example": '"3"'},
    },
    "LOCATION": {"description": "The new resource's URL", "schema": {"type": "string"}},
    "IDEMPOTENT_REPLAYED": {
        "description": "true when this is the stored answer to an earlier request with the same "
        "Idempotency-Key",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "RETRY_AFTER": {
        "description": "Seconds to wait before retrying",
        "schema": {"type": "string", "example": "5"},
    },
    "CORRELATION_ID": {
        "description": "The id of this request in every log line and message it caused: sent "
        "back as given (X-Correlation-ID or X-Request-ID, if a plain token) or minted",
        "schema": {"type": "string"},
    },
    "WWW_AUTHENTICATE": {
        "description": "The bearer challenge (RFC 6750)",
        "schema": {"type": "string"},
    },
}

# Headers a response of each status carries besides the correlation id.
ERROR_HEADERS = {
    401: {"WWW-Authenticate": "WWW_AUTHENTICATE"},
    409: {"Retry-After": "RETRY_AFTER"},
    503: {"Retry-After": "RETRY_AFTER"},
}
SUCCESS_HEADERS = {CORRELATION_HEADER: "CORRELATION_ID"}
# A mutating request's answer, which a retry with the same Idempotency-Key replays.
REPLAYABLE_HEADERS = {**SUCCESS_HEADERS, "Idempotent-Replayed": "IDEMPOTENT_REPLAYED"}
ORDER_HEADERS = {**REPLAYABLE_HEADERS, "ETag": "VERSION_ETAG"}
PLACED_ORDER_HEADERS = {**ORDER_HEADERS, "Location": "LOCATION"}

# Why each status comes back, whoever answers it.
DESCRIPTIONS = {
    400: "The request cannot be read: malformed JSON, or control characters in a header or path",
    401: "No valid bearer token",
    403: "Your role may not do this",
    404: "No such resource that you may see",
    409: "The order's state does not allow this, a guard failed, or a request with the same "
    "Idempotency-Key is still in progress",
    412: "If-Match does not match the order's current ETag",
    413: "The body is larger than GATEWAY_MAX_BODY_BYTES (a carrier door's: 2 MB)",
    414: "The URL is longer than GATEWAY_MAX_URL_BYTES",
    422: "A field is invalid or out of its limits; errors names each one",
    503: "A service or the broker is unavailable; retry after Retry-After seconds",
}

AT_THE_DOOR = (400, 413, 414, 422)


def register_components(spec, problem_schema, media_type):
    for name, header in HEADERS.items():
        spec.components.header(name, header)
    for status in http.HTTPStatus:
        if status < 400:
            continue
        headers = {CORRELATION_HEADER: "CORRELATION_ID", **ERROR_HEADERS.get(status, {})}
        spec.components.response(
            status.name,
            {
                "description": DESCRIPTIONS.get(status, status.phrase),
                "content": {media_type: {"schema": problem_schema}},
                "headers": {
                    name: {"$ref": f"#/components/headers/{ref}"} for name, ref in headers.items()
                },
            },
            lazy=True,
        )


def documented(blp, *statuses, authenticated=True, calls_services=True):
    """Document the error statuses a view may answer, and those every view may."""
    every = {*AT_THE_DOOR, *statuses}
    if authenticated:
        every.add(401)
    if calls_services:
        every.add(503)

    def decorate(view):
        for status in sorted(every, reverse=True):
            view = blp.alt_response(status, response=http.HTTPStatus(status).name)(view)
        return view

    return decorate
