"""``chainrule.nn.functional``: the layers as functions, with PyTorch's names.

``linear`` is ``x @ W.T + b`` as one primitive, the gate a dense layer shows in a graph,
with PyTorch's weight layout (out_features, in_features). Its VJPs are ``g @ W``,
``g^T x`` and ``g`` for the bias, which the core sums back to the bias's shape. One gate
instead of ``matmul`` then ``add`` saves a node and an (N, out_features) temporary.
The activations, losses and the rest are re-exported here under PyTorch's names.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Node
from ..core.recording import recording
from ..errors import ShapeError
from ..ops import functions as F
from ..primitive import Primitive
from ..seeding import default_generator
from ..shape_checks import check_broadcast, shape_error
from ..tensor import Tensor, _recorded, check_complex
from .activations import erf, gelu, leaky_relu, log_softmax, softmax
from .conv import adaptive_avg_pool2d, avg_pool2d, conv1d, conv2d, max_pool2d
from .losses import (
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    l1_loss,
    mse_loss,
    nll_loss,
)

__all__ = ["adaptive_avg_pool2d", "avg_pool2d", "conv1d", "conv2d", "max_pool2d",
           "binary_cross_entropy_with_logits", "cross_entropy", "dropout", "erf", "gelu",
           "huber_loss", "l1_loss", "leaky_relu", "linear", "log_softmax", "mse_loss",
           "nll_loss", "relu", "sigmoid", "softmax", "tanh"]


def _linear(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.matmul(x, w.T)
    if out.dtype is getattr(b, "dtype", None) or out.dtype == np.result_type(out, b):
        out += b
        return out
    return out + b


def _linear_vjp_w(M: Any, g: Any, ans: Any, x: Any, w: Any, b: Any) -> Any:
    if x.ndim == 1:                     # out[..., o] = sum_i W[o, i] x[i]
        return M.expand_dims(g, -1) * x
    if w.__class__ is np.ndarray:
        flags = w.flags
        if flags.f_contiguous and not flags.c_contiguous:
            # (x.T @ g).T: the gradient in the weight's own layout, so the update runs in
            # order (ndarray methods: on raw arrays M.swapaxes is this with a call more)
            if g.__class__ is np.ndarray and x.__class__ is np.ndarray:
                return _matmul(x.swapaxes(-1, -2), g).swapaxes(-1, -2)
            return M.swapaxes(M.matmul(M.swapaxes(x), g))
    return M.matmul(M.swapaxes(g), x)   # summed over leading axes by the core


def _linear_vjp_b(M: Any, g: Any, ans: Any, x: Any, w: Any, b: Any) -> Any:
    if g.__class__ is np.ndarray and b.__class__ is np.ndarray and b.ndim == 1:
        # the sum over the examples here (what the core's sum_to would do): g's leading
        # batch axes of a batched pass (g.ndim - ans.ndim of them) are kept
        nd = g.ndim
        axes = tuple(range(nd - ans.ndim, nd - 1)) if ans.__class__ is np.ndarray \
            else tuple(range(nd - np.ndim(ans), nd - 1))
        return _add_reduce(g, axis=axes) if axes else g
    return g                            # summed to the bias's shape by the core


_matmul = np.matmul
_add_reduce = np.add.reduce

LINEAR = Primitive(
    "linear", array_fn=_linear,
    vjps=[lambda M, g, ans, x, w, b: M.matmul(g, w), _linear_vjp_w, _linear_vjp_b],
    inputs=("x", "W", "b"), expr="x @ W.T + b",
    derivs=["W (on the right)", "x (g^T on the left)", "1 (summed over the batch)"],
    vjp_text=["g @ W", "g.T @ x", "sum(g over the batch)"])


def linear(x: Any, weight: Any, bias: Any = None) -> Any:
    """``x @ weight.T + bias`` (PyTorch's ``F.linear``): x (..., in), weight (out, in),
    bias (out,) or None -> (..., out). One graph node (``linear``) when there is a bias,
    ``matmul`` otherwise. Raises ShapeError when the inner sizes differ or the bias does
    not broadcast."""
    xs, ws = _shape(x), _shape(weight)
    if len(ws) != 2:
        raise ShapeError(f"linear: weight must be (out_features, in_features), got shape {ws}")
    if not xs or xs[-1] != ws[1]:
        raise ShapeError(f"linear: input {xs} has {xs[-1] if xs else 0} features but "
                         f"weight {ws} takes {ws[1]} (weight is (out_features, in_features))")
    if bias is None:
        return F.matmul(x, F.transpose(weight))
    bs = _shape(bias)
    if bs != ws[:1]:                # (out_features,) always fits
        check_broadcast("linear (bias)", xs[:-1] + ws[:1], bs)
    if isinstance(x, Tensor) and isinstance(weight, Tensor) and isinstance(bias, Tensor):
        # Tensor._apply for three Tensors (a layer's call), without its argument loop
        try:
            out = _linear(x.value, weight.value, bias.value)
        except ValueError as exc:
            raise shape_error(LINEAR, (x.value, weight.value, bias.value), exc) from None
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        check_complex(LINEAR, (x, weight, bias), out)
        if (x.needs or weight.needs or bias.needs) and recording():
            return _recorded(out, (x, weight, bias), LINEAR)
        return Tensor._node(out, (), None, False)
    if isinstance(x, Node):         # what apply() would pick, without its frames
        return type(x)._apply(LINEAR, (x, weight, bias))  # type: ignore[attr-defined]
    return LINEAR(x, weight, bias)


def _shape(a: Any) -> tuple[int, ...]:
    v = a.value if isinstance(a, Node) else a
    return v.shape if type(v) is np.ndarray else np.shape(v)


def dropout(x: Any, p: float = 0.5, training: bool = True, *,
            rng: np.random.Generator | None = None, mask_shape: Any = None) -> Any:
    """Inverted dropout: in training zero each element with probability ``p`` and scale
    the rest by 1/(1-p); the identity when not ``training`` or p = 0. The mask (of
    ``mask_shape``, broadcast to x; x's shape by default) is drawn from ``rng`` or the
    ``cr.manual_seed`` stream and is a constant of the graph."""
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout: p must be in [0, 1), got {p}")
    if not training or p == 0.0:
        return x
    value = x.value if isinstance(x, Node) else np.asarray(x)
    gen = rng if rng is not None else default_generator()
    keep = gen.random(value.shape if mask_shape is None else mask_shape) >= p
    return x * (keep.astype(value.dtype) * value.dtype.type(1.0 / (1.0 - p)))


def relu(x: Any) -> Any:
    """``cr.relu``."""
    return F.relu(x)


def sigmoid(x: Any) -> Any:
    """``cr.sigmoid``."""
    return F.sigmoid(x)


def tanh(x: Any) -> Any:
    """``cr.tanh``."""
    return F.tanh(x)
