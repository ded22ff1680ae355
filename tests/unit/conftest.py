"""Unit tests need no broker and no database: any attempt to reach one fails the test."""

import socket

import pytest


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(self, address, *args, **kwargs):
        raise AssertionError(f"a unit test tried to connect to {address}: use a fake")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
