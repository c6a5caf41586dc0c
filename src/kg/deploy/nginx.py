"""nginx as the buffering reverse proxy of ``kg serve-public``: its configuration and process.

The configuration is ``deploy/nginx.conf.template`` filled in from the settings, so the limits
the proxy owns (header and body timeouts, per-client connections and request rate, body size)
are the ``KG_*`` variables like every other limit. nginx runs in the foreground as a child of
the process that starts it, with its pid, temp files and configuration in a private prefix:
nothing in the system's ``/etc/nginx`` is read or changed and no service is needed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from kg.deploy.replicas import FAIL_TIMEOUT
from kg.settings import Settings
from kg.web.endpoint.security import SECURITY_HEADERS

#: What nginx itself may answer, in the app's words (``kg.web.endpoint.security``): one plain line.
ERRORS: dict[int, tuple[str, dict[str, str]]] = {
    400: ("The request is malformed.", {}),
    404: ("Nothing is published at this address.", {}),
    408: ("The request was not sent in time.", {}),
    413: ("The request body is larger than {max_body_bytes} bytes.", {}),
    414: ("The request URI is too long; send long queries with POST.", {}),
    # nginx's own code for a header line over the limit; the client gets 400.
    494: ("A request header is too large.", {}),
    429: ("Too many requests from your address at once; retry in a second.", {"Retry-After": "1"}),
    500: ("The server failed to answer; the error has been logged.", {}),
    502: ("No query server is answering; retry in a few seconds.", {"Retry-After": "5"}),
    504: ("The query server did not answer in time.", {}),
}
#: Where the error answers live inside nginx (internal: a client asking gets nginx's 404,
#: which is itself one of these plain answers).
ERROR_PATH = "/.kg-proxy-error/"
#: Seconds gunicorn keeps an idle connection (``keepalive`` in kg.web.endpoint.gunicorn_conf; a test
#: keeps the two equal). nginx drops its idle connections to a replica a second sooner.
REPLICA_KEEPALIVE = 5
#: Seconds :meth:`Nginx.stop` lets nginx finish the requests in progress before killing it.
STOP_GRACE = 15
#: Answered as this status instead of nginx's own code.
SENT_AS = {494: 400}


def nginx_binary() -> str:
    """Debian installs nginx in /usr/sbin, which is not on every user's PATH."""
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None
    )
    if not found:
        raise FileNotFoundError("nginx is not installed (make nginx, or apt-get install nginx)")
    return found


def _listen(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _error_pages(settings: Settings) -> str:
    """One ``error_page`` and one internal location per status nginx may produce itself.

    The locations are URIs, not named ones: nginx cannot redirect a request whose request
    line it could not read (414, 400) to a named location, and falls back to its HTML page."""
    headers = {
        **SECURITY_HEADERS,
        "Cache-Control": "no-store",
        "Access-Control-Allow-Origin": "*",
    }
    blocks = []
    for status, (message, extra) in ERRORS.items():
        text = message.format(max_body_bytes=settings.max_body_bytes)
        sent = SENT_AS.get(status, status)
        lines = [f"        error_page {status} ={sent} {ERROR_PATH}{status};"]
        lines.append(f"        location = {ERROR_PATH}{status} {{")
        lines.append("            internal;")
        lines.append("            default_type text/plain;")
        lines.append("            charset utf-8;")
        for name, value in {**headers, **extra}.items():
            lines.append(f"            add_header {name} {_quote(value)} always;")
        lines.append(f"            return {sent} {_quote(text + chr(10))};")
        lines.append("        }")
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def _milliseconds(seconds: float) -> str:
    return f"{round(seconds * 1000)}ms"


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def render(
    settings: Settings,
    upstreams: Sequence[int],
    prefix: Path,
    access_log: str = "/dev/stdout",
) -> str:
    """The nginx configuration for the replicas on ``upstreams`` (local ports)."""
    source = settings.root / "deploy" / "nginx.conf.template"
    # An ASCII file: another spelling of the encoding, or none, reads it alike (no mutants).
    template = source.read_text(encoding="utf-8")  # pragma: no mutate
    values = {
        # As root, nginx would run its workers as a user of its choice; name one that exists
        # and can reach the prefix (made world-traversable below).
        "user": "user nobody nogroup;" if os.geteuid() == 0 else "",
        "prefix": str(prefix),
        "access_log": access_log,
        # In milliseconds: nginx reads "7.5s" as an invalid value, and the settings are floats.
        "client_timeout": _milliseconds(settings.proxy_client_timeout),
        "max_body_bytes": str(settings.max_body_bytes),
        "rate": str(settings.proxy_rate),
        "burst": str(2 * settings.proxy_rate),
        "connections": str(settings.proxy_connections),
        "upstream_timeout": _milliseconds(settings.query_timeout + 20),
        "replica_keepalive": str(REPLICA_KEEPALIVE),
        "upstream_keepalive": str(REPLICA_KEEPALIVE - 1),
        "listen": _listen(settings.host, settings.port),
        "upstreams": "\n".join(
            f"        server 127.0.0.1:{port} max_fails=1 fail_timeout={FAIL_TIMEOUT}s;"
            for port in upstreams
        ),
        "error_pages": _error_pages(settings),
    }
    for name, value in values.items():
        template = template.replace("{{" + name + "}}", value)
    if "{{" in template:
        raise ValueError("deploy/nginx.conf.template has a placeholder render() does not fill")
    return template


class Nginx:
    """One nginx master process in the foreground, with its own prefix directory."""

    def __init__(
        self, settings: Settings, upstreams: Sequence[int], access_log: str = "/dev/stdout"
    ) -> None:
        self.prefix = Path(tempfile.mkdtemp(prefix="kg-nginx-"))
        self.prefix.chmod(0o755)  # nginx's workers (nobody, when started as root) use it
        self.config = self.prefix / "nginx.conf"
        self.config.write_text(render(settings, upstreams, self.prefix, access_log))
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        binary = nginx_binary()
        test = subprocess.run(
            [binary, "-t", "-q", "-p", str(self.prefix), "-e", "stderr", "-c", str(self.config)],
            capture_output=True,
            text=True,
        )
        if test.returncode != 0:
            raise RuntimeError(f"nginx refused its configuration: {test.stderr.strip()}")
        self.process = subprocess.Popen(
            [binary, "-p", str(self.prefix), "-e", "stderr", "-c", str(self.config)]
        )

    def stop(self, grace: float = STOP_GRACE) -> None:
        """Graceful (SIGQUIT: finish the requests in progress), then remove the prefix; an
        nginx still running after ``grace`` seconds is killed, so that stopping never hangs."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.prefix, ignore_errors=True)
