"""Where a service finds its broker and database when its config does not say."""
import os
from pathlib import Path

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"


def data_dir() -> Path:
    path = Path(os.environ.get("DATA_DIR", "data")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def amqp_uri(config: dict | None = None) -> str:
    return (config or {}).get("AMQP_URI") or os.environ.get("AMQP_URI") or DEFAULT_AMQP_URI


def database_url(service: str, config: dict | None = None) -> str:
    """The service's own database: configured URL, ``<SERVICE>_DATABASE_URL``, or a SQLite file."""
    configured = (config or {}).get("DATABASE_URL") or os.environ.get(
        f"{service.upper()}_DATABASE_URL"
    )
    return configured or f"sqlite:///{data_dir() / f'{service}.db'}"
