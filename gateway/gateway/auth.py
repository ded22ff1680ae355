"""Who is calling: a bearer JWT verified into the ``Actor`` every service call carries."""

import time
from typing import TypedDict

import jwt
from flask import current_app, g, request

from chassis.access import is_staff
from contracts.errors import Forbidden
from contracts.rpc.limits import ID_LENGTH
from contracts.rpc.orders import ACTOR, ROLES
from gateway.problems import Problem

ORG_WIDE_ROLES = ("admin", "support")
REQUIRED_CLAIMS = ("exp", "sub", "role", "org")
LEEWAY_SECONDS = 10
# Verifying a token costs more than the rest of a small request, and a client sends the same
# token with each of its requests: the actor it proved is used, by the token's exact text,
# until the token expires. At most this many are kept: all are dropped when that many are.
VERIFIED_TOKENS_KEPT = 10_000


class Actor(TypedDict):
    user_id: str
    role: str
    org: str


def authenticate():
    """Put the caller's ``Actor`` on ``flask.g``, or answer 401."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise _unauthenticated("Send a bearer token: Authorization: Bearer <JWT>", invalid=False)
    token = token.strip()
    verified = current_app.extensions.setdefault("verified_tokens", {})
    kept = verified.get(token)
    if kept is not None and time.time() < kept[1]:
        g.actor = dict(kept[0])
        return
    actor, expires_at = _verify(token, current_app.config)
    if len(verified) >= VERIFIED_TOKENS_KEPT:
        verified.clear()
    verified[token] = (actor, expires_at)
    g.actor = dict(actor)


def _verify(token: str, config) -> tuple[Actor, int]:
    """The actor a token proves and until when (its expiry and the leeway), or a 401."""
    try:
        claims = jwt.decode(
            token,
            config["JWT_KEY"],
            algorithms=[config["JWT_ALGORITHM"]],
            leeway=LEEWAY_SECONDS,
            options={"require": list(REQUIRED_CLAIMS)},
        )
    except jwt.ExpiredSignatureError:
        raise _unauthenticated("The token has expired") from None
    except jwt.InvalidTokenError as error:
        raise _unauthenticated(f"The token is invalid: {error}") from None
    if claims["role"] not in ROLES:
        raise _unauthenticated(f"The token's role must be one of {', '.join(ROLES)}")
    actor = Actor(user_id=claims["sub"], role=claims["role"], org=claims["org"])
    # Every service keys rows by these claims: one that no column could hold is no identity.
    if ACTOR.validate(actor):
        raise _unauthenticated(
            f"The token's sub and org must be strings of 1 to {ID_LENGTH} plain characters"
        )
    return actor, int(claims["exp"]) + LEEWAY_SECONDS  # whole seconds, as PyJWT compares


def require_role(*roles):
    if g.actor["role"] not in roles:
        raise Forbidden(f"Only a {' or '.join(roles)} may do this", {"role": g.actor["role"]})


def may_see(actor, order):
    """Whether the actor's organisation is a party to the order, or the actor platform staff."""
    if actor["role"] in ORG_WIDE_ROLES:
        return is_staff(actor)
    party = "buyer_org" if actor["role"] == "buyer" else "supplier_org"
    return order.get(party) == actor["org"]


def _unauthenticated(detail, invalid=True):
    # RFC 6750 section 3.1: name the error only when a token was actually presented.
    challenge = 'Bearer realm="api", error="invalid_token"' if invalid else 'Bearer realm="api"'
    return Problem(
        401,
        "Unauthenticated",
        detail,
        slug="unauthenticated",
        headers={"WWW-Authenticate": challenge},
    )
