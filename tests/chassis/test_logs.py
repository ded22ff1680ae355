import io
import json
import logging

import eventlet

from chassis import logs


def test_each_green_thread_logs_its_own_correlation_id_as_json():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.formatter())
    handler.addFilter(logs.CorrelationFilter())
    logger = logging.getLogger("test.correlation")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)

    def handle(correlation_id):
        logs.correlation_id.set(correlation_id)
        eventlet.sleep(0)  # let the other request run in between
        logger.info("handled")

    try:
        for thread in [eventlet.spawn(handle, cid) for cid in ("req-a", "req-b")]:
            thread.wait()
    finally:
        logger.removeHandler(handler)

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert sorted(line["correlation_id"] for line in lines) == ["req-a", "req-b"]
    assert {line["message"] for line in lines} == {"handled"}
    assert {"time", "level", "logger"} <= lines[0].keys()
