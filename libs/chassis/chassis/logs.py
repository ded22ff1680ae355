"""JSON log lines that carry the correlation id of the request or event being handled."""

import contextvars
import logging
from typing import Any

from nameko.extensions import DependencyProvider
from pythonjsonlogger.json import JsonFormatter

correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "correlation_id", default=None
)


class CorrelationFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # A line about a message no worker handles (one parked undecoded) names its own.
        if getattr(record, "correlation_id", None) is None:
            record.correlation_id = correlation_id.get()
        return True


def formatter() -> JsonFormatter:
    return JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
    )


def configure(level: str = "INFO") -> None:
    """Log JSON to stderr (for processes that are not started by ``nameko run``)."""
    handler = logging.StreamHandler()
    handler.setFormatter(formatter())
    handler.addFilter(CorrelationFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


class CorrelationLogging(DependencyProvider):
    """Puts the worker's correlation id (from the caller or the event) on its log lines.

    Each worker runs in its own greenlet, and greenlets have their own context variables.
    """

    def worker_setup(self, worker_ctx: Any) -> None:
        correlation_id.set(worker_ctx.context_data.get("correlation_id") or worker_ctx.call_id)
