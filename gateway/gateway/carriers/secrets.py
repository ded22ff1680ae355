"""Webhook secrets, from the environment only. Each variable holds one secret, or two separated
by a comma while a rotation is under way (both verify until the old one is removed).

- ``CARRIER_WEBHOOK_SECRET``: our generic format, for any carrier without its own secret;
- ``CARRIER_WEBHOOK_SECRET_<CARRIER>``: our generic format, for that carrier only
  (``CARRIER_WEBHOOK_SECRET_DHL_EXPRESS`` for the carrier ``dhl-express``);
- ``AFTERSHIP_WEBHOOK_SECRET``, ``EASYPOST_WEBHOOK_SECRET``: those aggregators' formats.
"""

GENERIC = "CARRIER_WEBHOOK_SECRET"
ANY_CARRIER = "*"


def load(environ) -> dict:
    """The settings the carrier door needs."""
    per_carrier = {}
    for name, value in environ.items():
        if name == GENERIC:
            per_carrier[ANY_CARRIER] = _split(value)
        elif name.startswith(GENERIC + "_"):
            per_carrier[name[len(GENERIC) + 1 :].lower().replace("_", "-")] = _split(value)
    return {
        "CARRIER_WEBHOOK_SECRETS": per_carrier,
        "AFTERSHIP_WEBHOOK_SECRETS": _split(environ.get("AFTERSHIP_WEBHOOK_SECRET", "")),
        "EASYPOST_WEBHOOK_SECRETS": _split(environ.get("EASYPOST_WEBHOOK_SECRET", "")),
    }


def for_carrier(settings: dict, carrier: str) -> tuple[str, ...]:
    per_carrier = settings.get("CARRIER_WEBHOOK_SECRETS", {})
    return per_carrier.get(carrier) or per_carrier.get(ANY_CARRIER, ())


def _split(value: str) -> tuple[str, ...]:
    return tuple(secret.strip() for secret in value.split(",") if secret.strip())
