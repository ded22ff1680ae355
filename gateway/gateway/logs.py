"""One JSON access line per request (the format and the correlation id: ``chassis.logs``)."""

import logging
import time

from flask import g, request

log = logging.getLogger("gateway.access")


def log_requests(app):
    """One access line per request, replacing the WSGI server's plain-text one."""
    app.before_request(_start_clock)
    app.after_request(_log_request)


def _start_clock():
    g.started = time.perf_counter()


def _log_request(response):
    log.info(
        "request",
        extra={
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - g.started) * 1000, 1),
        },
    )
    return response
