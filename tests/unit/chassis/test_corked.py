"""chassis.publishing: a batch's messages go out corked, and the socket is uncorked whatever
happens while they are written."""

import socket
from types import SimpleNamespace

import pytest

from chassis.publishing import _corked


class Socket:
    def __init__(self, broken=False):
        self.options: list[int] = []
        self.broken = broken

    def setsockopt(self, level, option, value):
        assert (level, option) == (socket.IPPROTO_TCP, socket.TCP_CORK)
        if self.broken and value == 0:
            raise OSError("Bad file descriptor")
        self.options.append(value)


def _connection(sock):
    return SimpleNamespace(connection=SimpleNamespace(sock=sock))


def test_several_messages_are_corked_then_pushed_out():
    sock = Socket()
    with _corked(_connection(sock), 3):
        assert sock.options == [1]
    assert sock.options == [1, 0]


def test_a_lone_message_goes_out_at_once():
    sock = Socket()
    with _corked(_connection(sock), 1):
        pass
    assert sock.options == []


def test_a_failed_publish_is_the_error_seen_even_on_a_broken_socket():
    with pytest.raises(ConnectionResetError), _corked(_connection(Socket(broken=True)), 2):
        raise ConnectionResetError("the broker went away")
