"""A real S3 API server on 127.0.0.1 (moto's server mode), in its own process."""

import socket
import subprocess
import sys
from contextlib import closing, contextmanager

import requests

from support.waiting import eventually

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(url):
    try:
        return requests.get(url, timeout=1).status_code < 500
    except requests.RequestException:
        return False


@contextmanager
def s3_server():
    """The endpoint URL of a fresh S3 server; stopped afterwards."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        eventually(lambda: _answers(url), timeout=30)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)
