"""The nginx configuration ``kg serve-public`` writes (kg.deploy.nginx), read back with a real
nginx configuration parser (crossplane) and checked directive by directive against the settings.

Issue 22: dropping ``client_max_body_size`` or ``send_timeout`` from the template, or a header
from the error pages, left the suite green. Each limit here is asserted with a value that is
not its default, so a directive filled from the wrong setting shows too.
"""

from __future__ import annotations

import ast
import dataclasses
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import crossplane
import pytest

from kg.deploy import nginx
from kg.deploy.nginx import ERROR_PATH, ERRORS, Nginx, nginx_binary, render
from kg.settings import PROJECT_ROOT, Settings
from tests.conftest import free_port

#: Non-default limits, each distinct, so that a directive filled from another setting differs.
SETTINGS = dataclasses.replace(
    Settings(),
    host="127.0.0.1",
    port=8123,
    max_body_bytes=3_000_001,
    proxy_client_timeout=7.5,
    proxy_rate=13,
    proxy_connections=5,
    query_timeout=4.5,
)
#: The security headers every answer carries (kg.web.endpoint.security), written out here rather
#: than read from SECURITY_HEADERS: a header dropped there must fail this test, not vanish from it.
SECURITY_HEADER_NAMES = (
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "X-Frame-Options",
    "Cross-Origin-Opener-Policy",
)


def parse(text: str, tmp_path: Path) -> list[dict]:
    """The directives of a configuration text, as crossplane reads them (nested blocks kept)."""
    path = tmp_path / "nginx.conf"
    path.write_text(text, encoding="utf-8")
    result = crossplane.parse(str(path), single=True, comments=False)
    assert result["status"] == "ok", result["errors"]
    return result["config"][0]["parsed"]


def block(directives: list[dict], name: str, *args: str) -> list[dict]:
    found = [
        d for d in directives if d["directive"] == name and d["args"][: len(args)] == list(args)
    ]
    assert len(found) == 1, f"{name} {args}: {len(found)} blocks"
    return found[0]["block"]


def values(directives: list[dict], name: str) -> list[list[str]]:
    """The arguments of every directive ``name`` directly in this block."""
    return [d["args"] for d in directives if d["directive"] == name]


@pytest.fixture
def conf(tmp_path: Path) -> dict[str, list[dict]]:
    parsed = parse(
        render(SETTINGS, [9001, 9002], tmp_path, access_log="/tmp/kg-access.log"), tmp_path
    )
    http = block(parsed, "http")
    return {"main": parsed, "http": http, "server": block(http, "server")}


def test_the_body_cap_is_the_settings_cap_so_a_long_legitimate_query_passes(conf) -> None:
    assert values(conf["http"], "client_max_body_size") == [["3000001"]]


def test_slow_clients_are_timed_out_reading_headers_body_and_answer(conf) -> None:
    for name in ("client_header_timeout", "client_body_timeout", "send_timeout"):
        assert values(conf["http"], name) == [["7500ms"]], name  # nginx refuses "7.5s"


def test_the_upstream_timeouts_outlast_the_query_timeout(conf) -> None:
    location = block(conf["server"], "location", "/")
    for name in ("proxy_read_timeout", "proxy_send_timeout"):
        assert values(location, name) == [["24500ms"]], name  # query_timeout 4.5 + 20


def test_rate_burst_and_connections_per_client_come_from_the_settings(conf) -> None:
    assert values(conf["http"], "limit_req_zone") == [
        ["$binary_remote_addr", "zone=kg_requests:10m", "rate=13r/s"]
    ]
    assert values(conf["server"], "limit_req") == [["zone=kg_requests", "burst=26", "nodelay"]]
    assert values(conf["server"], "limit_conn") == [["kg_connections", "5"]]


def test_every_replica_port_is_an_upstream_that_fails_over_quickly(conf) -> None:
    upstream = block(conf["http"], "upstream", "kg_replicas")
    assert values(upstream, "server") == [
        ["127.0.0.1:9001", "max_fails=1", "fail_timeout=2s"],
        ["127.0.0.1:9002", "max_fails=1", "fail_timeout=2s"],
    ]


def test_idle_replica_connections_are_kept_until_a_second_before_gunicorn_drops_them(
    conf,
) -> None:
    """nginx must close an idle connection to a replica before gunicorn does (else a request
    goes out on a connection being closed), but no sooner than it must: a connection dropped
    early is a new TCP handshake for the next query. One second of margin, as designed."""
    gunicorn_conf = PROJECT_ROOT / "src/kg/web/endpoint/gunicorn_conf.py"
    tree = ast.parse(gunicorn_conf.read_text(encoding="utf-8"))
    gunicorn_keepalive = next(
        node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "keepalive"
    )
    upstream = block(conf["http"], "upstream", "kg_replicas")
    assert values(upstream, "keepalive_timeout") == [[f"{gunicorn_keepalive - 1}s"]]


def test_listen_address_pid_and_log_are_where_the_caller_said(conf, tmp_path: Path) -> None:
    assert values(conf["server"], "listen") == [["127.0.0.1:8123", "backlog=4096"]]
    assert values(conf["main"], "pid") == [[f"{tmp_path}/nginx.pid"]]
    assert values(conf["http"], "access_log") == [["/tmp/kg-access.log", "kg"]]


def test_an_ipv6_host_is_bracketed_in_listen(tmp_path: Path) -> None:
    settings = dataclasses.replace(SETTINGS, host="::1")
    server = block(block(parse(render(settings, [9001], tmp_path), tmp_path), "http"), "server")
    assert values(server, "listen") == [["[::1]:8123", "backlog=4096"]]


@pytest.mark.parametrize(("euid", "user"), [(0, [["nobody", "nogroup"]]), (1000, [])])
def test_workers_run_as_nobody_only_when_started_as_root(
    euid: int, user: list, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(nginx.os, "geteuid", lambda: euid)
    main = parse(render(SETTINGS, [9001], tmp_path), tmp_path)
    assert values(main, "user") == user
    assert [d["directive"] for d in main][len(user)] == "worker_processes"  # nothing else added


@pytest.mark.parametrize("status", sorted(ERRORS))
def test_every_error_nginx_makes_is_a_plain_line_with_the_security_headers(
    conf, status: int
) -> None:
    sent = 400 if status == 494 else status
    assert [f"{status}", f"={sent}", f"{ERROR_PATH}{status}"] in values(
        conf["server"], "error_page"
    )
    location = block(conf["server"], "location", "=", f"{ERROR_PATH}{status}")
    assert values(location, "internal") == [[]]
    assert values(location, "default_type") == [["text/plain"]]
    assert values(location, "charset") == [["utf-8"]]
    headers = {args[0]: args[1] for args in values(location, "add_header")}
    assert all(args[2:] == ["always"] for args in values(location, "add_header"))
    for name in SECURITY_HEADER_NAMES:
        assert name in headers, name
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers.get("Retry-After") == {429: "1", 502: "5"}.get(status)
    [[code, text]] = values(location, "return")
    assert code == str(sent)
    assert text == ERRORS[status][0].format(max_body_bytes=3_000_001) + "\\n"  # one line, ended


def test_the_413_answer_names_the_body_cap(conf) -> None:
    location = block(conf["server"], "location", "=", f"{ERROR_PATH}413")
    assert values(location, "return") == [
        ["413", "The request body is larger than 3000001 bytes.\\n"]
    ]


def test_quoting_escapes_what_would_end_or_break_an_nginx_string() -> None:
    assert nginx._quote('say "hi"\\ now\n') == '"say \\"hi\\"\\\\ now\\n"'


def test_a_placeholder_left_unfilled_is_an_error_not_a_config(tmp_path: Path) -> None:
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "nginx.conf.template").write_text("pid {{prefix}}/x; {{unknown}}")
    with pytest.raises(ValueError) as caught:
        render(dataclasses.replace(SETTINGS, root=tmp_path), [9001], tmp_path)
    assert str(caught.value) == (
        "deploy/nginx.conf.template has a placeholder render() does not fill"
    )


def test_every_placeholder_is_filled_from_the_template_in_the_root(tmp_path: Path) -> None:
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "nginx.conf.template").write_text("{{connections}} {{burst}}")
    assert render(dataclasses.replace(SETTINGS, root=tmp_path), [9001], tmp_path) == "5 26"


def test_a_missing_nginx_is_named_with_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nginx.shutil, "which", lambda name: None)
    monkeypatch.setattr(nginx.os, "access", lambda path, mode: False)
    with pytest.raises(FileNotFoundError) as caught:
        nginx_binary()
    assert str(caught.value) == "nginx is not installed (make nginx, or apt-get install nginx)"


def test_nginx_is_found_in_sbin_when_not_on_the_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nginx.shutil, "which", lambda name: None)
    executable = {("/usr/sbin/nginx", nginx.os.X_OK)}
    monkeypatch.setattr(nginx.os, "access", lambda path, mode: (path, mode) in executable)
    assert nginx_binary() == "/usr/sbin/nginx"


def test_nginx_on_the_path_comes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nginx.shutil, "which", {"nginx": "/opt/bin/nginx"}.get)
    monkeypatch.setattr(nginx.os, "access", lambda path, mode: True)
    assert nginx_binary() == "/opt/bin/nginx"


needs_nginx = pytest.mark.skipif(
    shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(),
    reason="nginx is not installed (make nginx)",
)


@needs_nginx
def test_nginx_itself_accepts_the_rendered_configuration(tmp_path: Path) -> None:
    config = tmp_path / "nginx.conf"
    config.write_text(render(SETTINGS, [9001, 9002], tmp_path))
    test = subprocess.run(
        [nginx_binary(), "-t", "-q", "-p", str(tmp_path), "-e", "stderr", "-c", str(config)],
        capture_output=True,
        text=True,
    )
    assert test.returncode == 0, test.stderr


@needs_nginx
@pytest.mark.integration
def test_a_dead_replica_gets_the_plain_502_and_stop_cleans_up() -> None:
    """nginx in front of a port nobody listens on answers its own 502, in the app's words."""
    settings = dataclasses.replace(SETTINGS, port=free_port())
    proxy = Nginx(settings, [free_port()], access_log="/dev/null")
    proxy.start()
    try:
        answer = _first_http_answer(f"http://127.0.0.1:{settings.port}/sparql", proxy)
        assert answer.code == 502
        assert answer.headers["Retry-After"] == "5"
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert answer.read().decode() == ERRORS[502][0] + "\n"
    finally:
        proxy.stop()
    assert proxy.process.poll() is not None
    assert not proxy.prefix.exists()


def _first_http_answer(url: str, proxy: Nginx, seconds: float = 60) -> urllib.error.HTTPError:
    """Poll until nginx listens (an event: its first HTTP answer); the bound is only a backstop."""
    deadline = time.monotonic() + seconds
    while True:
        assert proxy.process.poll() is None, "nginx exited"
        try:
            urllib.request.urlopen(url, timeout=seconds)
        except urllib.error.HTTPError as err:
            return err
        except OSError:
            assert time.monotonic() < deadline, f"nginx did not listen within {seconds} s"
            time.sleep(0.05)
        else:
            raise AssertionError("a dead replica answered 200")


def test_a_proxy_logs_to_standard_output_unless_told_otherwise(tmp_path: Path) -> None:
    """serve-public shows the access lines in its own output; a test may send them elsewhere."""
    default = Nginx(SETTINGS, [9001])
    chosen = Nginx(SETTINGS, [9001], access_log=str(tmp_path / "access.log"))
    try:
        for proxy, log in ((default, "/dev/stdout"), (chosen, str(tmp_path / "access.log"))):
            http = block(parse(proxy.config.read_text(), tmp_path), "http")
            assert values(http, "access_log") == [[log, "kg"]]
    finally:
        default.stop()
        chosen.stop()


def test_the_private_prefix_is_recognisable_and_open_to_the_workers() -> None:
    """nginx's workers run as nobody when started as root: they must reach the prefix; an
    operator finds a leftover one in the temporary directory by its name."""
    proxy = Nginx(SETTINGS, [9001])
    try:
        assert proxy.prefix.name.startswith("kg-nginx-")
        assert proxy.prefix.stat().st_mode & 0o777 == 0o755
        assert proxy.config == proxy.prefix / "nginx.conf"
        assert proxy.process is None
    finally:
        proxy.stop()  # never started: only the prefix goes
    assert not proxy.prefix.exists()
    proxy.stop()  # a second stop finds nothing to remove and is no error


@needs_nginx
def test_a_configuration_nginx_refuses_is_reported_with_nginx_s_own_words() -> None:
    proxy = Nginx(SETTINGS, [9001])
    try:
        proxy.config.write_text("no_such_directive on;\n")
        with pytest.raises(RuntimeError) as caught:
            proxy.start()
        message = str(caught.value)
        assert message.startswith("nginx refused its configuration: ")
        assert 'unknown directive "no_such_directive"' in message
        assert "b'" not in message and "\\n" not in message  # text, stripped
        assert proxy.process is None  # nothing was started
    finally:
        proxy.stop()


def test_an_nginx_that_ignores_the_graceful_stop_is_killed_after_the_grace() -> None:
    """A proxy stuck in its graceful shutdown (SIGQUIT ignored) must not hang
    ``kg serve-public``'s exit: after the grace it is killed and the prefix still goes."""
    proxy = Nginx(SETTINGS, [9001])
    # Stands in for a stuck nginx: ignores SIGQUIT, and would exit by itself only after 30 s,
    # 150 times the grace given below, with status 0 rather than killed.
    stuck = (
        "import signal, time; signal.signal(signal.SIGQUIT, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(30)"
    )
    proxy.process = subprocess.Popen(
        [sys.executable, "-c", stuck], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proxy.process.stdout.readline() == "ready\n"  # SIGQUIT is ignored from here
        proxy.stop(grace=0.2)
        assert proxy.process.returncode == -signal.SIGKILL
        assert not proxy.prefix.exists()
    finally:
        if proxy.process.poll() is None:
            proxy.process.kill()
        proxy.process.wait()
        proxy.process.stdout.close()
