"""The endpoint's one answer cache: finished response bodies, keyed by what they depend on.

Between two builds the data cannot change, so the same request always gets the same bytes.
The protocol core (:mod:`kg.web.endpoint.protocol`) asks this cache after it has read and checked a
request and chosen its format, and before it runs anything; on a hit, no engine, query process
or serialiser is touched. The key is built in one place, :func:`answer_key`, from everything an
answer depends on:

- the dataset version (the build's input hash): a new build never gets an old answer, so
  nothing ever needs invalidating;
- the query text and the dataset (``default-graph-uri``, ``named-graph-uri``);
- the media type (a CSV body is not a JSON body);
- the endpoint URL (relative IRIs in a query resolve against it);
- the content coding: bodies are kept as sent, gzipped or not, so a hit costs no compression.

Only complete answers up to :data:`MAX_BODY_BYTES` are kept, at most ``KG_CACHE_ENTRIES`` of
them per worker (``0`` turns the cache off), least recently used first out. Refusals, errors
and timeouts are never kept: the core only stores an answer it is about to send with 200.
"""

from __future__ import annotations

from dataclasses import dataclass

from kg.lexer import text_key
from kg.store.cache import ResultCache

#: Answers larger than this are not kept (memory stays bounded by entries × this).
MAX_BODY_BYTES = 1 << 20
#: The Service Description's place for a query text in the key: a one-item tuple, never a
#: query's two-item :func:`kg.lexer.text_key`, whatever its word (so the word is not mutated).
SERVICE_DESCRIPTION = ("service-description",)  # pragma: no mutate


@dataclass(frozen=True)
class StoredAnswer:
    """A 200 answer as the core sends it: its body (gzipped if ``gzip``), ETag and row count."""

    body: bytes
    content_type: str
    etag: str
    rows: int | str
    truncated: bool
    gzip: bool


def answer_key(
    version: str,
    query: str | None,
    dataset: tuple[tuple[str, ...], tuple[str, ...]] | None,
    media_type: str,
    endpoint: str,
    coding: str,
) -> tuple:
    """The one key of an answer. ``dataset`` is None when the request names none (the default
    dataset), which differs from naming an empty one. A long query is keyed by its SHA-256
    (:func:`kg.lexer.text_key`): POSTed queries may be a megabyte, and the cache holds many.
    ``query`` None is the Service Description, a key no query text can have."""
    text = SERVICE_DESCRIPTION if query is None else text_key(query)
    return (version, text, dataset, media_type, endpoint, coding)


class AnswerCache:
    """A bounded, thread-safe LRU of :class:`StoredAnswer` per :func:`answer_key`."""

    def __init__(self, entries: int, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self._lru = ResultCache(entries)
        self.max_body_bytes = max_body_bytes

    @property
    def hits(self) -> int:
        return self._lru.hits

    def get(self, key: tuple) -> StoredAnswer | None:
        return self._lru.get(key)  # type: ignore[return-value]

    def put(self, key: tuple, answer: StoredAnswer) -> None:
        if len(answer.body) <= self.max_body_bytes:
            self._lru.put(key, answer)

    def __len__(self) -> int:
        return len(self._lru)
