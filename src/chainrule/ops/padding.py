"""``np.pad``'s modes that compute the padding from the data: 'maximum', 'minimum',
'mean', 'median' (a statistic of the first or last ``stat_length`` entries of each axis)
and 'linear_ramp' (from the edge value to ``end_values``).

As numpy does, the axes are padded one after the other, each on the result of the ones
before (so a corner gets the statistic of the already padded edge). Each block is written
with differentiable ops (``max``, ``mean``, ``sort``, slices, ``concatenate``), so the
gradient flows into the entries the padding was computed from.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .functions import FUNCTIONS, Array, _raw, _shape_of

STAT_MODES = ("maximum", "minimum", "mean", "median")
MODES = (*STAT_MODES, "linear_ramp")


def _pairs(value: Any, nd: int) -> list[tuple[Any, Any]]:
    """numpy's forms of a per-axis (before, after) pair: one value, one pair, or a pair
    per axis."""
    if value is None:
        return [(None, None)] * nd
    arr = np.asarray(value, dtype=object)
    if arr.size == 1:
        v = arr.reshape(-1)[0]
        return [(v, v)] * nd
    return [tuple(p) for p in np.broadcast_to(arr, (nd, 2))]


def _at(axis: int, where: Any) -> tuple[Any, ...]:
    return (slice(None),) * axis + (where,)


def _median(chunk: Array, axis: int) -> Array:
    n = _shape_of(chunk)[axis]
    s = FUNCTIONS["sort"](chunk, axis)
    middle = s[_at(axis, slice((n - 1) // 2, n // 2 + 1))]
    return FUNCTIONS["mean"](middle, axis, True)


def _stat(mode: str, chunk: Array, axis: int) -> Array:
    if mode == "median":
        return _median(chunk, axis)
    name = {"maximum": "max", "minimum": "min", "mean": "mean"}[mode]
    return FUNCTIONS[name](chunk, axis, True)


def pad_from_data(x: Array, pad_width: Any, mode: str, kwargs: dict[str, Any]) -> Array:
    """``np.pad(x, pad_width, mode, **kwargs)`` for ``mode`` in :data:`MODES`, on a
    Tensor; numpy checks the arguments (and raises its own errors) first."""
    shape = _shape_of(x)
    # numpy's own argument checks first
    np.pad(np.zeros(shape), pad_width, mode, **kwargs)  # type: ignore[call-overload]
    nd = len(shape)
    widths = [(int(b), int(a)) for b, a in _pairs(pad_width, nd)]
    lengths = _pairs(kwargs.get("stat_length"), nd)
    ends = _pairs(kwargs.get("end_values", 0), nd)
    for axis in range(nd):
        before, after = widths[axis]
        if before == after == 0:
            continue
        n = _shape_of(x)[axis]
        if mode == "linear_ramp":
            left = _ramp(x[_at(axis, slice(0, 1))], ends[axis][0], before, axis, False)
            right = _ramp(x[_at(axis, slice(n - 1, n))], ends[axis][1], after, axis, True)
        else:
            lb, la = (n if v is None or v > n else int(v) for v in lengths[axis])
            left = _block(_stat(mode, x[_at(axis, slice(0, lb))], axis), before, axis)
            right = _block(_stat(mode, x[_at(axis, slice(n - la, n))], axis), after, axis)
        parts = [p for p, w in ((left, before), (x, 1), (right, after)) if w]
        x = FUNCTIONS["concatenate"](parts, axis)
    return x


def _block(stat: Array, width: int, axis: int) -> Array:
    """``stat`` (length 1 along ``axis``) repeated ``width`` times along it."""
    shape = list(_shape_of(stat))
    shape[axis] = width
    return stat + np.zeros(shape, np.asarray(_raw(stat)).dtype)


def _ramp(edge: Array, end: Any, width: int, axis: int, reverse: bool) -> Array:
    """From ``end`` towards ``edge`` in ``width`` steps (the edge itself excluded), as
    numpy's linspace; reversed on the trailing side."""
    nd = len(_shape_of(edge))
    steps = np.arange(width)[::-1] if reverse else np.arange(width)
    frac = (steps / max(width, 1)).reshape((-1,) + (1,) * (nd - axis - 1))
    frac = frac.astype(np.result_type(np.asarray(_raw(edge)).dtype, np.float32))
    return float(end) + (edge - float(end)) * frac
