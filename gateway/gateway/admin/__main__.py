"""``python -m gateway.admin``: serve the admin API on its own port until SIGTERM or Ctrl-C."""

from gateway.__main__ import serve  # first: it patches eventlet before anything else loads
from gateway.admin.app import create_admin_app


def main():
    serve(create_admin_app, "ADMIN", "/admin/v1", "admin gateway")


if __name__ == "__main__":
    main()
