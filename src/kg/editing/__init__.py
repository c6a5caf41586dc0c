"""Editors' tools: add a source text (``kg source add``) and quote it (``kg quote``).

Each tool is a library function that either does its whole job or refuses with a
:class:`RefusedError` error saying why and what to do instead; the CLI only prints. No web code.
"""

from kg.pipeline.errors import PipelineError


class RefusedError(PipelineError):
    """The editor asked for something the tool will not do; nothing was written (exit 2)."""

    exit_code = 2
