"""The log of every staff action: who (user, role), what (method, path, action, target), why
(the request's reason or note), when, and how it ended (status, correlation id).

Every mutating request through the admin gateway is recorded after it is answered, refused ones
too, in the gateway's own database. Reading it is for admins.
"""

from datetime import UTC, datetime

from flask import current_app, g, jsonify, request
from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import Session

from chassis.database import make_engine
from gateway.admin.auth import authenticate_staff, require_admin
from gateway.blueprint import Blueprint
from gateway.idempotency import MUTATING_METHODS
from gateway.models import StaffAction
from gateway.openapi import SUCCESS_HEADERS, documented
from gateway.schemas import PassThroughSchema

blp = Blueprint("audit", __name__, url_prefix="/admin/v1", description="The staff audit log")
blp.before_request(authenticate_staff)


def init_app(app):
    app.extensions["audit"] = make_engine(app.config["GATEWAY_DATABASE_URL"])


def apply_to(blueprint):
    blueprint.after_request(_record)


def _record(response):
    if request.method not in MUTATING_METHODS or "actor" not in g:
        return response
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}
    reason = body.get("reason") or body.get("note") or body.get("text")
    actor = g.actor
    with Session(current_app.extensions["audit"]) as session, session.begin():
        session.add(
            StaffAction(
                at=datetime.now(UTC),
                user_id=actor["user_id"],
                role=actor["role"],
                org=actor["org"],
                method=request.method,
                path=request.path,
                action=request.endpoint or "",
                target=dict(request.view_args or {}),
                reason=str(reason)[:5000] if reason else None,
                status_code=response.status_code,
                correlation_id=g.get("correlation_id"),
            )
        )
    return response


class AuditQuerySchema(Schema):
    user_id = fields.String(validate=validate.Length(max=128))
    before_id = fields.Integer(metadata={"description": "The last id of the previous page"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class StaffActionSchema(PassThroughSchema):
    id = fields.Integer()
    at = fields.DateTime()
    user_id = fields.String()
    role = fields.String()
    action = fields.String(metadata={"example": "admin_disputes.resolve_dispute"})
    target = fields.Dict(metadata={"example": {"dispute_id": "d-1"}})
    reason = fields.String(allow_none=True)
    status_code = fields.Integer()


@blp.route("/audit")
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, StaffActionSchema(many=True), headers=SUCCESS_HEADERS)
@blp.doc(operationId="adminListStaffActions")
@documented(blp)
def list_staff_actions(query):
    """Every staff action, newest first (admins)"""
    require_admin()
    statement = select(StaffAction).order_by(StaffAction.id.desc()).limit(query["limit"])
    if "user_id" in query:
        statement = statement.where(StaffAction.user_id == query["user_id"])
    if "before_id" in query:
        statement = statement.where(StaffAction.id < query["before_id"])
    with Session(current_app.extensions["audit"]) as session:
        rows = session.execute(statement).scalars().all()
        return jsonify(
            [
                {
                    "id": row.id,
                    "at": row.at.isoformat(),
                    "user_id": row.user_id,
                    "role": row.role,
                    "org": row.org,
                    "method": row.method,
                    "path": row.path,
                    "action": row.action,
                    "target": row.target,
                    "reason": row.reason,
                    "status_code": row.status_code,
                    "correlation_id": row.correlation_id,
                }
                for row in rows
            ]
        )
