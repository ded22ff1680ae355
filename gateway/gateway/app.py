"""The gateway's Flask application: the only public door to the marketplace services."""

from flask import Flask

from gateway import (
    chat,
    correlation,
    disputes,
    docs,
    events,
    fulfillment,
    health,
    idempotency,
    limits,
    notifications,
    orders,
    payments,
    profiles,
    rpc,
)
from gateway.carriers import door as carrier_door
from gateway.logs import log_requests
from gateway.problems import ProblemApi
from gateway.settings import load_settings

API_CONFIG = {
    "API_TITLE": "Marketplace orders API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    "OPENAPI_SWAGGER_UI_URL": docs.ASSETS_URL,
    "API_SPEC_OPTIONS": {
        "security": [{"bearerAuth": []}],
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            },
        },
    },
}


def create_app(settings: dict | None = None) -> Flask:
    app, api = conventional_app(settings, API_CONFIG)
    events.init_app(app)  # the carrier door publishes (ADR 22); the admin gateway does not
    api.register_blueprint(orders.blp)
    api.register_blueprint(disputes.blp)
    api.register_blueprint(health.blp)
    api.register_blueprint(payments.blp)
    api.register_blueprint(fulfillment.blp)
    api.register_blueprint(carrier_door.blp)
    api.register_blueprint(chat.blp)
    api.register_blueprint(notifications.blp)
    api.register_blueprint(profiles.blp)
    app.register_blueprint(docs.blp)
    return app


def conventional_app(settings: dict | None, api_config: dict) -> tuple[Flask, ProblemApi]:
    """A Flask app with the gateway's conventions: request logs, correlation ids, the RPC pool,
    idempotency keys and problem+json errors; the public and the admin gateway are two of them."""
    app = Flask(__name__)
    app.config.from_mapping(settings if settings is not None else load_settings())
    app.config.from_mapping(api_config)

    log_requests(app)
    correlation.init_app(app)
    limits.init_app(app)
    rpc.init_app(app)
    idempotency.init_app(app)
    return app, ProblemApi(app)
