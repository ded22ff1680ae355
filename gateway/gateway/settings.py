"""The gateway's configuration, read from the environment once at start-up."""

import os
from pathlib import Path

from jwt.algorithms import has_crypto

from chassis.settings import amqp_uri, database_url
from gateway.carriers import secrets as carrier_secrets

ALGORITHMS = ("HS256", "RS256")
# RFC 7518 section 3.2: an HS256 key must be at least as long as the hash output.
MIN_SECRET_BYTES = 32


class SettingsError(Exception):
    """The environment cannot run the gateway; the message says what to set."""


def load_settings(environ=None) -> dict:
    environ = os.environ if environ is None else environ
    algorithm = environ.get("JWT_ALGORITHM", "HS256")
    return {
        "AMQP_URI": amqp_uri(environ=environ),
        "JWT_ALGORITHM": algorithm,
        "JWT_KEY": _verification_key(algorithm, environ),
        "GATEWAY_DATABASE_URL": database_url("gateway", environ=environ),
        "RPC_TIMEOUT": _number(environ, "RPC_TIMEOUT", 10.0, float),
        "RPC_POOL_SIZE": _number(environ, "RPC_POOL_SIZE", 32, int),
        "ORDER_PAGE_SECTION_TIMEOUT": _number(environ, "ORDER_PAGE_SECTION_TIMEOUT", 3.0, float),
        "IDEMPOTENCY_KEY_RETENTION_HOURS": _number(
            environ, "IDEMPOTENCY_KEY_RETENTION_HOURS", 24.0, float
        ),
        "GATEWAY_HOST": environ.get("GATEWAY_HOST", "127.0.0.1"),
        "GATEWAY_PORT": _number(environ, "GATEWAY_PORT", 8080, int),
        "ADMIN_HOST": environ.get("ADMIN_HOST", "127.0.0.1"),
        "ADMIN_PORT": _number(environ, "ADMIN_PORT", 8081, int),
        "GATEWAY_MAX_BODY_BYTES": _number(environ, "GATEWAY_MAX_BODY_BYTES", 1024 * 1024, int),
        "GATEWAY_MAX_URL_BYTES": _number(environ, "GATEWAY_MAX_URL_BYTES", 8192, int),
        **carrier_secrets.load(environ),
    }


def signing_secret(environ) -> str:
    """The HS256 secret, shared by the verifier and the mint-token command."""
    secret = environ.get("JWT_SECRET", "")
    if not secret:
        raise SettingsError(
            "JWT_SECRET is not set. Set it to a random string of at least "
            f"{MIN_SECRET_BYTES} bytes, e.g. JWT_SECRET=$(openssl rand -hex 32)"
        )
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise SettingsError(f"JWT_SECRET is too short: use at least {MIN_SECRET_BYTES} bytes")
    return secret


def _verification_key(algorithm, environ) -> str:
    if algorithm not in ALGORITHMS:
        raise SettingsError(f"JWT_ALGORITHM must be {' or '.join(ALGORITHMS)}, not {algorithm!r}")
    if algorithm == "HS256":
        return signing_secret(environ)
    if not has_crypto:
        raise SettingsError("JWT_ALGORITHM=RS256 needs the 'cryptography' package installed")
    public_key = environ.get("JWT_PUBLIC_KEY", "").strip()
    if not public_key:
        raise SettingsError("JWT_PUBLIC_KEY is not set: give a PEM public key or its file's path")
    if public_key.startswith("-----BEGIN"):
        return public_key
    try:
        return Path(public_key).read_text()
    except OSError as error:
        raise SettingsError(f"JWT_PUBLIC_KEY: cannot read {public_key}: {error.strerror}") from None


def _number(environ, name, default, kind):
    raw = environ.get(name)
    if raw is None:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {raw!r}") from None
    if value <= 0:
        raise SettingsError(f"{name} must be positive, not {raw!r}")
    return value
