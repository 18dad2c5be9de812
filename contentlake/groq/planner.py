"""Filters on ``*`` that can use an index: equality and ``in`` on indexed paths, and
``references(...)``, in a conjunction. The smallest candidate set is evaluated with the full
filter, in dataset order, so the result is exactly what a scan gives."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .values import is_number

if TYPE_CHECKING:
    from .compiler import Compiler, Fn, Scope
    from .dataset import Dataset


def _path(node: Any) -> tuple[str, ...] | None:
    """``a`` or ``a.b.c`` (plain attribute access on the document), else None."""
    if node[0] == "ident":
        return (node[1],)
    if node[0] == "trav" and node[1][0] == "ident" and all(op[0] == "attr" for op in node[2]):
        return (node[1][1], *(op[1] for op in node[2]))
    return None


def _constant(node: Any) -> bool:
    """Evaluable without a document: literals, params, arrays of those."""
    kind = node[0]
    if kind in ("lit", "param"):
        return True
    if kind == "array":
        return all(not spread and _constant(x) for spread, x in node[1])
    if kind == "group":
        return _constant(node[1])
    return False


def _conjuncts(node: Any) -> list[Any]:
    if node[0] == "and":
        return _conjuncts(node[1]) + _conjuncts(node[2])
    if node[0] == "group":
        return _conjuncts(node[1])
    return [node]


def plan_filter(compiler: Compiler, predicate: Any) -> Fn:
    test = compiler.compile(predicate)
    probes: list[tuple[str, Any, Fn]] = []
    for term in _conjuncts(predicate):
        if term[0] == "cmp" and term[1] == "==":
            left, right = term[2], term[3]
            path, const = _path(left), right
            if path is None or not _constant(right):
                path, const = _path(right), left
            if path is not None and _constant(const):
                probes.append(("eq", path, compiler.compile(const)))
        elif term[0] == "in" and _path(term[1]) is not None and _constant(term[2]):
            probes.append(("in", _path(term[1]), compiler.compile(term[2])))
        elif (
            term[0] == "func"
            and term[1] == "global"
            and term[2] == "references"
            and all(_constant(a) for a in term[3])
        ):
            probes.append(("refs", None, _all_of([compiler.compile(a) for a in term[3]])))

    def run(s: Scope) -> Any:
        dataset = s.ctx.dataset
        if dataset is None:
            return None
        best: set[int] | None = None
        if probes and dataset.planning:
            for kind, path, value_fn in probes:
                found = _candidates(dataset, kind, path, value_fn(s))
                if found is not None and (best is None or len(found) < len(best)):
                    best = found
                    if not best:
                        break
        docs = dataset.at(best) if best is not None else dataset.documents
        stats = s.ctx.stats
        if stats is not None:
            stats["scanned"] = stats.get("scanned", 0) + len(docs)
            stats["indexed"] = stats.get("indexed", 0) + (1 if best is not None else 0)
        child = s.child
        return [d for d in docs if test(child(d)) is True]

    return run


def _all_of(fns: list[Fn]) -> Fn:
    return lambda s: [fn(s) for fn in fns]


def _candidates(
    dataset: Dataset, kind: str, path: tuple[str, ...] | None, value: Any
) -> set[int] | None:
    if kind == "eq":
        assert path is not None
        if value is None or not (isinstance(value, str | bool) or is_number(value)):
            return None  # == null matches missing fields too: scan
        return dataset.lookup(path, value)
    if kind == "in":
        assert path is not None
        if not isinstance(value, list) or not dataset.has_index(path):
            return None
        out: set[int] = set()
        for v in value:
            if v is None or not (isinstance(v, str | bool) or is_number(v)):
                return None
            found = dataset.lookup(path, v)
            if found is None:
                return None
            out |= found
        return out
    ids: set[str] = set()
    for v in value:
        if isinstance(v, str):
            ids.add(v)
        elif isinstance(v, list):
            ids.update(x for x in v if isinstance(x, str))
    out = set()
    for ref in ids:
        out |= dataset.referencing(ref)
    return out
