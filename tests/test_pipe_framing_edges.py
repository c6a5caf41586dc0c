"""A message whose length arrives in pieces (issue 22's review): the pipe's first read usually
holds the length and the whole message, but a read may return fewer bytes than there are (a
signal, a busy sender); the length must then be read to its end before it is decoded."""

from __future__ import annotations

import os
import socket

from kg.web.endpoint.execution import _recv_message, _send_message


def test_a_length_read_in_pieces_is_read_whole(monkeypatch) -> None:
    ours, theirs = socket.socketpair()
    message = b"an answer of some length" * 10
    try:
        _send_message(theirs.fileno(), message)
        real_read = os.read
        monkeypatch.setattr(os, "read", lambda fd, n: real_read(fd, min(n, 3)))  # short reads
        assert _recv_message(ours.fileno()) == message
    finally:
        ours.close()
        theirs.close()


def test_a_message_written_in_pieces_is_sent_whole(monkeypatch) -> None:
    """A write may take fewer bytes than it was given (interrupted by a signal once some were
    written): the rest is written after it. The sender then closes, so that a message cut
    short is an EOFError here, not a wait for ever."""
    ours, theirs = socket.socketpair()
    message = os.urandom(10_000)  # well within the socket's buffer: no reader thread needed
    try:
        real_write = os.write
        monkeypatch.setattr(os, "write", lambda fd, data: real_write(fd, data[:1000]))
        _send_message(theirs.fileno(), message)
        monkeypatch.undo()
        theirs.shutdown(socket.SHUT_WR)
        assert _recv_message(ours.fileno()) == message
    finally:
        ours.close()
        theirs.close()
