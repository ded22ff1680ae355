"""The correlation id that follows one request through logs, RPC calls and events."""

import re
import uuid

from flask import g, request

from chassis import logs

HEADER = "X-Correlation-ID"
# A caller's id lands in every log line and message header, so only plain tokens are trusted.
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def init_app(app):
    app.before_request(_adopt_or_mint)
    app.after_request(_echo)


def _adopt_or_mint():
    offered = request.headers.get(HEADER) or request.headers.get("X-Request-ID", "")
    g.correlation_id = offered if _ACCEPTABLE.match(offered) else str(uuid.uuid4())
    # Each request runs in its own green thread, which has its own context variables.
    logs.correlation_id.set(g.correlation_id)


def _echo(response):
    response.headers[HEADER] = g.correlation_id
    return response
