import logging

import eventlet

from chassis import logs
from support.logs import json_lines


def test_each_green_thread_logs_its_own_correlation_id_as_json():
    logger = logging.getLogger("test.correlation")

    def handle(correlation_id):
        logs.correlation_id.set(correlation_id)
        eventlet.sleep(0)  # let the other request run in between
        logger.info("handled")

    with json_lines("test.correlation") as lines:
        for thread in [eventlet.spawn(handle, cid) for cid in ("req-a", "req-b")]:
            thread.wait()

    assert sorted(line["correlation_id"] for line in lines) == ["req-a", "req-b"]
    assert {line["message"] for line in lines} == {"handled"}
    assert {"time", "level", "logger"} <= lines[0].keys()
