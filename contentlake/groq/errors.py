"""GROQ errors. ``GroqParseError`` carries character offsets like Sanity's queryParseError."""

from __future__ import annotations

from typing import Any


class GroqError(Exception):
    pass


class GroqParseError(GroqError):
    def __init__(
        self,
        description: str,
        start: int | None = None,
        end: int | None = None,
        query: str | None = None,
    ) -> None:
        super().__init__(description)
        self.description, self.start, self.end, self.query = description, start, end, query

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "queryParseError",
            "description": self.description,
            "start": self.start,
            "end": self.end,
            "query": self.query,
        }


class GroqQueryError(GroqError):
    """The query parsed but cannot be evaluated (unknown function, wrong arguments…)."""


class GroqStepLimitError(GroqQueryError):
    """The query needed more evaluation steps than the caller allowed (``max_steps``)."""
