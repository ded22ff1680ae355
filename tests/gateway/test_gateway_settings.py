import pytest

from gateway.settings import SettingsError, load_settings

SECRET = "a-local-secret-of-at-least-32-bytes!"


def test_defaults(tmp_path):
    settings = load_settings({"JWT_SECRET": SECRET, "DATA_DIR": str(tmp_path)})

    assert settings["AMQP_URI"] == "amqp://guest:guest@127.0.0.1:5672/"
    assert settings["GATEWAY_DATABASE_URL"] == f"sqlite:///{tmp_path}/gateway.db"
    assert (settings["RPC_TIMEOUT"], settings["RPC_POOL_SIZE"]) == (10.0, 32)
    assert (settings["GATEWAY_HOST"], settings["GATEWAY_PORT"]) == ("127.0.0.1", 8080)
    assert (settings["GATEWAY_MAX_BODY_BYTES"], settings["GATEWAY_MAX_URL_BYTES"]) == (2**20, 8192)


def test_request_limits_come_from_the_environment(tmp_path):
    from gateway.app import create_app

    settings = load_settings(
        {
            "JWT_SECRET": SECRET,
            "DATA_DIR": str(tmp_path),
            "GATEWAY_MAX_BODY_BYTES": "100",
            "GATEWAY_MAX_URL_BYTES": "50",
        }
    )
    client = create_app(settings).test_client()

    assert client.get("/healthz?" + "x" * 50).status_code == 414
    big = client.post("/api/v1/orders", data=f'"{"x" * 99}"', content_type="application/json")
    assert big.status_code == 413


@pytest.mark.parametrize(
    "environ, message",
    [
        ({}, "JWT_SECRET is not set"),
        ({"JWT_SECRET": "short"}, "JWT_SECRET is too short"),
        ({"JWT_ALGORITHM": "none", "JWT_SECRET": SECRET}, "JWT_ALGORITHM must be HS256 or RS256"),
        ({"JWT_SECRET": SECRET, "RPC_TIMEOUT": "soon"}, "RPC_TIMEOUT must be a number"),
        ({"JWT_SECRET": SECRET, "RPC_POOL_SIZE": "0"}, "RPC_POOL_SIZE must be positive"),
    ],
)
def test_refuses_to_start_without_what_it_needs(environ, message):
    with pytest.raises(SettingsError, match=message):
        load_settings(environ)
