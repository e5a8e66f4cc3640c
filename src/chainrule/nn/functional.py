"""``linear``: ``x @ W + b`` as one primitive, the gate a dense layer shows in a graph.

Its VJPs are matmul's own rules (``g @ W.T`` and ``x.T @ g``, from
:mod:`chainrule.rules.linalg`) and ``g`` for the bias, which the core sums back to the
bias's shape. One gate instead of ``matmul`` then ``add`` saves a node, an
(N, out_features) temporary in the forward pass (the bias is added in place) and, in the
backward pass, the copy the core makes of a weight gradient that another reference still
sees.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Node
from ..ops import functions as F
from ..primitive import Primitive
from ..rules.linalg import _matmul_vjp_a, _matmul_vjp_b
from ..shape_checks import check_broadcast, check_matmul


def _linear(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.matmul(x, w)
    if out.dtype == np.result_type(out, b):
        out += b
        return out
    return out + b


LINEAR = Primitive(
    "linear", array_fn=_linear,
    vjps=[lambda M, g, ans, x, w, b: _matmul_vjp_a(M, g, ans, x, w),
          lambda M, g, ans, x, w, b: _matmul_vjp_b(M, g, ans, x, w),
          lambda M, g, ans, x, w, b: g],
    inputs=("x", "W", "b"), expr="x @ W + b",
    derivs=["W^T (on the right)", "x^T (on the left)", "1 (summed over the batch)"],
    vjp_text=["g @ W.T", "x.T @ g", "sum(g over the batch)"])


def linear(x: Any, weight: Any, bias: Any = None) -> Any:
    """``x @ weight + bias``: x (..., in), weight (in, out), bias (out,) or None ->
    (..., out). One graph node (``linear``) when there is a bias, ``matmul`` otherwise.
    Raises ShapeError when the inner sizes differ or the bias does not broadcast."""
    if bias is None:
        return F.matmul(x, weight)
    xs, ws = _shape(x), _shape(weight)
    check_matmul(xs, ws)
    out_shape = xs[:-1] + ws[-1:] if len(ws) > 1 else xs[:-1]
    check_broadcast("linear (bias)", out_shape, _shape(bias))
    return LINEAR(x, weight, bias)


def _shape(a: Any) -> tuple[int, ...]:
    return np.shape(a.value if isinstance(a, Node) else a)
