"""``linspace`` with Tensor end points: the samples are ``start + k * step`` (the last one
``stop`` itself), so each is differentiable in ``start`` and ``stop``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Node
from .functions import FUNCTIONS, _raw, _shape_of, composite, normalize_axes, refuse_out


@composite(numpy=(np.linspace,), doc="np.linspace: evenly spaced samples between two ends")
def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True,
             retstep: bool = False, dtype: Any = None, axis: int = 0) -> Any:
    """``num`` samples from ``start`` to ``stop`` (included when ``endpoint``), computed
    as numpy does: ``start + k * step``, the last one ``stop``. Array ends give the
    samples along ``axis`` (shape ``(num,) + broadcast shape`` for ``axis=0``); with
    ``retstep`` the pair ``(samples, step)``. Raises ValueError for a negative ``num``,
    TypeError for ``dtype=``."""
    refuse_out("linspace", None, dtype)
    num = int(num)
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    div = num - 1 if endpoint else num
    shape = np.broadcast_shapes(_shape_of(start), _shape_of(stop))
    lead = (num,) + (1,) * len(shape)
    delta = stop - start
    step = delta / div if div > 0 else np.nan   # numpy's step for num 0 or 1: nan
    dt = np.result_type(_raw(start), _raw(stop), float(num))   # float32 ends stay float32
    if div > 0:
        y = start + np.arange(num, dtype=dt).reshape(lead) * step
    else:                                   # num 0 or 1: only start, if anything
        y = start + np.zeros(lead, dt) * delta
    if endpoint and num > 1:
        last = FUNCTIONS["broadcast_to"](stop, shape) if isinstance(stop, Node) else \
            np.broadcast_to(np.asarray(stop, dt), shape)
        y = FUNCTIONS["concatenate"]([y[:-1], FUNCTIONS["reshape"](last, (1,) + shape)], 0)
    ax = normalize_axes("linspace", len(shape) + 1, axis)[0] + len(shape) + 1
    if ax:
        y = FUNCTIONS["moveaxis"](y, 0, ax)
    return (y, step) if retstep else y
