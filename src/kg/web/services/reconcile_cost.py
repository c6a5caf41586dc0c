"""What a ``/reconcile`` batch may cost: one of the server's query slots, and the query timeout.

Matching runs in the web worker's thread (it reads the search index, no engine), about 0.1 s of
CPU per query. Unbounded, a batch of 100 cost 9 s and sixteen of them made ``/healthz`` time out
(issue 23). So a batch holds one slot of the server's one busy limit (:mod:`kg.web.endpoint.slots`,
the same slots as the SPARQL queries) while it runs, or gets 503 at once when every slot is taken;
and it stops with 503 once it has run longer than ``query_timeout``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import current_app

from kg.web.endpoint.slots import ServerSlots, slots_for


class BatchRefusedError(Exception):
    """The batch cannot run now (busy) or ran out of time; ``reason`` says which."""

    def __init__(self, reason: str, retry_after: int) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


def server_slots() -> ServerSlots:
    """The server's slots (shared by every gunicorn worker), opened once per app."""
    found = current_app.extensions.get("kg_reconcile_slots")
    if found is None:
        settings = current_app.config["KG_SETTINGS"]
        found = current_app.extensions["kg_reconcile_slots"] = slots_for(
            max(1, settings.query_processes)
        )
    return found


@contextmanager
def batch_budget() -> Iterator[Callable[[], None]]:
    """Hold a slot for the batch; yields ``check()``, to call between two queries, which raises
    :class:`BatchRefusedError` once the batch has run past the query timeout."""
    timeout = current_app.config["KG_SETTINGS"].query_timeout
    retry = max(1, math.ceil(timeout))
    slots = server_slots()
    slot = slots.try_take()
    if slot is None:
        raise BatchRefusedError("The server is busy; please try the batch again shortly.", 1)
    deadline = time.monotonic() + timeout

    def check() -> None:
        if time.monotonic() > deadline:
            raise BatchRefusedError(
                f"The batch ran longer than {timeout:g} s; send fewer queries per batch.", retry
            )

    try:
        yield check
    finally:
        slots.give_back(slot)
