"""`make serve-public`: real nginx in front of real gunicorn replicas (issue 17, items 1 and 2).

A slow-client attack (hundreds of connections that trickle their header lines) must not slow
ordinary queries (p99 within 3× of idle); the same attack straight at gunicorn made an
ordinary query time out after 5 s on every try (issue 17). The limits the proxy owns answer
in one plain-text line with the app's security headers.
A new build rolls through the two replicas under load without a failed request.

Clients use several loopback source addresses (127.0.0.0/8 is all local), so the attacker,
the ordinary users and each limit test are different clients to the per-client limits. The two
per-client limit tests each start their own nginx (same template, own zones and numbers) in
front of the module's replicas: the shared proxy's numbers suit the other tests, not them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import math
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg.deploy.nginx import Nginx, nginx_binary
from kg.deploy.replicas import free_port
from kg.deploy.stack import PublicStack, public_stack
from kg.settings import Settings
from kg.web.endpoint.security import SECURITY_HEADERS
from tests import expected_headers

pytestmark = pytest.mark.integration

CLIENT_TIMEOUT = 2.0  # the proxy's header/body timeout here; production default is 10 s
#: A wall-clock bound asserted here is ten times what the code needs (issue 22): a busy machine
#: slows the test, never fails it, and a missing timeout still never ends within the bound.
MARGIN = 10
CONNECTIONS = 4
RATE = 20
#: The rate of the rate-limit test's own proxy. Requests one after another outrun it only if
#: each takes under 1/LOW_RATE s: 1 s, over 20 times the ~40 ms a /healthz round trip took
#: here with both cores busy. At the shared proxy's 20 a second that bound would be 50 ms,
#: which such a machine missed (70 requests in 2.7 s, no 429; issue 22).
LOW_RATE = 1
#: The in-progress test's proxy waits this long for a held body: the test needs milliseconds
#: between holding its requests and asking once more, the shared proxy's 2 s are a busy
#: machine's pause away from cutting a held request.
HOLD_TIMEOUT = 60.0


def _nginx_or_skip() -> None:
    try:
        nginx_binary()
    except FileNotFoundError:
        pytest.skip("nginx is not installed (make nginx)")


@pytest.fixture(scope="module")
def stack(built: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PublicStack]:
    """One stack for the module (two replicas start in a few seconds); tests only read."""
    _nginx_or_skip()
    settings = dataclasses.replace(
        built,
        host="127.0.0.1",
        port=free_port(),
        workers=1,
        replicas=2,
        proxy_client_timeout=CLIENT_TIMEOUT,
        proxy_connections=CONNECTIONS,
        proxy_rate=RATE,
    )
    log = tmp_path_factory.mktemp("nginx") / "access.log"
    with public_stack(settings, access_log=str(log)) as running:
        yield running


@contextlib.contextmanager
def own_proxy(stack: PublicStack, log_dir: Path, **limits: float) -> Iterator[str]:
    """A second nginx from the same template, with ``limits`` replacing the module's settings,
    in front of the module's replicas; yields its base URL.

    Its per-client zones are its own, so no other test's clients count, and nginx starts in
    milliseconds (the replicas, which take seconds, are shared)."""
    settings = dataclasses.replace(stack.settings, port=free_port(), **limits)
    upstreams = [replica.port for replica in stack.replicas]
    proxy = Nginx(settings, upstreams, access_log=str(log_dir / "access.log"))
    proxy.start()
    try:
        deadline = time.monotonic() + 60  # a backstop: the event is the accepted connection
        while True:
            assert proxy.process.poll() is None, "nginx exited"
            try:
                socket.create_connection(("127.0.0.1", settings.port), timeout=5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the test's own nginx never listened"
                time.sleep(0.05)
        yield f"http://127.0.0.1:{settings.port}"
    finally:
        proxy.stop()


def request(
    base: str,
    path: str,
    source: str = "127.0.0.1",
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10,
) -> tuple[int, dict[str, str], bytes]:
    parts = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(
        parts.hostname, parts.port, timeout=timeout, source_address=(source, 0)
    )
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def query_path(n: int) -> str:
    """An ordinary query that is new to every cache (a different LIMIT each time)."""
    query = f"SELECT ?e ?y WHERE {{ ?e a dk:AwardEdition ; dk:year ?y }} LIMIT {n}"
    return "/sparql?" + urllib.parse.urlencode({"query": query})


def p99(seconds: list[float]) -> float:
    ordered = sorted(seconds)
    return ordered[math.ceil(0.99 * len(ordered)) - 1]


def ordinary_latencies(base: str, count: int, offset: int) -> list[float]:
    """``count`` ordinary queries one after another, spread over 20 client addresses (users)."""
    latencies = []
    for i in range(count):
        started = time.monotonic()
        status, _, body = request(base, query_path(offset + i), source=f"127.0.2.{i % 20 + 1}")
        latencies.append(time.monotonic() - started)
        assert status == 200, body
    return latencies


class SlowClients:
    """``count`` connections from ``source`` that send a request line, then one header line
    every ``interval`` seconds and never finish; a closed one is opened again at once."""

    def __init__(self, host: str, port: int, count: int, source: str, interval: float = 0.5):
        self.address, self.count, self.source, self.interval = (host, port), count, source, interval
        self.stop = threading.Event()
        self.opened = threading.Event()  # every connection has been tried once
        self.reconnects = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _open(self) -> socket.socket | None:
        try:
            sock = socket.create_connection(
                self.address, timeout=2, source_address=(self.source, 0)
            )
            sock.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n")
            return sock
        except OSError:
            return None

    def _run(self) -> None:
        sockets = [s for s in (self._open() for _ in range(self.count)) if s]
        self.opened.set()
        while not self.stop.wait(self.interval):
            for index, sock in enumerate(sockets):
                try:
                    sock.sendall(b"X-Trickle: 1\r\n")
                except OSError:  # the server gave up on it: the attacker comes back
                    sock.close()
                    self.reconnects += 1
                    sockets[index] = self._open() or sock
        for sock in sockets:
            sock.close()

    def __enter__(self) -> SlowClients:
        self.thread.start()
        # The event, not a pause: every connection is open (the bound is only a backstop).
        assert self.opened.wait(120), "the slow clients never opened their connections"
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=30)


def test_slow_clients_do_not_slow_ordinary_queries(stack: PublicStack) -> None:
    """300 trickling connections: ordinary queries keep near their idle p99 (within 10×).

    Idle is measured before and after the attack and the slower of the two is the baseline:
    the machine is shared, and its noise should not count as the attack's doing. Without the
    proxy the same attack made every ordinary query time out (5 s, hundreds of times idle), so
    a bound of ten times idle still tells the two apart with room for a busy machine."""
    port = stack.settings.port
    ordinary_latencies(stack.url, 10, 0)  # warm both replicas' query processes
    before = ordinary_latencies(stack.url, 100, 1000)
    with SlowClients("127.0.0.1", port, 300, source="127.0.0.2") as attack:
        attacked = ordinary_latencies(stack.url, 100, 2000)
        time.sleep(CLIENT_TIMEOUT)  # long enough for the proxy to cut every one of them
    after = ordinary_latencies(stack.url, 100, 3000)
    assert attack.reconnects >= 300, "the proxy should have cut every trickling client"
    idle = max(p99(before), p99(after))
    assert p99(attacked) <= MARGIN * idle, (p99(before), p99(attacked), p99(after))


def assert_plain_proxy_answer(status: int, headers: dict[str, str], body: bytes) -> None:
    """One line of text, no HTML, the app's security headers, no version."""
    assert headers["content-type"].startswith("text/plain"), headers
    assert body.count(b"\n") == 1 and b"<" not in body, body
    expected_headers.check(headers)
    assert headers["cache-control"] == "no-store"
    assert headers["server"] == "nginx"


def test_a_client_that_trickles_its_headers_is_cut_at_the_timeout(stack: PublicStack) -> None:
    sock = socket.create_connection(
        ("127.0.0.1", stack.settings.port), source_address=("127.0.0.3", 0)
    )
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    started = time.monotonic()
    try:
        while time.monotonic() - started < MARGIN * CLIENT_TIMEOUT:
            sock.sendall(b"X-Trickle: 1\r\n")
            time.sleep(0.3)
        pytest.fail("the proxy let a client trickle headers past its header timeout")
    except OSError:
        elapsed = time.monotonic() - started
    finally:
        sock.close()
    # Not cut before the timeout (the connection opened just before ``started``); the upper
    # bound only tells "cut at the timeout" from "never cut", with a tenfold margin.
    assert CLIENT_TIMEOUT - 0.5 <= elapsed <= MARGIN * CLIENT_TIMEOUT, elapsed


def test_a_client_that_stalls_its_body_is_cut_at_the_timeout(stack: PublicStack) -> None:
    sock = socket.create_connection(
        ("127.0.0.1", stack.settings.port), source_address=("127.0.0.3", 0)
    )
    sock.settimeout(MARGIN * CLIENT_TIMEOUT)
    sock.sendall(
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
        b"Content-Length: 100\r\n\r\nASK"
    )
    started = time.monotonic()
    try:
        answer = sock.recv(4096)  # nginx closes (reset_timedout_connection: with a reset)
    except ConnectionResetError:
        answer = b""
    finally:
        sock.close()
    assert CLIENT_TIMEOUT - 0.5 <= time.monotonic() - started <= MARGIN * CLIENT_TIMEOUT
    assert answer == b"" or b"408" in answer.split(b"\r\n", 1)[0]
    assert b"<html" not in answer


def test_too_many_requests_from_one_client_get_a_plain_429(
    stack: PublicStack, tmp_path: Path
) -> None:
    """Requests one after another from one client outrun a rate of one a second: the first
    1 + burst pass (the burst is twice the rate), a later one is refused; another client is not.

    The test's own proxy has the low rate (see LOW_RATE): at 20 a second a busy machine's
    client could not send fast enough to be refused."""
    burst = 2 * LOW_RATE
    with own_proxy(stack, tmp_path, proxy_rate=LOW_RATE) as url:
        statuses = []
        # 100 requests outrun the rate unless each takes nearly 1 s; stop at the first refusal.
        for _ in range(100):
            status, headers, body = request(url, "/healthz", source="127.0.0.4")
            statuses.append(status)
            if status == 429:
                assert_plain_proxy_answer(status, headers, body)
                assert headers["retry-after"] == "1"
                assert headers["access-control-allow-origin"] == "*"
                break
        # However fast they came, the first 1 + burst never exceed the burst.
        assert statuses[: burst + 1] == [200] * (burst + 1), statuses
        assert statuses[-1] == 429, statuses
        # Another client is not punished for it.
        assert request(url, "/healthz", source="127.0.0.5")[0] == 200


def _hold_a_request(port: int, source: str) -> socket.socket:
    """A POST whose body never comes, once nginx has counted it: with ``Expect: 100-continue``
    nginx answers "100 Continue" when it starts reading the body, after the per-client limits
    (preaccess phase) let the request through. That answer is the event the test waits for."""
    sock = socket.create_connection(
        ("127.0.0.1", port), timeout=HOLD_TIMEOUT, source_address=(source, 0)
    )
    sock.sendall(
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
        b"Content-Length: 50\r\nExpect: 100-continue\r\n\r\n"
    )
    answer = b""
    with contextlib.ExitStack() as on_failure:
        on_failure.callback(sock.close)
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 100 "), f"a held request was answered: {answer!r}"
        on_failure.pop_all()  # held: the caller closes it
    return sock


def test_too_many_requests_in_progress_from_one_client_get_a_plain_429(
    stack: PublicStack, tmp_path: Path
) -> None:
    """Requests whose bodies are still arriving count as in progress; one more is refused, and
    another client is not.

    Each held request is counted before the next is sent (its "100 Continue"). Sending them
    and then polling was a race (issue 22): nginx's two workers read requests in their own
    order, so a poll could be counted before a held request, which then got the 429 and left
    too few in progress for any later poll to be refused."""
    with (
        own_proxy(stack, tmp_path, proxy_client_timeout=HOLD_TIMEOUT) as url,
        contextlib.ExitStack() as held,
    ):
        port = urllib.parse.urlsplit(url).port
        for _ in range(CONNECTIONS):
            held.enter_context(_hold_a_request(port, "127.0.0.6"))
        status, headers, body = request(url, "/healthz", source="127.0.0.6")
        assert status == 429
        assert_plain_proxy_answer(status, headers, body)
        assert request(url, "/healthz", source="127.0.0.7")[0] == 200


def test_a_body_over_the_limit_gets_the_apps_plain_413(stack: PublicStack) -> None:
    size = stack.settings.max_body_bytes + 1
    status, headers, body = request(
        stack.url,
        "/sparql",
        source="127.0.0.8",
        method="POST",
        body=b"#" * size,
        headers={"Content-Type": "application/sparql-query"},
    )
    assert status == 413
    assert_plain_proxy_answer(status, headers, body)
    assert f"larger than {stack.settings.max_body_bytes} bytes".encode() in body


def test_a_legitimate_megabyte_query_passes_the_proxy(stack: PublicStack) -> None:
    """A 0.97 M-character query sent as a form (over 1 MiB once percent-encoded, past nginx's
    default body limit) reaches the app and is answered: the proxy must not refuse with 413
    what the app accepts."""
    import json

    from tests.test_big_queries import values_query

    query = values_query([], 970_000)
    body = urllib.parse.urlencode({"query": query}).encode()
    assert len(body) > 1024 * 1024 and len(query) < stack.settings.max_query_length
    status, _, answer = request(
        stack.url,
        "/sparql",
        source="127.0.0.11",
        method="POST",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/sparql-results+json",
        },
        timeout=60,
    )
    assert status == 200, answer[:200]
    assert json.loads(answer)["results"]["bindings"] == []


def test_a_long_url_and_a_huge_header_get_plain_answers(stack: PublicStack) -> None:
    status, headers, body = request(stack.url, "/sparql?query=" + "a" * 9000, source="127.0.0.8")
    assert status == 414
    assert_plain_proxy_answer(status, headers, body)
    assert b"POST" in body
    status, headers, body = request(
        stack.url, "/healthz", source="127.0.0.8", headers={"X-Big": "b" * 9000}
    )
    assert status == 400
    assert_plain_proxy_answer(status, headers, body)


def test_a_malformed_request_line_gets_a_plain_400(stack: PublicStack) -> None:
    with socket.create_connection(
        ("127.0.0.1", stack.settings.port), timeout=5, source_address=("127.0.0.8", 0)
    ) as sock:
        sock.sendall(b"NONSENSE\r\n\r\n")
        answer = sock.recv(8192)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert body == b"The request is malformed.\n"


def test_proxied_answers_keep_the_apps_headers_once(stack: PublicStack) -> None:
    status, headers, body = request(stack.url, query_path(1), source="127.0.0.9")
    assert status == 200 and body.startswith(b"{")
    assert headers["content-security-policy"] == SECURITY_HEADERS["Content-Security-Policy"]
    assert headers["access-control-allow-origin"] == "*"
    assert headers["server"] == "nginx"  # no version
    # The app's own plain errors pass through untouched (not replaced by the proxy's).
    status, _, body = request(stack.url, "/sparql?query=SELEKT", source="127.0.0.9")
    assert status == 400 and b"<" not in body


def test_the_access_log_has_every_request_but_never_a_query(stack: PublicStack) -> None:
    request(stack.url, query_path(7777), source="127.0.0.10")
    # nginx logs a request just after answering it: wait for the line, not a fixed pause.
    deadline = time.monotonic() + MARGIN * CLIENT_TIMEOUT
    while True:
        log = Path(stack.access_log).read_text()
        lines = [line for line in log.splitlines() if line.startswith("127.0.0.10 ")]
        if lines or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert lines and '"GET /sparql" 200' in lines[-1]
    assert "LIMIT" not in log and "query=" not in log


def test_a_new_build_rolls_through_the_replicas_without_a_failed_request(
    built: Settings, tmp_path: Path
) -> None:
    """Item 2: two replicas, one restarted at a time onto a new build, under load."""
    from bench.rolling import Load, synthetic_build

    _nginx_or_skip()
    new_build = synthetic_build(tmp_path)
    settings = dataclasses.replace(
        built, port=free_port(), workers=1, replicas=2, proxy_rate=100_000
    )
    with public_stack(settings, access_log=str(tmp_path / "access.log")) as running:
        load = Load(running.url, clients=4)
        load.start()
        _wait_for_answers(load, after=0.0)  # the load has seen the old build
        running.roll(new_build)
        rolled = time.monotonic()
        _wait_for_answers(load, after=rolled)  # and the new one, after the roll
        samples = load.stop()
        # With every replica gone, the proxy says so in one plain line.
        for replica in running.replicas:
            replica.stop()
        status, headers, body = request(running.url, "/healthz")
        assert status == 502
        assert_plain_proxy_answer(status, headers, body)
    assert samples and {s.status for s in samples} == {200}, "a request failed during the roll"
    versions = [s.version for s in samples if s.version]
    old, new = versions[0], versions[-1]
    assert old != new, "the load should see the old build, then the new one"
    assert all(s.version == new for s in samples if s.version and s.started > rolled)


def _wait_for_answers(load, after: float, count: int = 20) -> None:
    """Wait until ``count`` requests started after ``after`` were answered (an event, not a
    fixed pause that a busy machine may outlast); 60 s is far more than they need."""
    deadline = time.monotonic() + 60
    while sum(1 for s in list(load.samples) if s.started > after and s.version) < count:
        assert time.monotonic() < deadline, "the load got no answers"
        time.sleep(0.05)


def test_kg_serve_public_serves_rolls_on_sighup_and_stops_cleanly(built: Settings) -> None:
    """The command behind `make serve-public`, as an operator runs it."""
    import os
    import signal
    import subprocess
    import sys

    _nginx_or_skip()
    port = free_port()
    env = {
        **os.environ,
        "KG_BUILD_DIR": str(built.build_dir),
        "KG_HOST": "127.0.0.1",
        "KG_PORT": str(port),
        "KG_WORKERS": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "serve-public"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    pidfile = built.build_dir / f"serve-public-{port}.pid"
    try:
        from tests.conftest import wait_until_answers

        wait_until_answers(base + "/healthz", process, seconds=60)
        assert pidfile.read_text().strip() == str(process.pid)
        process.send_signal(signal.SIGHUP)  # roll both replicas onto the (same) build
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert request(base, query_path(1))[0] == 200
            time.sleep(0.2)
            if "rolled every replica" in _stderr_so_far(process):
                break
        else:
            pytest.fail("kg serve-public did not report a finished roll")
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    assert code == 0
    assert not pidfile.exists()
    with pytest.raises(OSError):
        request(base, "/healthz", timeout=2)


def _stderr_so_far(process) -> str:
    """Read what the process wrote to stderr so far without blocking."""
    import fcntl
    import os

    fd = process.stderr.fileno()
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
    chunks = getattr(process, "_seen", "")
    try:
        while data := os.read(fd, 65536):
            chunks += data.decode("utf-8", "replace")
    except BlockingIOError:
        pass
    process._seen = chunks
    return chunks


def test_kg_serve_public_without_a_build_says_so(tmp_path: Path, monkeypatch, capsys) -> None:
    from kg.cli import main

    monkeypatch.setenv("KG_BUILD_DIR", str(tmp_path))
    assert main(["serve-public"]) == 2
    assert "kg build" in capsys.readouterr().err
