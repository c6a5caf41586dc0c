"""Former home of every page, now split by what each serves (``entity_pages``, ``source_texts``,
``home``, ``ontology_docs``, ``lists``) over the shared ``rendering`` and ``rdf_documents``.

Only the names that ``kg.web.metadata`` still imports from here remain, re-exported; that module
belongs to another change, so its imports move when the two branches meet, and this file goes.
"""

from kg.web.rdf_documents import RDF_FORMATS, rdf_response
from kg.web.rendering import HTML, engine, not_found, preferred, select

__all__ = ["HTML", "RDF_FORMATS", "engine", "not_found", "preferred", "rdf_response", "select"]
