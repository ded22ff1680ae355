"""Reading a dispute or a claim, and the files it cites: the same for the parties under
``/api/v1`` and for staff under ``/admin/v1``.

The disputes service applies the organisation rule on its own projection of orders; the gateway
checks every answer once more (staff see every one), and another organisation's dispute is a 404.
``add_read_routes(blp)`` gives a blueprint the four read routes.
"""

import logging

from flask import g, jsonify

from contracts.errors import NotFound
from gateway import evidence
from gateway.auth import may_see
from gateway.blueprint import Blueprint
from gateway.dispute_schemas import ClaimSchema, DisputeSchema
from gateway.openapi import SUCCESS_HEADERS, documented
from gateway.rpc import services

log = logging.getLogger(__name__)


def visible(item: dict, what: str) -> dict:
    """``item`` (a dispute or claim), if the caller may see it; a 404 otherwise."""
    if not may_see(g.actor, item):
        log.error("the disputes service returned %s to an actor outside its order", what)
        raise NotFound(f"{what} not found")
    return item


def fetch(kind: str, item_id: str) -> dict:
    """The ``kind`` ("dispute" or "claim") the caller may see, or a 404."""
    return visible(services().call(f"disputes.get_{kind}", g.actor, item_id), f"{kind} {item_id}")


def add_read_routes(blp: Blueprint, operation_prefix: str = "") -> None:
    """``GET /disputes/<id>``, ``/claims/<id>`` and their ``/evidence/<file_id>`` on ``blp``;
    ``operation_prefix`` keeps the OpenAPI operation ids of two apps apart."""

    def operation(name: str) -> str:
        return operation_prefix + name[0].upper() + name[1:] if operation_prefix else name

    @blp.route("/disputes/<dispute_id>")
    @blp.response(200, DisputeSchema, headers=SUCCESS_HEADERS)
    @blp.doc(operationId=operation("getDispute"))
    @documented(blp, 404)
    def get_dispute(dispute_id):
        """A dispute with both parties' statements, evidence and resolution"""
        return jsonify(fetch("dispute", dispute_id))

    @blp.route("/claims/<claim_id>")
    @blp.response(200, ClaimSchema, headers=SUCCESS_HEADERS)
    @blp.doc(operationId=operation("getClaim"))
    @documented(blp, 404)
    def get_claim(claim_id):
        """A claim with its evidence and staff's decision, with its reason"""
        return jsonify(fetch("claim", claim_id))

    @blp.route("/disputes/<dispute_id>/evidence/<file_id>")
    @blp.response(200, content_type="application/octet-stream", description="The file")
    @blp.doc(operationId=operation("downloadDisputeEvidence"))
    @documented(blp, 404)
    def download_dispute_evidence(dispute_id, file_id):
        """A file cited in the dispute or one of its statements"""
        return evidence.download(fetch("dispute", dispute_id), file_id, f"dispute {dispute_id}")

    @blp.route("/claims/<claim_id>/evidence/<file_id>")
    @blp.response(200, content_type="application/octet-stream", description="The file")
    @blp.doc(operationId=operation("downloadClaimEvidence"))
    @documented(blp, 404)
    def download_claim_evidence(claim_id, file_id):
        """A file cited in the claim: the photos taken at the warehouse..."""
        return evidence.download(fetch("claim", claim_id), file_id, f"claim {claim_id}")
