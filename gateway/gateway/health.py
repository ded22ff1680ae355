"""``/healthz``: the process is alive. ``/readyz``: the broker and every service answer."""

from functools import partial

from flask import jsonify

import contracts.events
from gateway.blueprint import Blueprint
from gateway.openapi import SUCCESS_HEADERS, documented
from gateway.problems import Problem
from gateway.rpc import concurrently, probes, public_detail
from gateway.schemas import LivenessSchema, ReadinessSchema

# Every service has its contracts module, so the gateway knows them all without a list of its own.
SERVICES = contracts.events.SERVICES

blp = Blueprint("health", __name__, description="Liveness and readiness probes")


@blp.route("/healthz")
@blp.doc(security=[], operationId="liveness")
@blp.response(200, LivenessSchema, headers=SUCCESS_HEADERS)
@documented(blp, authenticated=False, calls_services=False)
def liveness():
    """Whether the gateway process is alive (checks no dependency)"""
    return jsonify(status="alive")


@blp.route("/readyz")
@blp.doc(security=[], operationId="readiness")
@blp.response(200, ReadinessSchema, headers=SUCCESS_HEADERS)
@documented(blp, authenticated=False)
def readiness():
    """Whether every service answers its health check through the broker"""
    rpc = probes()
    answers, failures = concurrently(
        {name: partial(rpc.call, f"{name}.health") for name in SERVICES}
    )
    checks = {name: "ok" if name in answers else public_detail(failures[name]) for name in SERVICES}
    if failures:
        raise Problem(
            503,
            "Not ready",
            f"Not answering: {', '.join(failures)}",
            slug="not-ready",
            checks=checks,
            failed=list(failures),
        )
    return jsonify(status="ready", checks=checks)
