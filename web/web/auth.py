"""Signing in with the API's own tokens, kept in an HttpOnly, SameSite=Lax cookie.

The dashboard holds no key to verify a token: the gateway verifies it on every call. Signing
in asks the gateway once whether it accepts the token, and only then keeps it. The token's
claims (who, which role and organisation) are read without verification, for display and to
choose the pages; nothing is granted on them, since every page's data comes from the API.
"""

import time
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

import jwt
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from web.api import ApiError, api
from web.settings import DEMO_USERS

COOKIE = "mp_token"
STAFF_ROLES = ("admin", "support")

bp = Blueprint("auth", __name__)


def claims_of(token: str) -> dict[str, Any] | None:
    """The token's claims, unverified (the gateway verifies), if it has the API's shape."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return None
    if not all(isinstance(claims.get(k), str) for k in ("sub", "role", "org")):
        return None
    if not isinstance(claims.get("exp"), int | float):
        return None
    return claims


def load_user() -> None:
    """Before each request: the token from the cookie, and who it says it is."""
    token = request.cookies.get(COOKIE, "")
    claims = claims_of(token) if token else None
    if claims is not None and claims["exp"] <= time.time():
        claims = None
    g.token = token if claims else ""
    g.user = claims
    g.staff = bool(claims and claims["role"] in STAFF_ROLES)


def signed_in(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not g.user:
            return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper


def safe_next(target: str | None, fallback: str | None = None) -> str:
    """Only a path on this site: never an open redirect.

    Browsers read a backslash as a slash and drop tabs and newlines, so a path holding
    either could leave the site; anything but a plain local path falls back.
    """
    default = fallback or url_for("pages.board")
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


@bp.get("/sign-in")
def sign_in():
    demo = DEMO_USERS if current_app.config["WEB_DEMO_USERS"] else ()
    return render_template("sign_in.html", demo_users=demo, next=request.args.get("next", ""))


@bp.post("/sign-in")
def sign_in_with_token():
    token = request.form.get("token", "").strip()
    if token.lower().startswith("bearer "):
        token = token[7:].strip()
    return _keep(token, request.form.get("next"))


@bp.post("/sign-in/demo")
def sign_in_demo():
    if not current_app.config["WEB_DEMO_USERS"]:
        abort(404)
    user = next((u for u in DEMO_USERS if u["key"] == request.form.get("user")), None)
    if user is None:
        abort(400)
    now = int(time.time())
    claims = {k: user[k] for k in ("sub", "role", "org")} | {"iat": now, "exp": now + 8 * 3600}
    token = jwt.encode(claims, current_app.config["JWT_SECRET"], algorithm="HS256")
    return _keep(token, request.form.get("next"))


@bp.post("/sign-out")
def sign_out():
    session.clear()  # nothing of this person's (CSRF token, messages) outlives their sign-out
    response = redirect(url_for("auth.sign_in"))
    response.delete_cookie(COOKIE, path="/", samesite="Lax")
    flash("You are signed out.", "info")
    return response


def _keep(token: str, next_url: str | None):
    """Keep the token once the gateway accepts it; otherwise say why not."""
    claims = claims_of(token) if token else None
    if claims is None:
        return _refused("That is not an API token (a JWT with sub, role, org and exp).")
    g.token = token
    try:
        api().get("/notifications/count")
    except ApiError as error:
        if error.status in (401, 403):
            return _refused(f"The API refused this token: {error.message}")
        return _refused(f"Could not check the token: {error.message}", status=503)
    response = redirect(safe_next(next_url))
    response.set_cookie(
        COOKIE,
        token,
        max_age=max(0, int(claims["exp"] - time.time())),
        path="/",
        httponly=True,
        samesite="Lax",
        secure=current_app.config["WEB_COOKIE_SECURE"],
    )
    return response


def _refused(message: str, status: int = 400):
    demo = DEMO_USERS if current_app.config["WEB_DEMO_USERS"] else ()
    page = render_template(
        "sign_in.html", demo_users=demo, error=message, next=request.form.get("next", "")
    )
    return page, status


def expired():
    """The API no longer accepts the token (expired, revoked): sign in again."""
    flash("Your sign-in has expired or was refused by the API; sign in again.", "error")
    target = url_for("auth.sign_in", next=safe_next(request.full_path.rstrip("?")))
    response = redirect(target)
    if request.headers.get("HX-Request"):
        response = current_app.response_class(status=204, headers={"HX-Redirect": target})
    response.delete_cookie(COOKIE, path="/", samesite="Lax")
    return response
