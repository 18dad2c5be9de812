"""A GROQ engine in pure Python: ``parse`` → ``evaluate``, no I/O.

    from storefront.content.groq import Dataset, evaluate, parse
    query = parse('*[_type == "product" && slug.current == $slug][0]{title}')
    evaluate(query, Dataset(docs), {"slug": "compost-happens"})

Queries compile once to Python closures; filters on ``*`` use the dataset's indexes where
they can (``_id``, ``_type``, ``slug.current``, references).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from .compiler import Compiler, Context, Scope
from .dataset import Dataset
from .errors import GroqError, GroqParseError, GroqQueryError
from .parser import parse_tree
from .values import DateTime, to_json

__all__ = ["Dataset", "GroqError", "GroqParseError", "GroqQueryError", "Query", "evaluate", "parse"]


class Query:
    """A parsed and compiled query; immutable and safe to share between threads."""

    __slots__ = ("_run", "functions", "text", "tree")

    def __init__(self, text: str) -> None:
        tree, functions = parse_tree(text)
        self.text, self.tree, self.functions = text, tree, functions
        try:
            self._run = Compiler(functions).compile(tree)
        except GroqParseError as exc:
            if exc.query is None:
                exc.query = text
            raise

    def run(self, ctx: Context) -> Any:
        return self._run(Scope(None, None, ctx))


@lru_cache(maxsize=512)
def parse(text: str) -> Query:
    return Query(text)


class _ListDataset(Dataset):
    pass


def evaluate(
    query: Query | str,
    dataset: Dataset | Sequence[dict[str, Any]] | None = None,
    params: Mapping[str, Any] | None = None,
    *,
    now: datetime | None = None,
    identity: str | None = None,
    stats: dict[str, int] | None = None,
    delta: Mapping[str, Any] | None = None,
) -> Any:
    compiled = parse(query) if isinstance(query, str) else query
    if dataset is None:
        dataset = Dataset((), indexed_paths=())
    elif not isinstance(dataset, Dataset):
        dataset = Dataset(dataset, indexed_paths=())
    ctx = Context(
        dataset,
        dict(params or {}),
        DateTime(now or datetime.now(UTC)),
        identity,
        compiled.functions,
        stats,
        dict(delta) if delta else None,
    )
    return to_json(compiled.run(ctx))
