import time
from datetime import datetime
from types import SimpleNamespace

import jwt
import pytest

from gateway import auth

PROTECTED = "/api/v1/orders/counts"


def assert_unauthenticated(response, challenge='Bearer realm="api", error="invalid_token"'):
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == challenge
    assert response.json["type"] == "urn:marketplace:problem:unauthenticated"
    return response.json["detail"]


def test_missing_token_is_401_with_a_bare_challenge(client):
    response = client.get(PROTECTED)

    assert "bearer token" in assert_unauthenticated(response, challenge='Bearer realm="api"')


def test_other_schemes_are_401(client):
    response = client.get(PROTECTED, headers={"Authorization": "Basic dTpw"})

    assert_unauthenticated(response, challenge='Bearer realm="api"')


def test_bad_signature_is_401(client, bearer):
    forged = bearer(key="another-secret-that-is-long-enough-for-hs256")

    assert "Signature" in assert_unauthenticated(client.get(PROTECTED, headers=forged))


def test_expired_token_is_401(client, bearer):
    expired = bearer(ttl=-60)

    assert "expired" in assert_unauthenticated(client.get(PROTECTED, headers=expired))


def test_role_outside_the_four_is_401(client, bearer):
    response = client.get(PROTECTED, headers=bearer(role="superuser"))

    assert "role" in assert_unauthenticated(response)


@pytest.mark.parametrize("missing", ["exp", "sub", "role", "org"])
def test_each_claim_is_required(client, settings, missing):
    claims = {"sub": "u-1", "role": "buyer", "org": "acme", "exp": 4102444800}
    del claims[missing]
    token = jwt.encode(claims, settings["JWT_KEY"], algorithm="HS256")

    assert_unauthenticated(client.get(PROTECTED, headers={"Authorization": f"Bearer {token}"}))


def test_unsigned_token_is_401(client):
    claims = {"sub": "u-1", "role": "admin", "org": "acme", "exp": 4102444800}
    token = jwt.encode(claims, None, algorithm="none")

    assert_unauthenticated(client.get(PROTECTED, headers={"Authorization": f"Bearer {token}"}))


def test_the_verified_identity_is_the_actor_of_every_call(client, cluster, bearer):
    response = client.get(PROTECTED, headers=bearer(role="supplier", org="forge", sub="u-9"))

    assert response.status_code == 200
    ((_, method, args, _, _),) = cluster.calls
    assert method == "count_orders"
    assert args == ({"user_id": "u-9", "role": "supplier", "org": "forge"}, {})


@pytest.mark.parametrize("role", ["supplier", "admin", "support"])
def test_only_buyers_place_orders(client, cluster, bearer, order_request, role):
    response = client.post("/api/v1/orders", json=order_request(), headers=bearer(role=role))

    assert response.status_code == 403
    assert response.json["role"] == role
    assert cluster.calls == []


def test_health_and_docs_need_no_token(client):
    for path in ("/healthz", "/api/v1/openapi.json", "/api/v1/docs"):
        assert client.get(path).status_code == 200


def test_rs256_tokens_are_verified_with_the_public_key_from_the_environment(
    settings, cluster, monkeypatch
):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from gateway import rpc
    from gateway.app import create_app
    from gateway.settings import load_settings
    from gateway.tokens import mint

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    app = create_app(
        load_settings(
            {
                "JWT_ALGORITHM": "RS256",
                "JWT_PUBLIC_KEY": public_pem,
                "GATEWAY_DATABASE_URL": settings["GATEWAY_DATABASE_URL"],
            }
        )
    )
    try:
        client = app.test_client()
        token = mint("u-1", "buyer", "acme", 600, private_pem, algorithm="RS256")
        assert (
            client.get(PROTECTED, headers={"Authorization": f"Bearer {token}"}).status_code == 200
        )
        forged = mint(
            "u-1",
            "buyer",
            "acme",
            600,
            "an-hs256-secret-pretending-to-be-a-key-000",
            algorithm="HS256",
        )
        assert_unauthenticated(client.get(PROTECTED, headers={"Authorization": f"Bearer {forged}"}))
    finally:
        rpc.close(app)


def test_a_token_accepted_before_is_refused_once_it_expires(app, client, bearer, monkeypatch):
    headers = bearer(ttl=60)
    assert client.get(PROTECTED, headers=headers).status_code == 200
    token = headers["Authorization"].partition(" ")[2]
    assert token in app.extensions["verified_tokens"]  # its actor is kept...
    assert client.get(PROTECTED, headers=headers).status_code == 200

    later = time.time() + 60 + auth.LEEWAY_SECONDS + 1

    class Later(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.fromtimestamp(later, tz)

    monkeypatch.setattr(auth, "time", SimpleNamespace(time=lambda: later))
    monkeypatch.setattr(jwt.api_jwt, "datetime", Later)  # what PyJWT reads the time from

    # ... but not past the token's expiry.
    assert "expired" in assert_unauthenticated(client.get(PROTECTED, headers=headers))
