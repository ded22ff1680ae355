"""Capturing what a logger writes, formatted as the services format it (JSON, correlation id)."""

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from chassis import logs


@contextmanager
def json_lines(logger_name: str) -> Iterator[list[dict]]:
    """The lines ``logger_name`` logs inside the block, parsed; the list fills when it ends."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.formatter())
    handler.addFilter(logs.CorrelationFilter())
    logger = logging.getLogger(logger_name)
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    lines: list[dict] = []
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
        lines += [json.loads(text) for text in stream.getvalue().splitlines()]
