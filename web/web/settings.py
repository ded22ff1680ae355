"""The dashboard's settings, all from the environment (see the README's table)."""

import ipaddress
import os
from collections.abc import Mapping
from typing import Any


class SettingsError(RuntimeError):
    """A setting is missing or malformed; the message names it."""


# One-click sign-in for development (WEB_DEMO_USERS=1): who each button signs in as. They are
# the people `make demo` (tools/demo.py) fills the system for.
_DEMO = (
    ("alice", "buyer", "acme", "manufacturing, factory and retail"),
    ("bianca", "buyer", "brightlabs", "freelance services"),
    ("sam", "supplier", "forge", "manufacturing"),
    ("fei", "supplier", "shenzhen-works", "factory"),
    ("nia", "supplier", "studio-nova", "freelance services"),
    ("sol", "supplier", "shopfront", "retail"),
    ("ada", "admin", "platform", "platform staff"),
    ("sue", "support", "platform", "platform staff"),
)
DEMO_USERS = tuple(
    {
        "key": sub,
        "sub": sub,
        "role": role,
        "org": org,
        "label": f"{sub.capitalize()}, {role} of {org} ({what})",
    }
    for sub, role, org, what in _DEMO
)


def is_loopback(host: str) -> bool:
    """Whether `host` only listens on this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def load_settings(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    env = os.environ if environ is None else environ
    secret = env.get("WEB_SECRET_KEY", "")
    if len(secret) < 32:
        raise SettingsError(
            "WEB_SECRET_KEY must be set to at least 32 random characters "
            "(it signs the dashboard's session and CSRF tokens)"
        )
    gateway = f"http://{env.get('GATEWAY_HOST', '127.0.0.1')}:{env.get('GATEWAY_PORT', '8080')}"
    admin = f"http://{env.get('ADMIN_HOST', '127.0.0.1')}:{env.get('ADMIN_PORT', '8081')}"
    demo = _flag(env.get("WEB_DEMO_USERS"))
    if demo and not env.get("JWT_SECRET"):
        raise SettingsError("WEB_DEMO_USERS needs JWT_SECRET, to sign the demo users' tokens")
    host = env.get("WEB_HOST", "127.0.0.1")
    if demo and not is_loopback(host):
        raise SettingsError(
            f"WEB_DEMO_USERS lets anyone sign in as anyone: only on a loopback WEB_HOST, not {host}"
        )
    return {
        "WEB_HOST": host,
        "WEB_PORT": int(env.get("WEB_PORT", "8082")),
        "WEB_API_URL": env.get("WEB_API_URL", gateway + "/api/v1").rstrip("/"),
        "WEB_ADMIN_URL": env.get("WEB_ADMIN_URL", admin + "/admin/v1").rstrip("/"),
        "WEB_API_TIMEOUT_S": float(env.get("WEB_API_TIMEOUT_S", "15")),
        "WEB_COOKIE_SECURE": _flag(env.get("WEB_COOKIE_SECURE")),
        "WEB_DEMO_USERS": demo,
        "JWT_SECRET": env.get("JWT_SECRET", "") if demo else "",
        "SECRET_KEY": secret,
    }
