import jwt
import pytest

from gateway.tokens import main as mint_token


def test_mint_token_round_trip(monkeypatch, capsys, settings, client):
    monkeypatch.setenv("JWT_SECRET", settings["JWT_KEY"])

    mint_token(["--sub", "u-7", "--role", "supplier", "--org", "forge", "--ttl", "60"])
    token = capsys.readouterr().out.strip()

    claims = jwt.decode(token, settings["JWT_KEY"], algorithms=["HS256"])
    assert (claims["sub"], claims["role"], claims["org"]) == ("u-7", "supplier", "forge")
    assert claims["exp"] - claims["iat"] == 60
    response = client.get("/api/v1/orders/counts", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_mint_token_refuses_without_a_secret(monkeypatch):
    monkeypatch.delenv("JWT_SECRET", raising=False)

    with pytest.raises(SystemExit, match="JWT_SECRET is not set") as refused:
        mint_token(["--sub", "u-7", "--role", "buyer", "--org", "acme"])
    assert "data/dev-secrets.env" in str(refused.value)


def test_mint_token_rejects_unknown_roles(capsys):
    with pytest.raises(SystemExit):
        mint_token(["--sub", "u-7", "--role", "root", "--org", "acme"])

    assert "invalid choice" in capsys.readouterr().err
