"""Loss functions. Softmax cross-entropy and binary cross-entropy take *logits* and are
single fused primitives: one stable forward, one VJP (``softmax(x) - onehot`` and
``sigmoid(x) - y``), one derivative text, declared here the way the built-in rules are
(as ``Primitive`` objects, not entered in ``cr.REGISTRY``: that table is the core's op set,
which the op test matrix covers).
Fusing avoids both the overflow of ``log(softmax(x))`` and the wrong kink of a composed
``relu(x) - x*y + log(1 + exp(-|x|))`` at x = 0.

``reduction`` is 'mean' (the default: a 0-d Tensor), 'sum', or 'none' (one loss per
example).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Node
from ..errors import ShapeError
from ..ops import functions as F
from ..primitive import Primitive
from ..tensor import Tensor

REDUCTIONS = ("mean", "sum", "none")


_add_reduce = np.add.reduce
_min_reduce, _max_reduce = np.minimum.reduce, np.maximum.reduce


def _reduce(losses: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "mean":
        if losses.size and (losses.dtype == np.float64 or losses.dtype == np.float32):
            # np.mean's own steps (its pairwise sum, then the division by an intp count),
            # without its two Python layers: bit for bit the same number
            total = _add_reduce(losses, axis=None)
            return total.dtype.type(total / np.intp(losses.size))
        return np.mean(losses)
    if reduction == "sum":
        return np.sum(losses)
    return losses


def _per_example_g(M, g, ans, n: int, reduction: str, trailing: int):
    """The cotangent of each example's loss, shaped to broadcast against an input with
    ``trailing`` axes after the example axis; leading batch axes of ``g`` are kept."""
    lead = g.ndim - ans.ndim
    if reduction == "none":
        return M.reshape(g, g.shape + (1,) * trailing)
    g = M.reshape(g, g.shape[:lead] + (1,) * (1 + trailing))
    return g / n if reduction == "mean" else g


# -- softmax cross-entropy -------------------------------------------------------------
def _ce_forward(logits: np.ndarray, labels: np.ndarray, reduction: str) -> np.ndarray:
    # the ufuncs' own reductions: np.max and np.sum add a Python layer each, per step
    shift = np.maximum.reduce(logits, axis=-1, keepdims=True)
    z = logits - shift
    lse = np.log(np.add.reduce(np.exp(z), axis=-1))
    picked = z[np.arange(len(labels)), labels]
    return _reduce(lse - picked, reduction)


def _ce_vjp(M, g, ans, logits, labels, reduction):
    xv = M.value(logits)
    if xv is logits:        # on plain arrays: softmax - onehot in place, no one-hot array
        p = np.exp(xv - np.maximum.reduce(xv, axis=-1, keepdims=True))
        p /= _add_reduce(p, axis=-1, keepdims=True)
        p[np.arange(len(labels)), labels] -= 1
        if g.__class__ is np.ndarray and g.ndim == 0 and reduction != "none" \
                and g.dtype == p.dtype:
            # one loss, no batch axes: the product with the scale below, in p's memory
            p *= g / xv.shape[0] if reduction == "mean" else g
            return p
        return _per_example_g(M, g, ans, xv.shape[0], reduction, 1) * p
    # softmax is shift-invariant, so the max can be a constant even in a recorded pass
    e = M.exp(logits - np.max(xv, axis=-1, keepdims=True))
    p = e / M.sum(e, -1, True)
    onehot = np.zeros(xv.shape, dtype=xv.dtype)
    onehot[np.arange(len(labels)), labels] = 1
    return _per_example_g(M, g, ans, xv.shape[0], reduction, 1) * (p - onehot)


CROSS_ENTROPY = Primitive(
    "cross_entropy", array_fn=_ce_forward, vjps=[_ce_vjp], inputs=("x",),
    expr="mean(logsumexp(x) - x[label])",
    derivs=["(softmax(x) - onehot(label)) / N"], vjp_text=["g * (softmax(x) - onehot) / N"],
    domain="logits (N, C), integer labels in [0, C); stable for any finite logits")


def cross_entropy(logits: Any, labels: Any, weight: Any = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of ``logits`` (N, C) against integer ``labels`` (N,):
    ``logsumexp(logits[n]) - logits[n, labels[n]]``, averaged over the batch by default.
    Stable for any finite logits; keeps the logits' dtype. Raises ShapeError for wrong
    shapes and ValueError for labels that are not integers in [0, C).

    As PyTorch's: ``weight`` (C,) weighs each class (the mean then divides by the summed
    weights of the labels), labels equal to ``ignore_index`` add nothing, and
    ``label_smoothing`` e mixes the one-hot target with the uniform one: (1 - e) * nll +
    e * mean over classes of -log p. The plain case is one fused gate."""
    given = labels.value if isinstance(labels, Node) else labels
    if given.__class__ is not np.ndarray:
        given = np.asarray(given)
    if weight is not None or label_smoothing:
        return _general_cross_entropy(logits, labels, weight, ignore_index, reduction,
                                      label_smoothing)
    lv = logits.value if isinstance(logits, Node) else logits
    shape = lv.shape if lv.__class__ is np.ndarray else np.shape(lv)
    if reduction not in REDUCTIONS:
        _check_reduction("cross_entropy", reduction)
    _check_labels("cross_entropy", shape, given, "logits")
    if given.size:
        # the ufuncs' reductions: ndarray.min/max add a Python layer each
        low, high = _min_reduce(given, axis=None), _max_reduce(given, axis=None)
        # a label equal to ignore_index can only lie between the smallest and the largest
        if low <= ignore_index <= high and (given == ignore_index).any():
            return _general_cross_entropy(logits, labels, weight, ignore_index, reduction,
                                          label_smoothing)
        _check_range("cross_entropy", shape, low, high, ignore_index)
    idx = given if given.dtype == np.intp else given.astype(np.intp)
    if isinstance(logits, Tensor):      # what CROSS_ENTROPY(...) picks, without two calls
        return type(logits)._apply(CROSS_ENTROPY, (logits, idx, reduction))
    return CROSS_ENTROPY(logits, idx, reduction)


def _class_labels(op: str, shape: tuple[int, ...], labels: Any, ignore_index: int,
                  what: str = "logits") -> tuple[np.ndarray, np.ndarray]:
    labels = np.asarray(labels.value if isinstance(labels, Node) else labels)
    _check_labels(op, shape, labels, what)
    keep = labels != ignore_index
    used = labels[keep]
    if used.size:
        _check_range(op, shape, used.min(), used.max(), ignore_index)
    return np.where(keep, labels, 0).astype(np.intp), keep


def _check_labels(op: str, shape: tuple[int, ...], labels: np.ndarray, what: str) -> None:
    if len(shape) != 2:
        raise ShapeError(f"{op}: {what} must have shape (N, C), got {shape}")
    if labels.shape != shape[:1]:
        raise ShapeError(f"{op}: labels must have shape ({shape[0]},) to match {what} "
                         f"{shape}, got {labels.shape}")
    if labels.dtype.kind not in "iu":
        raise ValueError(f"{op}: labels must be integer class indices, got dtype "
                         f"{labels.dtype}")


def _check_range(op: str, shape: tuple[int, ...], low: Any, high: Any,
                 ignore_index: int) -> None:
    if low < 0 or high >= shape[1]:
        raise ValueError(f"{op}: labels must lie in [0, {shape[1]}), got values from "
                         f"{low} to {high} (labels equal to ignore_index="
                         f"{ignore_index} are skipped)")


def nll_loss(log_probs: Any, labels: Any, weight: Any = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood: ``-log_probs[n, labels[n]] * weight[labels[n]]`` for
    ``log_probs`` (N, C) (the output of ``log_softmax``) and integer ``labels`` (N,);
    the mean divides by the summed weights of the labels not equal to ``ignore_index``."""
    _check_reduction("nll_loss", reduction)
    shape = np.shape(log_probs.value if isinstance(log_probs, Node) else log_probs)
    idx, keep = _class_labels("nll_loss", shape, labels, ignore_index, "log_probs")
    w = np.ones(shape[1]) if weight is None else np.asarray(
        weight.value if isinstance(weight, Node) else weight, dtype=np.float64)
    per = w[idx] * keep
    dtype = np.result_type(np.asarray(log_probs.value if isinstance(log_probs, Node)
                                      else log_probs).dtype, np.float32)
    picked = log_probs[np.arange(shape[0]), idx] * (-per).astype(dtype)
    return _reduce_weighted(picked, per.sum(), reduction)


def _reduce_weighted(losses: Any, total_weight: float, reduction: str) -> Any:
    if reduction == "none":
        return losses
    s = F.sum(losses)
    return s / total_weight if reduction == "mean" else s


def _general_cross_entropy(logits: Any, labels: Any, weight: Any, ignore_index: int,
                           reduction: str, label_smoothing: float) -> Tensor:
    _check_reduction("cross_entropy", reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got "
                         f"{label_smoothing}")
    shape = np.shape(logits.value if isinstance(logits, Node) else logits)
    idx, keep = _class_labels("cross_entropy", shape, labels, ignore_index)
    logp = F.log_softmax(logits, 1)
    w = np.ones(shape[1]) if weight is None else np.asarray(
        weight.value if isinstance(weight, Node) else weight, dtype=np.float64)
    if w.shape != shape[1:]:
        raise ShapeError(f"cross_entropy: weight must have shape ({shape[1]},), got {w.shape}")
    dtype = np.asarray(logits.value if isinstance(logits, Node) else logits).dtype
    per = w[idx] * keep
    nll = logp[np.arange(shape[0]), idx] * (-per).astype(dtype)
    if label_smoothing:
        smooth = F.sum(logp * (-w / shape[1]).astype(dtype), 1) * keep.astype(dtype)
        nll = nll * (1.0 - label_smoothing) + smooth * label_smoothing
    return _reduce_weighted(nll, per.sum(), reduction)


def l1_loss(prediction: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Mean absolute error ``|prediction - target|`` (|x|'(0) = 0)."""
    _check_reduction("l1_loss", reduction)
    return _reduce_elements(F.abs(F.subtract(prediction, target)), reduction)


def huber_loss(prediction: Any, target: Any, reduction: str = "mean",
               delta: float = 1.0) -> Tensor:
    """Huber loss: 0.5 d**2 where |d| < delta, delta * (|d| - 0.5 delta) elsewhere, with
    d = prediction - target."""
    _check_reduction("huber_loss", reduction)
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    d = F.subtract(prediction, target)
    a = F.abs(d)
    small = np.abs(d.value if isinstance(d, Node) else np.asarray(d)) < delta
    return _reduce_elements(F.where(small, 0.5 * d * d, delta * (a - 0.5 * delta)), reduction)


def _reduce_elements(losses: Any, reduction: str) -> Any:
    if reduction == "mean":
        return F.mean(losses)
    if reduction == "sum":
        return F.sum(losses)
    return losses


# -- binary cross-entropy with logits --------------------------------------------------
def _bce_forward(logits: np.ndarray, targets: np.ndarray, reduction: str) -> np.ndarray:
    # max(x, 0) - x*y + log(1 + exp(-|x|)): no overflow for any x
    losses = np.maximum(logits, 0) - logits * targets + np.log1p(np.exp(-np.abs(logits)))
    return _reduce(losses, reduction)


def _bce_vjp(M, g, ans, logits, targets, reduction):
    xv = M.value(logits)
    sig = 0.5 + 0.5 * M.tanh(0.5 * logits)      # sigmoid without overflow
    n = xv.size
    lead = g.ndim - ans.ndim
    if reduction == "none":
        return g * (sig - targets)
    g = M.reshape(g, g.shape[:lead] + (1,) * xv.ndim)
    return (g / n if reduction == "mean" else g) * (sig - targets)


BINARY_CROSS_ENTROPY = Primitive(
    "binary_cross_entropy", array_fn=_bce_forward, vjps=[_bce_vjp], inputs=("x",),
    expr="mean(max(x, 0) - x*y + log(1 + exp(-|x|)))",
    derivs=["(sigmoid(x) - y) / N"], vjp_text=["g * (sigmoid(x) - y) / N"],
    domain="logits of any shape, targets y in [0, 1] of the same shape; stable for any x")


def binary_cross_entropy_with_logits(logits: Any, targets: Any,
                                     reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of ``sigmoid(logits)`` against ``targets`` in [0, 1] (same
    shape as ``logits``, any shape), computed from the logits without overflow; averaged
    over every element by default. ``targets`` carry no gradient. Raises ShapeError when
    the shapes differ."""
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    lv = logits.value if isinstance(logits, Node) else np.asarray(logits)
    if isinstance(targets, Node):
        if targets.needs:
            raise TypeError("binary_cross_entropy_with_logits: targets carry no gradient; "
                            "pass targets.detach()")
        targets = targets.value
    targets = np.asarray(targets, dtype=lv.dtype)
    if targets.shape != lv.shape:
        raise ShapeError(f"binary_cross_entropy_with_logits: targets have shape "
                         f"{targets.shape} but logits have shape {lv.shape}")
    return BINARY_CROSS_ENTROPY(logits, targets, reduction)


# -- mean squared error ----------------------------------------------------------------
def mse_loss(prediction: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Mean of ``(prediction - target) ** 2`` over every element (shapes broadcast; both
    may carry gradients). Built from ``sub``, ``mul`` and ``mean``, so its graph shows
    those ops."""
    _check_reduction("mse_loss", reduction)
    d = F.subtract(prediction, target)
    return _reduce_elements(d * d, reduction)


def _check_reduction(op: str, reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {REDUCTIONS}, got {reduction!r}")
