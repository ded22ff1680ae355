"""The docs page's Swagger UI assets, served from the pinned swagger-ui-bundle package, so the
page works offline and loads nothing from a CDN."""

from flask import Blueprint, send_from_directory
from swagger_ui_bundle import swagger_ui_path

ASSETS_URL = "/api/v1/docs/assets/"

blp = Blueprint("docs_assets", __name__)


@blp.route(ASSETS_URL + "<path:filename>")
def asset(filename):
    return send_from_directory(swagger_ui_path, filename, max_age=86400)
