"""Liveness for load balancers: answers without touching the data."""

from flask import Blueprint

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz() -> tuple[str, int, dict[str, str]]:
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
