"""Numbers and arrays as short text: the one formatter that explanations, pictures, the
checking reports and the command line share.

:func:`number` writes one number (``digits`` significant digits; ``point`` keeps a
trailing ``.0`` on whole numbers, as explanations show them); :func:`fmt` writes any value
on one line (small arrays in full, large ones as a summary); :func:`summary` is that
summary; :func:`jsonable` turns values into JSON data the same way.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from .core import Node

SMALL = 12
"""Arrays with at most this many elements are printed in full; larger ones summarized."""


def number(x: Any, digits: int = 6, *, point: bool = False) -> str:
    """``x`` with ``digits`` significant digits; 0 and -0 as ``0`` (the sign of a zero is
    noise to a reader). With ``point``, whole numbers keep a decimal point: ``2.0``,
    ``0.0``, ``1234567.0``."""
    x = float(x)
    if x == 0:
        return "0.0" if point else "0"
    if point and math.isfinite(x) and x == int(x) and abs(x) < 1e15:
        return f"{int(x)}.0"
    return f"{x:.{digits}g}"


def fmt(v: Any) -> str:
    """A value as one short line: numbers to 6 significant digits (``2.0``, ``0.841471``),
    small arrays in full (4 digits per element), large arrays as shape and min/mean/max."""
    if isinstance(v, Node):
        v = v.value
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.number)):
        return number(v, point=True)
    if isinstance(v, np.ndarray):
        if v.ndim == 0:
            return number(v, point=True)
        if v.size <= SMALL:
            body = np.array2string(v, separator=", ", max_line_width=10_000,
                                   formatter={"float_kind": lambda x: number(x, 4)})
            return re.sub(r"\s*\n\s*", " ", body)
        return summary(v)
    return repr(v)


def summary(v: np.ndarray) -> str:
    """``shape (a, b): min .., mean .., max ..`` for a large array."""
    if v.size == 0:
        return f"shape {v.shape}: empty"
    vf = v.astype(np.float64, copy=False)
    return (f"shape {v.shape}: min {number(np.min(vf), point=True)}, "
            f"mean {number(np.mean(vf), point=True)}, max {number(np.max(vf), point=True)}")


def jsonable(v: Any) -> Any:
    """``v`` as JSON data: arrays as shape and values (small) or shape and min/mean/max,
    numpy scalars as Python numbers, anything else unknown as its repr."""
    if isinstance(v, Node):
        v = v.value
    if isinstance(v, np.ndarray):
        if v.ndim == 0:
            return float(v)
        if v.size <= SMALL:
            return {"shape": list(v.shape), "values": v.tolist()}
        vf = v.astype(np.float64, copy=False)
        return {"shape": list(v.shape), "min": float(np.min(vf)),
                "mean": float(np.mean(vf)), "max": float(np.max(vf))}
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, np.number):
        return float(v)
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    if v is None or isinstance(v, (int, float, str)):
        return v
    return repr(v)
