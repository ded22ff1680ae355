"""Waiting for an effect that another process produces, without sleeping past a race."""

import time

import eventlet


def eventually(probe, timeout=10.0, interval=0.02):
    """Poll ``probe`` until it returns something truthy; fail with its last value otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last value: {value!r})")
        eventlet.sleep(interval)
