"""The internal admin gateway: a second Flask app of the gateway package, on its own port, for
platform staff only (docs/adr/0008). ``create_admin_app`` builds it; ``python -m gateway.admin``
serves it."""
