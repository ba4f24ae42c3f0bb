"""The suite's leak check (`tests/conftest.py`): what a test left open in a reference cycle is
found at its own teardown, not at some later test's."""

from __future__ import annotations

import socket

from tests.conftest import left_open


def test_a_socket_left_open_in_a_cycle_is_found_and_named() -> None:
    left_open()  # start from what exists now
    holder: list[object] = [socket.socket()]
    holder.append(holder)  # only the garbage collector can free it
    del holder
    leaked = left_open()
    assert len(leaked) == 1
    assert "unclosed <socket.socket" in leaked[0]
    assert left_open() == []  # reported once


def test_a_closed_socket_is_not_reported() -> None:
    left_open()
    holder: list[object] = [socket.socket()]
    holder.append(holder)
    sock = holder[0]
    assert isinstance(sock, socket.socket)
    sock.close()
    del holder, sock
    assert left_open() == []
