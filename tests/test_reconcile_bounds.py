"""/reconcile under hostile input (issue 23): JSONP callbacks, malformed numbers, deep nesting,
batch size and the batch's cost, counted against the server's one busy limit."""

from __future__ import annotations

import dataclasses
import json

import pytest

from kg.settings import Settings

#: Every route of the blueprint that answers JSON (and so JSONP with a callback).
JSON_ROUTES = [
    ("/reconcile", {}),
    ("/reconcile", {"queries": json.dumps({"q0": {"query": "Lidingö"}})}),
    ("/reconcile/suggest/entity", {"prefix": "lid"}),
    ("/reconcile/suggest/type", {"prefix": "kom"}),
    ("/reconcile/suggest/property", {"prefix": "kod"}),
]


@pytest.fixture(scope="module")
def app(built: Settings):
    from kg import create_app

    return create_app(dataclasses.replace(built, store="memory"))


@pytest.fixture
def client(app):
    return app.test_client()


def post(client, batch: object | str):
    raw = batch if isinstance(batch, str) else json.dumps(batch)
    return client.post("/reconcile", data={"queries": raw})


@pytest.mark.parametrize("route", JSON_ROUTES)
@pytest.mark.parametrize(
    "callback", ["alert(document.domain)//", "jsonp1\n", "a;b", "x y", "", "9a", "a" * 65]
)
def test_a_callback_that_is_not_a_name_is_refused_on_every_route(client, route, callback):
    """Issue 23: /reconcile/suggest/* echoed any callback; '$' let a trailing newline pass."""
    response = client.get(route[0], query_string={**route[1], "callback": callback})
    assert response.status_code == 400, (route, callback, response.data[:80])
    assert "callback" in response.get_json()["error"]
    assert response.mimetype == "application/json"


@pytest.mark.parametrize("route", JSON_ROUTES)
def test_a_callback_that_is_a_name_gets_jsonp(client, route):
    response = client.get(route[0], query_string={**route[1], "callback": "jQuery.cb_12$"})
    assert response.status_code == 200
    assert response.mimetype == "application/javascript"
    assert response.get_data(as_text=True).startswith("jQuery.cb_12$(")


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ('{"q0": {"query": "x", "limit": 1e999}}', "limit must be a finite number"),
        ('{"q0": {"query": "x", "limit": -1e999}}', "limit must be a finite number"),
        ('{"q0": {"query": "x", "limit": NaN}}', "limit must be a finite number"),
        ('{"q0": {"query": "x", "limit": Infinity}}', "limit must be a finite number"),
        ('{"q0": {"query": "x", "limit": -5}}', "limit must be at least 1"),
        ('{"q0": {"query": "x", "limit": 1e300}}', "limit must be at most 100"),
        ('{"q0": {"query": "x", "limit": 1000000000000000000000000}}', "at most 100"),
        ('{"q0": {"query": "x", "properties": [{"pid": "a", "v": NaN}]}}', "finite"),
        ("[" * 100_000 + "]" * 100_000, "nests deeper"),
        ('{"q0": ' * 100_000 + "1" + "}" * 100_000, "nests deeper"),
        ('{"q0": {"query": "x", "type": ' + json.dumps(["t"] * 21) + "}}", "at most 20"),
        (
            '{"q0": {"query": "x", "properties": ' + json.dumps([{"pid": "a", "v": 1}] * 21) + "}}",
            "at most 20",
        ),
        (json.dumps({f"q{i}": {"query": "x"} for i in range(101)}), "at most 100 queries"),
    ],
)
def test_malformed_numbers_and_deep_nesting_get_400_with_the_reason(client, raw, says):
    response = post(client, raw)
    assert response.status_code == 400, response.data[:200]
    assert says in response.get_json()["error"]


def test_the_documented_batch_maximum_is_the_code_s(client) -> None:
    from kg.web.services.reconcile_match import MAX_QUERIES
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"at most {MAX_QUERIES} queries per batch" in readme
    assert post(client, {f"q{i}": {"query": "x"} for i in range(MAX_QUERIES)}).status_code == 200


def test_a_batch_waits_for_no_one_when_the_server_is_busy(app, client) -> None:
    """A batch takes one of the server's query slots: with all of them taken, 503."""
    from kg.web.services.reconcile_cost import server_slots

    with app.app_context():
        slots = server_slots()
    taken = [slot for slot in iter(slots.try_take, None)]
    try:
        assert len(taken) == app.config["KG_SETTINGS"].query_processes
        response = post(client, {"q0": {"query": "Lidingö"}})
        assert response.status_code == 503
        assert response.headers["Retry-After"]
        assert "busy" in response.get_json()["error"]
    finally:
        for slot in taken:
            slots.give_back(slot)
    assert post(client, {"q0": {"query": "Lidingö"}}).status_code == 200
    assert slots.try_take() is not None  # the batch gave its slot back


def test_a_batch_over_its_time_budget_is_stopped(built: Settings) -> None:
    """The batch's time counts against the query timeout: past it, 503 and no more work."""
    from kg import create_app

    app = create_app(dataclasses.replace(built, store="memory", query_timeout=1e-9))
    response = post(app.test_client(), {f"q{i}": {"query": "Lidingö"} for i in range(3)})
    assert response.status_code == 503
    assert "fewer queries" in response.get_json()["error"]
