"""The admin gateway's Flask application: platform staff only, under ``/admin/v1``."""

from flask import Flask

from gateway import docs, health
from gateway.admin import audit, disputes, money, operations, orders, webhooks
from gateway.app import API_CONFIG, conventional_app

ADMIN_API_CONFIG = {
    **API_CONFIG,
    "API_TITLE": "Marketplace admin API",
    "OPENAPI_URL_PREFIX": "/admin/v1",
}


def create_admin_app(settings: dict | None = None) -> Flask:
    app, api = conventional_app(settings, ADMIN_API_CONFIG)
    audit.init_app(app)
    blueprints = (orders.blp, disputes.blp, money.blp, webhooks.blp, operations.blp, audit.blp)
    for blueprint in (*blueprints, health.blp):
        api.register_blueprint(blueprint)
    app.register_blueprint(docs.blp)
    return app
