"""The framing of messages on a query process's pipe (:mod:`kg.web.endpoint.execution`): one
write per message and usually one read, and every message read back whole, whatever its size."""

from __future__ import annotations

import contextlib
import os
import socket
import threading

import pytest

from kg.web.endpoint.execution import _recv_message, _send_message


@pytest.fixture
def pipe():
    ours, theirs = socket.socketpair()  # what multiprocessing.Pipe() makes on Linux
    yield ours, theirs
    ours.close()
    theirs.close()


@pytest.mark.parametrize("size", [0, 1, 1000, 65531, 65532, 65537, 3 * 1024 * 1024 + 7])
def test_a_message_arrives_whole(pipe, size) -> None:
    """Sizes around the first read (64 KiB with the 4-byte length) and one far beyond the
    pipe's buffer, written by another thread while this one reads."""
    ours, theirs = pipe
    message = os.urandom(size)

    def write() -> None:
        with contextlib.suppress(OSError):  # the reader gave up (a failed test): no hang
            _send_message(theirs.fileno(), message)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        assert _recv_message(ours.fileno()) == message
    finally:
        ours.shutdown(socket.SHUT_RDWR)
        writer.join(60)


def test_messages_in_turn_stay_apart(pipe) -> None:
    ours, theirs = pipe
    for n in range(5):
        _send_message(theirs.fileno(), b"job %d" % n)
        assert _recv_message(ours.fileno()) == b"job %d" % n
        _send_message(ours.fileno(), b"answer %d" % n * 1000)
        assert _recv_message(theirs.fileno()) == b"answer %d" % n * 1000


def test_a_closed_end_is_eof(pipe) -> None:
    ours, theirs = pipe
    theirs.close()
    with pytest.raises(EOFError):
        _recv_message(ours.fileno())


def test_a_message_cut_short_is_eof(pipe) -> None:
    """A query process that dies while writing (killed at its memory cap) is a closed pipe,
    not a short answer."""
    ours, theirs = pipe
    theirs.sendall((100).to_bytes(4, "big") + b"only part")
    theirs.close()
    with pytest.raises(EOFError):
        _recv_message(ours.fileno())
