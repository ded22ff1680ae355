"""``python -m bare.gateway``: the bare stack's door, a Flask app on eventlet's WSGI server (as
the gateway is served) that turns ``POST /orders/<id>/actions/approve`` into one RPC call
through the gateway's own pool of Nameko proxies. No token, no limits, no problem documents:
the frameworks' part of a request only. Its calls, unlike the gateway's, do not wait for a
broker confirm (which is how the gateway learns at once that a service is not running).
See bench/floor.py."""

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet

eventlet.monkey_patch()

import os
import uuid

from eventlet import wsgi
from flask import Flask, jsonify, request
from nameko import rpc

from chassis.replies import UnconfirmedPublisher
from gateway.rpc import ProxyPool

rpc.MethodProxy.publisher_cls = UnconfirmedPublisher
# Nameko warns that a call to a service that is not running then waits for its timeout: here
# the one service called is started before the first call (floor.BareStack).
warnings.filterwarnings("ignore", message="Mandatory delivery was requested")

POOL_SIZE = 32  # the gateway's default RPC_POOL_SIZE
TIMEOUT_S = 30


def create_app(amqp_uri):
    app = Flask(__name__)
    pool = ProxyPool(amqp_uri, POOL_SIZE, TIMEOUT_S)

    @app.post("/orders/<order_id>/actions/approve")
    def approve(order_id):
        request.get_json(silent=True)
        with pool.lend(str(uuid.uuid4())) as cluster:
            return jsonify(cluster.bare_orders.approve(order_id))

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    return app


if __name__ == "__main__":
    listener = eventlet.listen(("127.0.0.1", int(os.environ["BARE_PORT"])))
    wsgi.server(listener, create_app(os.environ["AMQP_URI"]), log_output=False)
