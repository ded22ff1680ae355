"""``python -m gateway``: serve the API on eventlet until SIGTERM or Ctrl-C."""

import warnings

# Nameko 2 runs on eventlet by design; its deprecation notice would open every start-up.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet

# Before anything imports socket or threading, so that every library blocks only its green thread.
eventlet.monkey_patch()

import logging
import os
import signal
import sys

from eventlet import wsgi

from chassis import logs
from gateway import rpc
from gateway.app import create_app
from gateway.settings import SettingsError, load_settings

log = logging.getLogger("gateway")


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
        wsgi.server(listener, app, log_output=False)
    finally:
        rpc.close(app)
        log.info(f"{name} stopped")


def main():
    serve(create_app, "GATEWAY", "/api/v1", "gateway")


if __name__ == "__main__":
    main()
