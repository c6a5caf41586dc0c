"""Serialise engine-neutral results in the W3C SPARQL result formats."""

from __future__ import annotations

import json

from kg.store import Bindings, Boolean, Term

SPARQL_JSON = "application/sparql-results+json"


def term_json(term: Term) -> dict[str, str]:
    if term.kind == "uri":
        return {"type": "uri", "value": term.value}
    if term.kind == "bnode":
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.lang:
        out["xml:lang"] = term.lang
    elif term.datatype and term.datatype != "http://www.w3.org/2001/XMLSchema#string":
        out["datatype"] = term.datatype
    return out


def to_json(result: Bindings | Boolean) -> str:
    """SPARQL 1.1 Query Results JSON Format."""
    if isinstance(result, Boolean):
        return json.dumps({"head": {}, "boolean": result.value})
    return json.dumps(
        {
            "head": {"vars": result.variables},
            "results": {
                "bindings": [{k: term_json(v) for k, v in row.items()} for row in result.rows]
            },
        },
        ensure_ascii=False,
    )
