"""The dashboard's Flask app: ``create_app(settings)``."""

import datetime as dt
import uuid
from typing import Any

import requests
from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from markupsafe import Markup
from requests.adapters import HTTPAdapter

from contracts.money import minor_unit_digits
from web import auth, pages, staff
from web.actions import asks_first, is_dangerous
from web.api import ApiError
from web.settings import load_settings

csrf = CSRFProtect()


def create_app(settings: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(settings if settings is not None else load_settings())
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=app.config["WEB_COOKIE_SECURE"],
        SESSION_COOKIE_NAME="mp_session",
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session cookie
        MAX_CONTENT_LENGTH=64 * 1024 * 1024,
    )
    http = requests.Session()
    http.mount("http://", HTTPAdapter(pool_connections=4, pool_maxsize=32))
    http.mount("https://", HTTPAdapter(pool_connections=4, pool_maxsize=32))
    app.extensions["web.http"] = http
    csrf.init_app(app)

    app.before_request(auth.load_user)
    app.register_blueprint(auth.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(staff.bp)
    app.jinja_env.filters.update(money=money, when=when, day=day, label=label)
    app.jinja_env.globals.update(
        htmx_js="htmx-2.0.11.min.js",
        merge=merge,
        form_fields=form_fields,
        asks_first=asks_first,
        is_dangerous=is_dangerous,
    )

    @app.after_request
    def secure_headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @app.get("/healthz")
    def healthz():
        return {"status": "alive"}

    @app.errorhandler(ApiError)
    def api_error(error: ApiError):
        if error.status == 401:
            return auth.expired()
        status = error.status if 400 <= error.status < 600 else 502
        return _error_page(status, error.title, error.message)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return _error_page(
            400, "The form expired", "Reload the page and send it again. " + error.description
        )

    @app.errorhandler(500)
    def broken(_error):
        return _error_page(500, "Something went wrong", "The page could not be shown; try again.")

    @app.errorhandler(404)
    def not_found(_error):
        return _error_page(404, "Not found", "There is no such page.")

    return app


def _error_page(status: int, title: str, message: str):
    template = "partials/error.html" if request.headers.get("HX-Request") else "error.html"
    return render_template(template, status=status, title=title, message=message), status


def form_fields() -> Markup:
    """The hidden fields of every form that posts: its CSRF token, and an idempotency key drawn
    with the form, so submitting the same drawn form twice has one effect (web.api)."""
    return Markup(
        '<input type="hidden" name="csrf_token" value="{}">'
        '<input type="hidden" name="idempotency_key" value="{}">'
    ).format(generate_csrf(), uuid.uuid4())


def merge(*dicts: dict) -> dict:
    """Query arguments from several dicts, later ones winning (Jinja has one ``**`` per call)."""
    merged: dict = {}
    for d in dicts:
        merged.update(d)
    return merged


def money(minor: Any, currency: str | None = "") -> str:
    """Minor units as an amount: 123456, "EUR" -> "1,234.56 EUR"; in each currency's decimals."""
    if not isinstance(minor, int):
        return "—"
    digits = minor_unit_digits(currency)
    amount = minor / 10**digits
    return f"{amount:,.{digits}f} {currency or ''}".strip()


def _parse(value: Any) -> dt.datetime | dt.date | None:
    if not value or not isinstance(value, str):
        return None
    try:
        if len(value) == 10:
            return dt.date.fromisoformat(value)
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def when(value: Any) -> str:
    """A timestamp as "3 Dec 2026 15:40 UTC"."""
    parsed = _parse(value)
    if isinstance(parsed, dt.datetime):
        return parsed.astimezone(dt.UTC).strftime("%-d %b %Y %H:%M UTC")
    if isinstance(parsed, dt.date):
        return parsed.strftime("%-d %b %Y")
    return "—"


def day(value: Any) -> str:
    """A date (or the date of a timestamp) as "3 Dec 2026"."""
    parsed = _parse(value)
    return parsed.strftime("%-d %b %Y") if parsed else "—"


def label(name: Any) -> str:
    """A machine name as words: "ready_for_delivery" -> "Ready for delivery"."""
    text = str(name or "").replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]
