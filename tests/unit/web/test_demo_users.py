"""One-click demo sign-in is offered only on a dashboard that listens on the loopback."""

import sys
from pathlib import Path

import pytest

from web.settings import SettingsError, load_settings

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tools"))
from launch import build_env

SECRETS = {"WEB_SECRET_KEY": "k" * 32, "JWT_SECRET": "j" * 32, "WEB_DEMO_USERS": "1"}


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_demo_users_on_a_loopback_host_are_allowed(host):
    assert load_settings({**SECRETS, "WEB_HOST": host})["WEB_DEMO_USERS"] is True


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "web.example.com"])
def test_demo_users_on_a_host_others_can_reach_are_refused(host):
    with pytest.raises(SettingsError, match="WEB_DEMO_USERS"):
        load_settings({**SECRETS, "WEB_HOST": host})


def launched(monkeypatch, tmp_path, host):
    for name in ("WEB_DEMO_USERS", "WEB_HOST", "GATEWAY_HOST"):
        monkeypatch.delenv(name, raising=False)
    return build_env({"DATA_DIR": str(tmp_path)}, host=host, demo_users=True)


def test_the_launcher_offers_demo_users_only_when_the_dashboard_is_on_the_loopback(
    monkeypatch, tmp_path
):
    assert launched(monkeypatch, tmp_path, None).get("WEB_DEMO_USERS") == "1"
    on_the_network = launched(monkeypatch, tmp_path, "0.0.0.0")
    assert on_the_network["WEB_HOST"] == "0.0.0.0"
    assert not on_the_network.get("WEB_DEMO_USERS")
