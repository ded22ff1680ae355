"""``mint-token``: sign a bearer token for local use with the gateway's own key."""

import argparse
import os
import sys
import time
from pathlib import Path

import jwt

from gateway.auth import ROLES
from gateway.settings import ALGORITHMS, SettingsError, signing_secret

# `make run` keeps the secret the running system uses in data/dev-secrets.env.
DEV_SECRET_HINT = (
    "mint-token: JWT_SECRET is not set. For the system `make run` started, use its secret:\n"
    "  set -a; . data/dev-secrets.env; set +a\n"
    "then run mint-token again (elsewhere, set JWT_SECRET to the gateway's own secret)."
)


def mint(sub, role, org, ttl, key, algorithm="HS256"):
    now = int(time.time())
    claims = {"sub": sub, "role": role, "org": org, "iat": now, "exp": now + ttl}
    return jwt.encode(claims, key, algorithm=algorithm)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="mint-token",
        description="Print a bearer token signed with JWT_SECRET (HS256) or --private-key (RS256).",
    )
    parser.add_argument("--sub", required=True, help="user id")
    parser.add_argument("--role", required=True, choices=ROLES)
    parser.add_argument("--org", required=True, help="organisation id")
    parser.add_argument("--ttl", type=int, default=3600, help="seconds until it expires")
    parser.add_argument("--private-key", type=Path, help="PEM file, when JWT_ALGORITHM=RS256")
    args = parser.parse_args(argv)

    algorithm = os.environ.get("JWT_ALGORITHM", "HS256")
    if algorithm not in ALGORITHMS:
        parser.error(f"JWT_ALGORITHM must be one of {', '.join(ALGORITHMS)}")
    if algorithm == "RS256" and args.private_key is None:
        parser.error("JWT_ALGORITHM=RS256 needs --private-key")
    if algorithm == "HS256" and not os.environ.get("JWT_SECRET"):
        sys.exit(DEV_SECRET_HINT)
    try:
        key = args.private_key.read_text() if algorithm == "RS256" else signing_secret(os.environ)
    except (SettingsError, OSError) as error:
        sys.exit(f"mint-token: {error}")
    print(mint(args.sub, args.role, args.org, args.ttl, key, algorithm))


if __name__ == "__main__":
    main()
