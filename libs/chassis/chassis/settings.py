"""Where a component finds its broker and database when its config does not say.

Each function reads ``environ`` (the process environment by default), so that callers that take
their settings as a mapping, such as the gateway, resolve them exactly as the services do.
"""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    path = Path(environ.get("DATA_DIR") or "data").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def amqp_uri(
    config: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> str:
    environ = os.environ if environ is None else environ
    return (config or {}).get("AMQP_URI") or environ.get("AMQP_URI") or DEFAULT_AMQP_URI


def database_url(
    component: str,
    config: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> str:
    """The component's own database: configured URL, ``<COMPONENT>_DATABASE_URL``, or SQLite."""
    environ = os.environ if environ is None else environ
    configured = (config or {}).get("DATABASE_URL") or environ.get(
        f"{component.upper()}_DATABASE_URL"
    )
    return configured or f"sqlite:///{data_dir(environ) / f'{component}.db'}"
