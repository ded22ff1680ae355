"""The gateway's door: a request too big, or carrying what no service could store, is answered
with a problem before any blueprint sees it, and changes nothing.

Every blueprint gets these checks for free; field-by-field limits live in the request schemas
(``contracts.rpc``), which the services check again at their own door. A blueprint signed over
its raw body (``signed_bodies``) calls ``check_body`` itself once the signature holds.
"""

import json
import re

from flask import current_app, request
from flask.json.provider import DefaultJSONProvider

from contracts.rpc.fields import UNSAFE_MESSAGE, json_problems
from contracts.rpc.limits import ID_LENGTH, IDEMPOTENCY_KEY_LENGTH
from gateway.problems import Problem

IDEMPOTENCY_KEY = "Idempotency-Key"
# Printable ASCII: a key is stored, indexed and compared byte for byte.
IDEMPOTENCY_KEY_PATTERN = re.compile(rf"\A[\x21-\x7e]{{1,{IDEMPOTENCY_KEY_LENGTH}}}\Z")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


class StrictJSONProvider(DefaultJSONProvider):
    """JSON as RFC 8259 has it: ``NaN`` and ``Infinity`` are not numbers a client may send."""

    def loads(self, s, **kwargs):
        return json.loads(s, parse_constant=_not_json, **kwargs)


def init_app(app):
    app.json = StrictJSONProvider(app)
    app.config["MAX_CONTENT_LENGTH"] = app.config["GATEWAY_MAX_BODY_BYTES"]
    app.before_request(check_request)


def check_request():
    """Runs first for every request, before authentication and idempotency."""
    max_url = current_app.config["GATEWAY_MAX_URL_BYTES"]
    environ = request.environ
    if len(environ.get("PATH_INFO", "")) + len(environ.get("QUERY_STRING", "")) > max_url:
        raise Problem(
            414, "URI too long", f"Keep the URL under {max_url} bytes", slug="uri-too-long"
        )
    for name, value in request.headers.items():
        if _CONTROL.search(value):
            raise _bad_request(f"The {name} header contains control characters")
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and (_UNSAFE.search(value) or len(value) > ID_LENGTH):
            raise _bad_request(
                f"The path parameter {name} must be at most {ID_LENGTH} plain characters"
            )
    for name, value in request.args.items(multi=True):
        if _UNSAFE.search(name) or _UNSAFE.search(value):
            raise _invalid({name[:ID_LENGTH]: [UNSAFE_MESSAGE]})
    key = request.headers.get(IDEMPOTENCY_KEY)
    if key is not None and not IDEMPOTENCY_KEY_PATTERN.match(key):
        raise _invalid(
            {IDEMPOTENCY_KEY: [f"1 to {IDEMPOTENCY_KEY_LENGTH} printable ASCII characters"]}
        )
    blueprint = current_app.blueprints.get(request.blueprint or "")
    if not getattr(blueprint, "signed_bodies", False):
        check_body()


def check_body():
    """The body's JSON: well formed, within the size limit, nothing unsafe in it. A blueprint
    whose requests are signed over their raw body (``signed_bodies``) calls it itself, once the
    signature holds: nothing parses a body before it is proved to come from its sender."""
    # An empty body is no body, whether or not its Content-Length says 0.
    if request.is_json and request.get_data(cache=True):
        problems = json_problems(request.get_json())  # 400 if it is not JSON; 413 if too big
        if problems:
            raise _invalid(problems)


def _invalid(errors):
    return Problem(
        422,
        "Invalid request",
        "The request has invalid fields; see errors.",
        slug="invalid-request",
        errors=errors,
    )


def _bad_request(detail):
    return Problem(400, "Bad request", detail, slug="bad-request")


def _not_json(constant):
    raise ValueError(f"{constant} is not JSON")
