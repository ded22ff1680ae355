"""The admin gateway's Flask application: platform staff only, under ``/admin/v1``."""

from flask import Flask

from gateway import correlation, health, idempotency, rpc
from gateway.admin import audit, disputes, operations, orders
from gateway.app import API_CONFIG
from gateway.logs import log_requests
from gateway.problems import ProblemApi
from gateway.settings import load_settings

ADMIN_API_CONFIG = {
    **API_CONFIG,
    "API_TITLE": "Marketplace admin API",
    "OPENAPI_URL_PREFIX": "/admin/v1",
}


def create_admin_app(settings: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(settings if settings is not None else load_settings())
    app.config.from_mapping(ADMIN_API_CONFIG)

    log_requests(app)
    correlation.init_app(app)
    rpc.init_app(app)
    idempotency.init_app(app)
    audit.init_app(app)

    api = ProblemApi(app)
    for blueprint in (orders.blp, disputes.blp, operations.blp, audit.blp, health.blp):
        api.register_blueprint(blueprint)
    return app
