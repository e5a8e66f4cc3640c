"""``chainrule.scipy.signal.convolve``: N-dimensional convolution, differentiable in both
inputs, with scipy.signal.convolve's modes ``full``, ``same`` and ``valid``.

The primitive is the full convolution (scipy's direct method); ``same`` and ``valid`` are
slices of it, centred as scipy centres them. Its VJPs are full convolutions with the
flipped other input, sliced (a correlation), so second derivatives work; its JVPs are
derived from them by transposition.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.signal as ss

from ..core import Node
from ..primitive import Primitive, apply
from ._batch import shape_of


def _flipped(M: Any, x: Any, lead: int) -> Any:
    shape = shape_of(x)
    f = M.getitem(x, tuple(slice(None, None, -1) for _ in shape))
    return M.reshape(f, (1,) * lead + shape) if lead else f


def _correlate_valid(M: Any, g: Any, ans: Any, other: Any, size: tuple[int, ...]) -> Any:
    lead = len(shape_of(g)) - len(shape_of(ans))
    full = apply(CONVOLVE_FULL, g, _flipped(M, other, lead))
    start = [n - 1 for n in shape_of(other)]
    index = (slice(None),) * lead + tuple(slice(s, s + n) for s, n in zip(start, size))
    return M.getitem(full, index)


CONVOLVE_FULL = Primitive(
    "convolve", array_fn=lambda a, b: ss.convolve(a, b, mode="full", method="direct"),
    vjps=[lambda M, g, ans, a, b: _correlate_valid(M, g, ans, b, shape_of(a)),
          lambda M, g, ans, a, b: _correlate_valid(M, g, ans, a, shape_of(b))],
    inputs=("in1", "in2"), expr="convolve(in1, in2)",
    derivs=["correlate(g, in2, 'valid')", "correlate(g, in1, 'valid')"])


def convolve(in1: Any, in2: Any, mode: str = "full", method: str = "auto") -> Any:
    """scipy.signal.convolve(in1, in2, mode), differentiable in both inputs (Tensors,
    arrays or numbers). ``method`` is accepted for scipy's signature; the direct sum is
    always used. Raises ValueError for an unknown mode, inputs of different ndim, or
    ``valid`` when neither input is at least as large as the other in every axis."""
    if mode not in ("full", "same", "valid"):
        raise ValueError(f"convolve: mode must be 'full', 'same' or 'valid', got {mode!r}")
    a = in1 if isinstance(in1, Node) else np.asarray(in1, dtype=float)
    b = in2 if isinstance(in2, Node) else np.asarray(in2, dtype=float)
    sa, sb = shape_of(a), shape_of(b)
    if len(sa) != len(sb):
        raise ValueError(f"convolve: in1 and in2 should have the same dimensionality; got "
                         f"shapes {sa} and {sb}")
    full = apply(CONVOLVE_FULL, a, b)
    if mode == "full":
        return full
    if mode == "same":
        size = sa
    else:
        if not (all(x >= y for x, y in zip(sa, sb)) or all(y >= x for x, y in zip(sa, sb))):
            raise ValueError(f"convolve: for 'valid' mode, one input must be at least as "
                             f"large as the other in every axis; got {sa} and {sb}")
        size = tuple(abs(x - y) + 1 for x, y in zip(sa, sb))
    shape = shape_of(full)
    index = tuple(slice((n - k) // 2, (n - k) // 2 + k) for n, k in zip(shape, size))
    return full[index]


__all__ = ["convolve"]
