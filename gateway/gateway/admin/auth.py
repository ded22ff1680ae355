"""Only platform staff pass the admin gateway's door; only admins move money or commitments."""

from flask import g

from chassis.access import is_staff
from gateway.auth import authenticate, require_role
from gateway.problems import Problem


def authenticate_staff():
    """A verified token of platform staff (admin or support of PLATFORM_ORG), or 401/403."""
    authenticate()
    if not is_staff(g.actor):
        raise Problem(
            403,
            "Forbidden",
            "The admin API serves platform staff only: an admin or support token of the "
            "platform's organisation",
            slug="staff-only",
            role=g.actor["role"],
        )


def require_admin():
    require_role("admin")
