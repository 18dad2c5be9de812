"""A GROQ engine in pure Python: ``parse`` → ``evaluate``, no I/O.

    from contentlake.groq import Dataset, evaluate, parse
    query = parse('*[_type == "product" && slug.current == $slug][0]{title}')
    evaluate(query, Dataset(docs), {"slug": "compost-happens"})

Queries compile once to Python closures; filters on ``*`` use the dataset's indexes where
they can (``_id``, ``_type``, ``slug.current``, references). Errors::

    GroqError
    ├── GroqParseError   the text is not a valid query (``to_dict()`` is Sanity's shape)
    └── GroqQueryError   it parsed, but cannot be evaluated (e.g. a missing $param)
        └── GroqStepLimitError   it needed more than ``max_steps`` evaluation steps

A step is one document or array element visited (see ``compiler.Scope``): a budget in
steps bounds a query's work the same way on a fast machine and on a busy one.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from .compiler import Compiler, Context, Fn, Scope
from .dataset import Dataset
from .errors import GroqError, GroqParseError, GroqQueryError, GroqStepLimitError
from .functions_check import check_functions
from .parser import parse_tree
from .values import DateTime, to_json

__all__ = [
    "Dataset",
    "GroqError",
    "GroqParseError",
    "GroqQueryError",
    "GroqStepLimitError",
    "Query",
    "evaluate",
    "parse",
]

_VARIANTS = 64


class Query:
    """A parsed and compiled query; immutable and safe to share between threads.

    Most queries compile once. One whose square brackets or slices depend on parameters
    (``[$i]``, ``[0...$n]``) is compiled again per distinct value of those parameters.
    """

    __slots__ = ("_lock", "_param_names", "_run", "_variants", "functions", "text", "tree")

    def __init__(self, text: str) -> None:
        try:
            tree, functions = parse_tree(text)
            check_functions(functions)
            compiler = Compiler(functions)
            self._run: Fn = compiler.compile(tree)
        except GroqParseError as exc:
            if exc.query is None:
                exc.query = text
            raise
        self.text, self.tree, self.functions = text, tree, functions
        self._param_names = tuple(sorted(compiler.param_sensitive))
        self._variants: dict[str, Fn] = {}
        self._lock = threading.Lock()

    def _runner(self, params: Mapping[str, Any]) -> Fn:
        if not self._param_names:
            return self._run
        key = json.dumps([params.get(n, "\0missing") for n in self._param_names], default=str)
        run = self._variants.get(key)
        if run is None:
            try:
                run = Compiler(self.functions, params).compile(self.tree)
            except GroqParseError as exc:
                exc.query = self.text
                raise
            with self._lock:
                if len(self._variants) >= _VARIANTS:
                    self._variants.clear()
                self._variants[key] = run
        return run

    def run(self, ctx: Context) -> Any:
        return self._runner(ctx.params)(Scope(None, None, ctx))

    def __repr__(self) -> str:
        return f"Query({self.text!r})"


@lru_cache(maxsize=512)
def parse(text: str) -> Query:
    """Parse and compile ``text``; raises :class:`GroqParseError`. Cached by text."""
    return Query(text)


def evaluate(
    query: Query | str,
    dataset: Dataset | Sequence[dict[str, Any]] | None = None,
    params: Mapping[str, Any] | None = None,
    *,
    now: datetime | None = None,
    identity: str | None = None,
    stats: dict[str, int] | None = None,
    delta: Mapping[str, Any] | None = None,
    sanity: Mapping[str, Any] | None = None,
    max_steps: int | None = None,
) -> Any:
    """Run a query; returns plain JSON values.

    ``stats``, when given, is filled with ``scanned`` (documents a filter on ``*`` looked
    at) and ``indexed`` (how many such filters used an index). ``delta`` is the
    ``{"before": doc, "after": doc}`` of a webhook, for ``before()``/``after()``/``delta::``;
    ``sanity`` is ``{"projectId": ..., "dataset": ...}`` for ``sanity::projectId()``/``dataset()``.
    ``max_steps`` bounds the documents and elements the run may visit; past it the run
    stops with :class:`GroqStepLimitError`. ``stats`` then also gets ``steps``.
    """
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
        stats,
        dict(delta) if delta else None,
        sanity,
        max_steps,
    )
    try:
        return to_json(compiled.run(ctx))
    finally:
        if stats is not None and max_steps is not None:
            stats["steps"] = max_steps - int(max(ctx.steps_left, -1))
