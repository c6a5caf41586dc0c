"""gunicorn settings for ``kg serve``, derived from the ``KG_*`` settings.

Threaded workers (``gthread``) are chosen so that a worker can still say "busy, retry" (503)
while its query processes are all taken: the threads only wait on pipes, and the queries
themselves run in the killable processes of :mod:`kg.web.endpoint.execution`. There are more threads
than query processes, so the spare threads answer 503, health checks and pages at once. The
worker is ``gthread`` with one change (:mod:`kg.web.endpoint.gunicorn_worker`): a thread answers
a kept-alive connection's next request itself when it comes at once, instead of handing the
connection back through the main thread.

Use it with ``gunicorn -c python:kg.web.endpoint.gunicorn_conf server:app``.
"""

from kg.settings import Settings
from kg.web.endpoint import raw_errors

_settings = Settings.from_env()

bind = [f"{_settings.host}:{_settings.port}"]
workers = _settings.workers
worker_class = "kg.web.endpoint.gunicorn_worker.LingeringThreadWorker"  # gthread, lingering
# gunicorn's own SO_REUSEPORT mode opens each worker's socket in the worker, which drops the
# connections queued at it when the worker stops; KG_REUSE_PORT's sockets are the master's
# (kg.web.endpoint.listeners, opened in on_starting below).
reuse_port = False
threads = _settings.query_processes + 4
# Heartbeat of a worker, not of a request: a query never holds a thread past query_timeout.
timeout = int(_settings.query_timeout) + 20
graceful_timeout = int(_settings.query_timeout) + 5
keepalive = 5
# gunicorn answers 414 itself above this (its maximum), so a GET query is bounded by the URL;
# longer queries go by POST. Its own refusals are written as one line of plain text.
limit_request_line = 8190
limit_request_fields = 50
limit_request_field_size = 8190
raw_errors.install(limit_request_line, _settings.max_query_length)
# A reload (SIGHUP) starts new workers, which open the new build before they accept (its
# on-disk store when it is large, otherwise the artifact loaded into memory).
# One pid file per port, so that several servers can share a build (tests run many).
pidfile = str(_settings.build_dir / f"gunicorn-{_settings.port}.pid")
chdir = str(_settings.root)
# No control socket in the operator's home: one less thing listening, and no clash between
# several servers (tests run many). Reload with SIGHUP to the pid in ``pidfile``.
control_socket_disable = True


# --- One busy limit per server (kg.web.endpoint.slots) --------------------------------------------
# The master makes the query slots before it forks the workers, so that KG_QUERY_PROCESSES
# bounds the queries running in query processes across all workers, not in each one.
def on_starting(server) -> None:
    from kg.web.endpoint.listeners import open_per_worker
    from kg.web.endpoint.slots import share_across_workers

    # One listening socket per worker when asked (KG_REUSE_PORT), held by the master: the kernel
    # spreads connections over the workers, and a stopping worker drops none. First, so that a
    # port in use stops the start before the slots exist.
    if _settings.reuse_port:
        open_per_worker(server)
    share_across_workers(_settings.query_processes)


def pre_fork(server, worker) -> None:
    from kg.web.endpoint.listeners import assign

    assign(server, worker)  # the socket the fewest living workers accept from


def on_exit(server) -> None:
    from kg.web.endpoint.slots import release_shared

    release_shared()


# --- Query processes started ahead of time (kg.web.endpoint.execution) ----------------------------
# Each worker forks its query processes once it has loaded the app and before it accepts a
# connection, so no query waits for a fork and no query process is forked holding a client's
# connection (each also closes every inherited socket: kg.web.endpoint.isolation.sandbox).
def post_worker_init(worker) -> None:
    endpoint = worker.wsgi.extensions.get("kg_endpoint")
    if endpoint is not None:
        endpoint.pool.start()  # one query process per slot of the server
