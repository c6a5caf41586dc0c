"""A canary: a local HTTP server that counts every request, and a file that must never be read.

Security tests point hostile queries at it. Any request it receives, or any read of its file,
means a query reached the network or the disk.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class Canary:
    """A local HTTP server that must never be contacted, and a file that must never be read."""

    def __init__(self, directory: Path) -> None:
        self.hits: list[str] = []
        canary = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                canary.hits.append(f"{self.command} {self.path}")
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_GET  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sparql"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.file = directory / "canary.ttl"
        self.token = "canary-token-7f3a"
        self.file.write_text(f'<urn:x> <urn:y> "{self.token}" .\n', encoding="utf-8")
        stat = self.file.stat()
        # An access time older than the modification time is updated by any read (relatime).
        os.utime(self.file, (stat.st_mtime - 3600, stat.st_mtime))
        self.atime = self.file.stat().st_atime

    def untouched(self) -> bool:
        return not self.hits and self.file.stat().st_atime == self.atime

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def singing(directory: Path) -> Iterator[Canary]:
    """A canary for the length of a ``with`` block (fixtures ``yield from`` it)."""
    bird = Canary(directory)
    try:
        yield bird
    finally:
        bird.close()
