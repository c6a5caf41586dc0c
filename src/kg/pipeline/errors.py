"""Errors the pipeline raises, each carrying what an editor needs to act on it."""

from __future__ import annotations

from dataclasses import dataclass


class PipelineError(Exception):
    """Base class; ``exit_code`` follows pySHACL: 1 data does not conform, 2 usage/runtime."""

    exit_code = 2


@dataclass
class SyntaxProblem:
    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: syntax error: {self.message}"


class InputSyntaxError(PipelineError):
    """A Turtle file does not parse; the message names the file, line and column."""

    exit_code = 1

    def __init__(self, problem: SyntaxProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


class UnfilledHoleError(PipelineError):
    """A file still holds a hole that ``kg quote`` left for the editor (``?FILL_IN_…``)."""

    exit_code = 1

    def __init__(self, holes: list[str]) -> None:
        super().__init__(
            f"{len(holes)} unfilled hole(s) left by `kg quote`; nothing was loaded:\n  "
            + "\n  ".join(holes)
        )
        self.holes = holes


class NonConformingDataError(PipelineError):
    """SHACL found violations, or a quote does not match its source text."""

    exit_code = 1


class InconsistentDataError(PipelineError):
    """The OWL 2 RL closure contains a contradiction."""

    exit_code = 1
