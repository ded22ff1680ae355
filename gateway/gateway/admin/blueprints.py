"""What every admin blueprint is: under ``/admin/v1``, platform staff only, idempotent, audited."""

from gateway import idempotency
from gateway.admin import audit
from gateway.admin.auth import authenticate_staff
from gateway.blueprint import Blueprint


def staff_blueprint(name: str, import_name: str, description: str) -> Blueprint:
    blp = Blueprint(name, import_name, url_prefix="/admin/v1", description=description)
    blp.before_request(authenticate_staff)
    idempotency.apply_to(blp)
    audit.apply_to(blp)
    return blp
