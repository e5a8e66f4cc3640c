"""What is wrong with a hand-derived partial derivative: one verdict word and a detail, from
its values and the engine's at the given point and at random points.

Verdicts: ``right``; ``hidden`` (right at the given point only: the point hides the error);
``transposed`` (the transpose of the right answer); ``shape`` (the wrong shape);
``sign`` (the right answer with its sign flipped); ``factor`` (the right answer times a
constant); ``term`` (the right answer plus a constant term: a term missing or extra);
``invalid`` (not a formula, or it cannot be evaluated); ``wrong`` (none of these).
"""

from __future__ import annotations

import ast
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..formatting import number

VERDICTS = ("right", "hidden", "transposed", "shape", "sign", "factor", "term", "invalid",
            "wrong")


@dataclass(frozen=True)
class Verdict:
    """``word`` (one of VERDICTS) and ``detail`` (a sentence for the learner)."""

    word: str
    detail: str

    @property
    def ok(self) -> bool:
        return self.word == "right"


def _shape_text(shape: tuple[int, ...]) -> str:
    return str(shape) if shape else "() (a number)"


def judge(name: str, engine: Sequence[Any], hand: Sequence[Any], *, rtol: float,
          atol: float) -> Verdict:
    """The verdict on the hand values ``hand[k]`` of df/d(name) against the engine's
    ``engine[k]``, point 0 being the given point. Values agree where
    ``|hand - engine| <= atol + rtol * |engine|`` elementwise."""
    with np.errstate(all="ignore"):  # an infinite answer is judged, not warned about
        return _judge(name, engine, hand, rtol=rtol, atol=atol)


def _judge(name: str, engine: Sequence[Any], hand: Sequence[Any], *, rtol: float,
           atol: float) -> Verdict:
    e = [np.asarray(v, dtype=np.float64) for v in engine]
    h = [np.asarray(v, dtype=np.float64) for v in hand]
    shape, got = e[0].shape, h[0].shape
    if got != shape and h[0].size == 1 and e[0].size == 1:
        h = [v.reshape(shape) for v in h]
        got = shape

    def close(a: np.ndarray, b: np.ndarray) -> bool:
        return bool(np.all(np.abs(a - b) <= atol + rtol * np.abs(b)))

    if got != shape:
        if got == shape[::-1] and all(close(a, b.T) for a, b in zip(h, e)):
            return Verdict("transposed", f"this is the transpose of the right answer: your "
                           f"df/d{name} has shape {_shape_text(got)}, {name} has shape "
                           f"{_shape_text(shape)}")
        same = h[0].size == e[0].size and all(close(a.reshape(shape), b)
                                              for a, b in zip(h, e))
        return Verdict("shape", f"your df/d{name} has shape {_shape_text(got)}, {name} has "
                       f"shape {_shape_text(shape)}"
                       + ("; the numbers are right, reshape them" if same else ""))
    ok = [close(a, b) for a, b in zip(h, e)]
    if all(ok):
        return Verdict("right", f"right at all {len(ok)} points" if len(ok) > 1
                       else "right at the given point")
    if ok[0]:
        kind = _judge(name, e[1:], h[1:], rtol=rtol, atol=atol)
        more = (f"; elsewhere {kind.detail.split(' (')[0]}"
                if kind.word in ("sign", "factor", "term", "transposed") else "")
        return Verdict("hidden", f"right at the given point only, wrong at "
                       f"{ok.count(False)} of {len(ok) - 1} random points: the given point "
                       f"hides the error{more}")
    where = f"wrong at {ok.count(False)} of {len(ok)} points"
    if len(shape) == 2 and shape[0] == shape[1] and all(close(a, b.T) for a, b in zip(h, e)):
        return Verdict("transposed", f"this is the transpose of the right answer ({where})")
    if all(close(a, -b) for a, b in zip(h, e)):
        return Verdict("sign", f"the sign is flipped ({where})")
    flat_e = np.concatenate([b.ravel() for b in e])
    flat_h = np.concatenate([a.ravel() for a in h])
    if np.any(np.abs(flat_e) > atol):
        c = float(flat_e @ flat_h / (flat_e @ flat_e))
        # (an infinite c or term would make the tolerance infinite: anything would match)
        if math.isfinite(c) and abs(c) > atol and close(flat_h, c * flat_e):
            return Verdict("factor", f"off by a constant factor: yours is "
                           f"{number(c, 4)} x the right answer ({where})")
    d = flat_h - flat_e
    if math.isfinite(d[0]) and close(flat_h, flat_e + d[0]):
        return Verdict("term", f"a term is missing or extra: yours differs from the right "
                       f"answer by the constant {number(d[0], 6)} ({where})")
    return Verdict("wrong", f"{where}; at the given point yours is "
                   f"{_values(h[0])}, the right value {_values(e[0])}")


def _values(a: np.ndarray) -> str:
    if a.ndim == 0:
        return number(float(a), 6)
    if a.size <= 6:
        return "[" + ", ".join(number(v, 4) for v in a.ravel()) + "]"
    return f"an array of shape {a.shape}"


def without_each_term(text: str) -> list[tuple[str, str]]:
    """``(term, the formula without it)`` for each top-level term of a sum or difference
    (``a*b - c + d`` has three); ``[]`` for a formula that is not a sum. For ``term``
    verdicts: an answer that becomes right without one of its terms has that term extra."""
    try:
        body = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return []
    source = text.strip()
    terms: list[tuple[int, str]] = []

    def flatten(node: ast.AST, sign: int) -> None:
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            flatten(node.left, sign)
            flatten(node.right, sign if isinstance(node.op, ast.Add) else -sign)
        else:
            terms.append((sign, ast.get_source_segment(source, node) or ""))

    flatten(body, 1)
    if len(terms) < 2 or not all(t for _, t in terms):
        return []
    out = []
    for k, (sign, term) in enumerate(terms):
        rest = " ".join(("- " if s < 0 else "+ ") + f"({t})"
                        for j, (s, t) in enumerate(terms) if j != k)
        out.append((("- " if sign < 0 else "") + term, rest.removeprefix("+ ")))
    return out
