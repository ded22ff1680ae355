"""Staff's queues, from the admin gateway (ADMIN_PORT): disputes, claims, dead letters.

Only admin and support tokens get in there; the admin gateway checks that itself, and this
page shows its refusal like any other.
"""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from web.api import ApiError, admin_api, api_path
from web.auth import signed_in

bp = Blueprint("staff", __name__, url_prefix="/staff")

QUEUE_STATUSES = {"disputes": ("open", "escalated", "resolved", "withdrawn"), "claims": ()}


@bp.get("/")
@signed_in
def queues():
    if not g.staff:
        abort(404)
    dispute_status = request.args.get("dispute_status", "escalated")
    found, failed = admin_api().gather(
        disputes=("/disputes", {"status": dispute_status} if dispute_status else {}),
        claims=("/claims", {}),
        dead_letters=("/dead-letters",),
    )
    if any(error.status == 401 for error in failed.values()):
        raise next(e for e in failed.values() if e.status == 401)
    return render_template(
        "staff.html",
        disputes=found.get("disputes", {}).get("items", []),
        claims=found.get("claims", {}).get("items", []),
        dead_letters=found.get("dead_letters", []),
        failed={name: error.message for name, error in failed.items()},
        dispute_status=dispute_status,
        statuses=QUEUE_STATUSES["disputes"],
    )


@bp.post("/dead-letters/<queue>/replay")
@signed_in
def replay(queue):
    if not g.staff:
        abort(404)
    reason = request.form.get("reason", "").strip()
    if not reason:
        flash("Say why you replay these messages (it goes to the audit log).", "error")
    else:
        try:
            replayed = admin_api().post(
                api_path("dead-letters", queue, "replay"), json={"reason": reason}
            )
            flash(f"{replayed.get('replayed', 0)} message(s) sent back to {queue}.", "success")
        except ApiError as error:
            if error.status == 401:
                raise
            flash(f"Not replayed: {error.message}", "error")
    return redirect(url_for(".queues"))
