"""``python -m gateway``: serve the API on eventlet until SIGTERM or Ctrl-C."""

import warnings

# Nameko 2 runs on eventlet by design; its deprecation notice would open every start-up.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet

# Before anything imports socket or threading, so that every library blocks only its green thread.
eventlet.monkey_patch()

import json
import logging
import os
import signal
import sys

from eventlet import wsgi

from chassis import logs
from gateway import events, rpc
from gateway.app import create_app
from gateway.settings import SettingsError, load_settings

log = logging.getLogger("gateway")

# The request line around the URL: method, spaces, "HTTP/1.1" and CRLF, with room to spare.
REQUEST_LINE_SLACK = 1024


def _too_long_problem(max_url) -> bytes:
    """What eventlet answers for a request line past its own limit, before the app runs: the
    app answers 414 for URLs up to that limit, and this keeps longer ones problem+json too."""
    body = json.dumps(
        {
            "type": "urn:marketplace:problem:uri-too-long",
            "title": "URI too long",
            "status": 414,
            "detail": f"Keep the URL under {max_url} bytes",
        }
    ).encode()
    head = (
        "HTTP/1.0 414 URI Too Long\r\nConnection: close\r\n"
        f"Content-Type: application/problem+json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def serve(create, prefix, base, name):
    """Build the app with ``create`` and serve it on ``<prefix>_HOST``:``<prefix>_PORT``."""
    logs.configure(os.environ.get("LOG_LEVEL", "INFO"))
    try:
        settings = load_settings()
    except SettingsError as error:
        sys.exit(f"{name}: {error}")
    app = create(settings)
    host, port = settings[f"{prefix}_HOST"], settings[f"{prefix}_PORT"]
    listener = eventlet.listen((host, port))
    # The WSGI server stops accepting on KeyboardInterrupt and lets requests in flight finish.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    api = f"http://{host}:{port}{base}"
    log.info(f"{name} serving the API at {api} and its docs at {api}/docs")
    try:
        max_url = settings["GATEWAY_MAX_URL_BYTES"]
        wsgi.RESPONSE_414 = _too_long_problem(max_url)
        wsgi.server(listener, app, log_output=False, url_length_limit=max_url + REQUEST_LINE_SLACK)
    finally:
        rpc.close(app)
        if "events" in app.extensions:
            events.close(app)
        log.info(f"{name} stopped")


def main():
    serve(create_app, "GATEWAY", "/api/v1", "gateway")


if __name__ == "__main__":
    main()
