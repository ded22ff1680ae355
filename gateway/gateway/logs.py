"""JSON log lines that carry the request's correlation id."""
import logging
import sys
import time

from flask import g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

log = logging.getLogger("gateway.access")


def configure_logging(level="INFO"):
    """Send every log record to stdout as one JSON line (``chassis.logging`` will replace this)."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(
        "%(levelname)s %(name)s %(message)s",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
    ))
    handler.addFilter(_add_correlation_id)
    logging.basicConfig(level=level, handlers=[handler], force=True)


def log_requests(app):
    """One access line per request, replacing the WSGI server's plain-text one."""
    app.before_request(_start_clock)
    app.after_request(_log_request)


def _add_correlation_id(record):
    if has_request_context() and "correlation_id" in g:
        record.correlation_id = g.correlation_id
    return True


def _start_clock():
    g.started = time.perf_counter()


def _log_request(response):
    log.info("request", extra={
        "method": request.method,
        "path": request.path,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - g.started) * 1000, 1),
    })
    return response
