"""/reconcile against the W3C Reconciliation Service API 0.2: every answer validated with the
specification's own JSON schemas, its valid and invalid example batches run, and a realistic
spreadsheet column reconciled.

The schemas and examples are read where they are, in ../shared/reference/reconciliation-api-0.2/
beside the checkout (never copied into the repository). Without them only the tests of the
specification's own files (its schemas and example batches) are skipped, with that reason; every
other test still checks the service's answers, without the extra schema validation.
"""

from __future__ import annotations

import json

import pytest

from kg.settings import Settings
from tests.conftest import ROOT, for_answers

REFERENCE = ROOT.parent / "shared" / "reference" / "reconciliation-api-0.2"
HAVE_SPECIFICATION = (REFERENCE / "schemas" / "manifest.json").is_file()
needs_specification = pytest.mark.skipif(
    not HAVE_SPECIFICATION,
    reason=f"the specification's schemas are not at {REFERENCE} (../shared/reference beside "
    "the checkout); they are read there, never copied into the repository",
)

DK = "https://w3id.org/digikommun/ontology#"
MUNICIPALITY, PERSON, COUNTY = DK + "Municipality", DK + "Person", DK + "County"


def _examples(kind: str, validity: str) -> list:
    return sorted((REFERENCE / "examples" / kind / validity).glob("*.json"))


@pytest.fixture(scope="module")
def schemas():
    """The specification's schemas, by name, resolving ``$ref`` among one another by ``$id``;
    None without ../shared (answers are then checked by the tests' own assertions only)."""
    if not HAVE_SPECIFICATION:
        return None
    from jsonschema import Draft7Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7

    loaded = {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((REFERENCE / "schemas").glob("*.json"))
    }
    registry = Registry().with_resources(
        (schema["$id"].rstrip("#"), Resource.from_contents(schema, default_specification=DRAFT7))
        for schema in loaded.values()
    )
    return {name: Draft7Validator(schema, registry=registry) for name, schema in loaded.items()}


def valid(schemas, name: str, document) -> bool:
    return schemas[name].is_valid(document)


def assert_valid(schemas, name: str, document) -> None:
    if schemas is None:
        return  # no ../shared here: the specification's schemas cannot be consulted
    errors = sorted(schemas[name].iter_errors(document), key=str)
    assert not errors, f"{name}: {errors[0].message} at {list(errors[0].absolute_path)}"


@pytest.fixture(scope="module")
def client(built: Settings):
    from kg import create_app

    app = create_app(for_answers(built, store="memory"))
    app.config["TESTING"] = True
    return app.test_client()


def reconcile(client, schemas, batch: dict, **args) -> dict:
    response = client.post("/reconcile", data={"queries": json.dumps(batch), **args})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert_valid(schemas, "reconciliation-result-batch", body)
    assert set(body) == set(batch)
    return body


def top(client, schemas, query: dict) -> dict:
    result = reconcile(client, schemas, {"q0": query})["q0"]["result"]
    assert result, query
    return result[0]


# -- the validator itself is live ------------------------------------------------------------


@needs_specification
def test_example_files_are_all_there() -> None:
    """A stray glob must not shrink the coverage silently."""
    assert len(_examples("reconciliation-query-batch", "valid")) == 4
    assert len(_examples("reconciliation-query-batch", "invalid")) == 3
    assert len(_examples("manifest", "invalid")) >= 5


@needs_specification
@pytest.mark.parametrize(
    ("kind", "schema"),
    [("manifest", "manifest"), ("reconciliation-result-batch", "reconciliation-result-batch")],
)
def test_the_schemas_accept_the_valid_examples_and_refuse_the_invalid(schemas, kind, schema):
    for path in _examples(kind, "valid"):
        assert valid(schemas, schema, json.loads(path.read_text(encoding="utf-8"))), path.name
    for path in _examples(kind, "invalid"):
        assert not valid(schemas, schema, json.loads(path.read_text(encoding="utf-8"))), path.name


# -- the manifest --------------------------------------------------------------------------


def test_manifest(client, schemas) -> None:
    response = client.get("/reconcile", base_url="http://kg.example")
    assert response.status_code == 200 and response.mimetype == "application/json"
    manifest = response.get_json()
    assert_valid(schemas, "manifest", manifest)
    assert manifest["identifierSpace"] == "https://w3id.org/digikommun/id/"
    assert {t["id"] for t in manifest["defaultTypes"]} == {
        MUNICIPALITY,
        COUNTY,
        PERSON,
        DK + "Organisation",
    }
    assert {t["name"] for t in manifest["defaultTypes"]} >= {"kommun", "län", "person"}
    assert manifest["view"]["url"] == "http://kg.example/id/{{id}}"
    preview = manifest["preview"]["url"].replace("{{id}}", "municipality/lidingo")
    card = client.get(preview.removeprefix("http://kg.example"))
    assert card.status_code == 200 and "Lidingö" in card.get_data(as_text=True)
    assert "frame-ancestors *" in card.headers["Content-Security-Policy"]
    view = client.get(manifest["view"]["url"].replace("{{id}}", "municipality/lidingo"))
    assert view.status_code == 303


def test_english_manifest(client, schemas) -> None:
    manifest = client.get("/reconcile?lang=en").get_json()
    assert_valid(schemas, "manifest", manifest)
    assert "municipality" in {t["name"] for t in manifest["defaultTypes"]}


def test_jsonp_as_openrefine_asks_for_it(client, schemas) -> None:
    response = client.get("/reconcile?callback=jsonp1234")
    assert response.mimetype == "application/javascript"
    text = response.get_data(as_text=True)
    assert text.startswith("jsonp1234(") and text.endswith(");")
    assert_valid(schemas, "manifest", json.loads(text[len("jsonp1234(") : -2]))
    bad = client.get("/reconcile?callback=alert(1)//")
    assert bad.status_code == 400 and "callback" in bad.get_json()["error"]


# -- the specification's example batches ----------------------------------------------------


@needs_specification
@pytest.mark.parametrize(
    "path", _examples("reconciliation-query-batch", "valid"), ids=lambda p: p.name
)
def test_valid_example_batches_get_schema_valid_results(client, schemas, path) -> None:
    batch = json.loads(path.read_text(encoding="utf-8"))
    assert valid(schemas, "reconciliation-query-batch", batch)
    reconcile(client, schemas, batch)
    via_get = client.get("/reconcile", query_string={"queries": json.dumps(batch)})
    assert via_get.status_code == 200
    assert_valid(schemas, "reconciliation-result-batch", via_get.get_json())


@needs_specification
@pytest.mark.parametrize(
    "path", _examples("reconciliation-query-batch", "invalid"), ids=lambda p: p.name
)
def test_invalid_example_batches_get_400_with_a_reason(client, schemas, path) -> None:
    raw = path.read_text(encoding="utf-8")
    assert not valid(schemas, "reconciliation-query-batch", json.loads(raw))
    response = client.post("/reconcile", data={"queries": raw})
    assert response.status_code == 400
    reason = response.get_json()["error"]
    assert reason and "\n" not in reason


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("not json", "not JSON"),
        ("[]", "JSON object"),
        ('{"q0": "Lidingö"}', "JSON object"),
        ('{"q0": {"query": 5}}', "string"),
        ('{"q0": {"query": "x", "limit": 0}}', "at least 1"),
        ('{"q0": {"query": "x", "limit": "5"}}', "number"),
        ('{"q0": {"query": "x", "type_strict": "maybe"}}', "type_strict"),
        ('{"q0": {"query": "x", "properties": [{"pid": "a"}]}}', "pid and a value"),
        (json.dumps({f"q{i}": {"query": "x"} for i in range(101)}), "at most 100"),
    ],
)
def test_malformed_batches_get_400(client, raw: str, says: str) -> None:
    response = client.post("/reconcile", data={"queries": raw})
    assert response.status_code == 400
    assert says in response.get_json()["error"]


# -- a realistic spreadsheet column ----------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("Lidingö", "municipality/lidingo"),
        ("Lidingo", "municipality/lidingo"),
        ("Lidingö stad", "municipality/lidingo"),
        ("LIDINGÖ KOMMUN", "municipality/lidingo"),
        ("Kungsbacka kommun", "municipality/kungsbacka"),
        ("Upplands Bro", "municipality/upplands-bro"),
        ("Upplands-Bro kommun", "municipality/upplands-bro"),
        ("Stockholms stad", "municipality/stockholm"),
        ("Sundsvalls kommun", "municipality/sundsvall"),
    ],
)
def test_municipality_names_as_spreadsheets_write_them(client, schemas, cell, expected) -> None:
    best = top(client, schemas, {"query": cell, "type": MUNICIPALITY})
    assert best["id"] == expected
    assert best["match"] is True and best["score"] >= 90
    assert best["type"][0] == {"id": MUNICIPALITY, "name": "kommun"}


@pytest.mark.parametrize(
    ("cell", "expected", "match"),
    [
        ("Daniel Broman", "person/daniel-broman", True),
        ("daniel broman", "person/daniel-broman", True),
        ("Marcus Matteby", "person/markus-matteby", True),  # text 004's caption spelling
        ("Iwona Karlson", "person/iwona-karlsson", True),  # one letter off
        ("Broman", "person/daniel-broman", False),  # a surname alone is not certain
    ],
)
def test_person_names(client, schemas, cell, expected, match) -> None:
    best = top(client, schemas, {"query": cell, "type": "dk:Person"})
    assert (best["id"], best["match"]) == (expected, match)


def test_the_code_property_sharpens_the_match(client, schemas) -> None:
    agree = top(
        client,
        schemas,
        {"query": "Lidingö", "properties": [{"pid": "dk:municipalityCode", "v": "186"}]},
    )
    assert agree["id"] == "municipality/lidingo" and agree["score"] == 100 and agree["match"]
    assert {"id": "property_agreement", "value": 1.0} in agree["features"]
    by_code = top(client, schemas, {"properties": [{"pid": DK + "municipalityCode", "v": 180}]})
    assert by_code["id"] == "municipality/stockholm" and by_code["match"]
    disagree = reconcile(
        client,
        schemas,
        {
            "q0": {
                "query": "Lidingö",
                "type": MUNICIPALITY,
                "properties": [{"pid": "municipalityCode", "v": "0180"}],
            }
        },
    )["q0"]["result"]
    assert not any(c["match"] for c in disagree)
    assert {c["id"]: c["score"] for c in disagree}["municipality/lidingo"] == 60.0


def test_county_property_by_name_or_id(client, schemas) -> None:
    for value in ("Stockholms län", {"id": "county/stockholms-lan"}):
        best = top(
            client,
            schemas,
            {"query": "Upplands Bro", "properties": [{"pid": "inCounty", "v": value}]},
        )
        assert best["id"] == "municipality/upplands-bro" and best["score"] == 100


def test_ties_are_never_a_match(client, schemas) -> None:
    """Every municipality of Stockholm County agrees with the county alone: none is certain."""
    query = {"type": MUNICIPALITY, "properties": [{"pid": "inCounty", "v": "Stockholms län"}]}
    result = reconcile(client, schemas, {"q0": query})["q0"]["result"]
    assert len(result) > 3 and {c["score"] for c in result} == {100.0}
    assert "municipality/lidingo" in {c["id"] for c in result}
    assert not any(c["match"] for c in result)


def test_type_filter_and_limit(client, schemas) -> None:
    counties = reconcile(client, schemas, {"q0": {"query": "Stockholm", "type": COUNTY}})
    assert {c["id"] for c in counties["q0"]["result"]} == {"county/stockholms-lan"}
    organisations = top(client, schemas, {"query": "Lidingö", "type": DK + "Organisation"})
    assert organisations["id"] == "municipality/lidingo"  # a municipality is an organisation
    unknown = reconcile(client, schemas, {"q0": {"query": "Lidingö", "type": "Q515"}})
    assert unknown["q0"]["result"] == []
    limited = reconcile(client, schemas, {"q0": {"query": "Upplands", "limit": 1}})
    assert len(limited["q0"]["result"]) == 1


def test_scores_are_ordered_and_explained(client, schemas) -> None:
    result = reconcile(client, schemas, {"q0": {"query": "Upplands Bro", "limit": 5}})
    scores = [c["score"] for c in result["q0"]["result"]]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 100 for s in scores)
    first, second = result["q0"]["result"][:2]
    assert (
        first["id"] == "municipality/upplands-bro" and second["id"] == "municipality/upplands-vasby"
    )
    features = {f["id"]: f["value"] for f in second["features"]}
    assert second["score"] == round(100 * features["name_similarity"], 1)
    exact = top(client, schemas, {"query": "Sundsvall"})["score"]
    typo = top(client, schemas, {"query": "Sundsval"})["score"]
    assert exact == 100 > typo >= 85


def test_suggest_services(client, schemas) -> None:
    entity = client.get("/reconcile/suggest/entity?prefix=lidi").get_json()
    assert_valid(schemas, "suggest-entities-response", entity)
    assert entity["result"][0]["id"] == "municipality/lidingo"
    typed = client.get(
        "/reconcile/suggest/entity", query_string={"prefix": "dan", "type": PERSON}
    ).get_json()
    assert [r["id"] for r in typed["result"]] == ["person/daniel-broman"]
    types = client.get("/reconcile/suggest/type?prefix=kom").get_json()
    assert_valid(schemas, "suggest-types-response", types)
    assert [t["id"] for t in types["result"]] == [MUNICIPALITY]
    props = client.get("/reconcile/suggest/property?prefix=kommunkod").get_json()
    assert_valid(schemas, "suggest-properties-response", props)
    assert [p["id"] for p in props["result"]] == [DK + "municipalityCode"]
    assert client.get("/reconcile/suggest/entity?prefix=").status_code == 400


def test_preview_refuses_bad_and_unknown_ids(client) -> None:
    assert client.get("/reconcile/preview?id=../../etc").status_code == 400
    assert client.get("/reconcile/preview?id=municipality/atlantis").status_code == 404


@pytest.mark.integration
def test_openrefine_round_trip_under_gunicorn(gunicorn_url: str, schemas) -> None:
    """What OpenRefine does, against the production server: read the manifest, POST a batch
    as a form, follow the view URL of the match."""
    import requests

    site = gunicorn_url.removesuffix("/sparql")
    manifest = requests.get(site + "/reconcile", timeout=10).json()
    assert_valid(schemas, "manifest", manifest)
    batch = {
        "q0": {"query": "Lidingo stad", "type": MUNICIPALITY, "limit": 3},
        "q1": {"query": "Sara Penje", "type": PERSON},
    }
    answer = requests.post(site + "/reconcile", data={"queries": json.dumps(batch)}, timeout=10)
    assert answer.status_code == 200
    body = answer.json()
    assert_valid(schemas, "reconciliation-result-batch", body)
    best = body["q0"]["result"][0]
    assert best["id"] == "municipality/lidingo" and best["match"]
    assert body["q1"]["result"][0]["id"] == "person/sara-penje"
    view = requests.get(manifest["view"]["url"].replace("{{id}}", best["id"]), timeout=10)
    assert view.status_code == 200 and "Lidingö" in view.text
    search = requests.get(
        site + "/search", params={"q": "penje"}, timeout=10, headers={"Accept": "application/json"}
    )
    assert search.json()["groups"][0]["results"][0]["id"].endswith("/person/sara-penje")


# -- issue 25: data extension, descriptions, ranking without a type --------------------------


def extended(client, schemas, ids: list[str], properties: list[str], **args) -> dict:
    query = {"ids": ids, "properties": [{"id": p} for p in properties]}
    assert_valid(schemas, "data-extension-query", query)
    response = client.post("/reconcile", data={"extend": json.dumps(query), **args})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert_valid(schemas, "data-extension-response", body)
    return body


def test_the_manifest_declares_data_extension(client, schemas) -> None:
    manifest = client.get("/reconcile").get_json()
    assert_valid(schemas, "manifest", manifest)
    path = manifest["extend"]["propose_properties"]["service_path"]
    proposed = client.get(path, query_string={"type": MUNICIPALITY}).get_json()
    assert_valid(schemas, "data-extension-property-proposal", proposed)
    names = {p["id"]: p["name"] for p in proposed["properties"]}
    assert {DK + "inCounty", DK + "municipalityCode", "won", "nominatedFor"} <= set(names)
    assert {"coordinates", "wikipedia"} <= set(names)
    people = client.get(path, query_string={"type": PERSON, "limit": 5}).get_json()
    assert_valid(schemas, "data-extension-property-proposal", people)
    assert {"post", "organisation"} <= {p["id"] for p in people["properties"]}
    assert client.get(path, query_string={"limit": "x"}).status_code == 400


def test_extend_adds_county_code_editions_coordinates_and_wikipedia(client, schemas) -> None:
    props = [DK + "inCounty", DK + "municipalityCode", "won", "nominatedFor", "coordinates"]
    body = extended(
        client, schemas, ["municipality/lidingo", "municipality/kalix"], [*props, "wikipedia"]
    )
    lidingo = body["rows"]["municipality/lidingo"]
    assert lidingo[DK + "inCounty"] == [{"id": "county/stockholms-lan", "name": "Stockholms län"}]
    assert lidingo[DK + "municipalityCode"] == [{"str": "0186"}]
    assert {"id": "edition/2019", "name": "Sveriges DigitaliseringsKommun 2019"} in lidingo["won"]
    assert {c["id"] for c in lidingo["won"]} <= {c["id"] for c in lidingo["nominatedFor"]}
    assert lidingo["coordinates"] == [{"str": "59.367,18.15"}]
    assert lidingo["wikipedia"] == [{"str": "https://sv.wikipedia.org/wiki/Liding%C3%B6_kommun"}]
    assert body["rows"]["municipality/kalix"]["won"][0]["id"] == "edition/2001"
    assert [m["id"] for m in body["meta"]] == [*props, "wikipedia"]
    english = extended(client, schemas, ["municipality/lidingo"], ["wikipedia"], lang="en")
    assert english["rows"]["municipality/lidingo"]["wikipedia"][0]["str"].startswith(
        "https://en.wikipedia.org/"
    )


def test_extend_adds_a_persons_posts_and_organisations(client, schemas) -> None:
    body = extended(client, schemas, ["person/daniel-broman"], ["post", "organisation"])
    row = body["rows"]["person/daniel-broman"]
    assert row["post"] == [{"str": "stadsdirektör"}]
    assert row["organisation"] == [{"id": "municipality/lidingo", "name": "Lidingö"}]


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("nope", "not JSON"),
        ('{"ids": "x", "properties": []}', "extend.ids"),
        ('{"ids": [], "properties": [{"pid": "x"}]}', "extend.properties"),
        ('{"ids": ["municipality/lidingo"], "properties": [{"id": "shoe-size"}]}', "unknown"),
    ],
)
def test_bad_extend_requests_get_400(client, raw: str, says: str) -> None:
    response = client.post("/reconcile", data={"extend": raw})
    assert response.status_code == 400 and says in response.get_json()["error"]


def test_every_candidate_has_a_description(client, schemas) -> None:
    person = top(client, schemas, {"query": "Daniel Broman", "type": PERSON})
    assert person["description"] == "stadsdirektör, Lidingö"
    municipality = top(client, schemas, {"query": "Lidingö", "type": MUNICIPALITY})
    assert "Stockholms län" in municipality["description"]


def test_without_a_type_the_person_outranks_the_post(client, schemas) -> None:
    result = reconcile(client, schemas, {"q0": {"query": "Marcus Matteby"}})["q0"]["result"]
    assert result[0]["id"] == "person/markus-matteby" and result[0]["match"], result[:2]
    assert result[1]["score"] < result[0]["score"]


def test_property_suggest_matches_inside_words(client, schemas) -> None:
    found = client.get("/reconcile/suggest/property", query_string={"prefix": "kod"}).get_json()
    assert_valid(schemas, "suggest-properties-response", found)
    assert DK + "municipalityCode" in {p["id"] for p in found["result"]}


def test_the_preview_shows_key_facts(client) -> None:
    text = client.get("/reconcile/preview?id=person/daniel-broman").get_data(as_text=True)
    assert "stadsdirektör, Lidingö" in text


@pytest.mark.integration
def test_openrefine_reconciles_a_column_and_adds_county_and_code(gunicorn_url, schemas) -> None:
    """OpenRefine's calls in order, under gunicorn: manifest, a column of names reconciled in
    one batch, then the proposed properties and an extension with county and code."""
    import requests

    site = gunicorn_url.removesuffix("/sparql")
    manifest = requests.get(site + "/reconcile", timeout=30).json()
    assert_valid(schemas, "manifest", manifest)
    column = ["Lidingö stad", "Kalix kommun", "Umea", "Sundsvalls kommun"]
    batch = {
        f"q{i}": {"query": name, "type": MUNICIPALITY, "limit": 3} for i, name in enumerate(column)
    }
    body = requests.post(
        site + "/reconcile", data={"queries": json.dumps(batch)}, timeout=30
    ).json()
    assert_valid(schemas, "reconciliation-result-batch", body)
    ids = [body[f"q{i}"]["result"][0]["id"] for i in range(len(column))]
    assert ids == [
        "municipality/lidingo",
        "municipality/kalix",
        "municipality/umea",
        "municipality/sundsvall",
    ]
    propose = manifest["extend"]["propose_properties"]
    proposed = requests.get(
        propose["service_url"] + propose["service_path"], params={"type": MUNICIPALITY}, timeout=30
    ).json()
    assert_valid(schemas, "data-extension-property-proposal", proposed)
    wanted = [
        p for p in proposed["properties"] if p["id"] in (DK + "inCounty", DK + "municipalityCode")
    ]
    query = {"ids": ids, "properties": [{"id": p["id"]} for p in wanted]}
    extension = requests.post(
        site + "/reconcile", data={"extend": json.dumps(query)}, timeout=30
    ).json()
    assert_valid(schemas, "data-extension-response", extension)
    rows = extension["rows"]
    assert rows["municipality/lidingo"][DK + "municipalityCode"] == [{"str": "0186"}]
    assert rows["municipality/kalix"][DK + "inCounty"][0]["name"] == "Norrbottens län"
    assert all(rows[i][DK + "municipalityCode"] for i in ids)
