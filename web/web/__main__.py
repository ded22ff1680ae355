"""``python -m web``: serve the dashboard with waitress until SIGTERM or Ctrl-C."""

import logging
import sys

from waitress import serve

from web.app import create_app
from web.settings import SettingsError, load_settings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    try:
        settings = load_settings()
    except SettingsError as error:
        sys.exit(f"web: {error}")
    app = create_app(settings)
    host, port = settings["WEB_HOST"], settings["WEB_PORT"]
    print(f"web: the dashboard listens on http://{host}:{port}/", flush=True)
    serve(app, host=host, port=port, threads=16, ident="marketplace-web")


if __name__ == "__main__":
    main()
