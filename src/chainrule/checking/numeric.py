"""Central finite differences in float64: the one numeric oracle of gradcheck, blame and
the hand checks.

Everything here differentiates a function along a line, ``phi(t) = f(x + t v)``: the
central difference ``(phi(h) - phi(-h)) / 2h`` is exact for quadratics and off by about
``h**2 * phi'''/6`` otherwise, so with ``h = 1e-6`` a well-scaled float64 function gives
about 8 correct digits. The one-sided slopes say whether ``phi`` has a kink at 0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Slopes:
    """Difference quotients of ``phi`` at 0 with step ``h``: ``central`` (the estimate of
    phi'(0)), ``forward`` ((phi(h) - phi(0)) / h) and ``backward`` ((phi(0) - phi(-h)) / h)."""

    central: float
    forward: float
    backward: float


def slopes(phi: Callable[[float], Any], h: float) -> Slopes:
    """The central and one-sided slopes of the one-number function ``phi`` at 0 (three
    evaluations, in float64)."""
    f0, fp, fm = (float(np.float64(phi(t))) for t in (0.0, h, -h))
    return Slopes((fp - fm) / (2 * h), (fp - f0) / h, (f0 - fm) / h)


def central_difference(phi: Callable[[float], Any], h: float) -> Any:
    """``(phi(h) - phi(-h)) / 2h`` in float64; ``phi`` may return a number or an array
    (then the result is an array of that shape)."""
    plus = np.asarray(phi(h), dtype=np.float64)
    minus = np.asarray(phi(-h), dtype=np.float64)
    return (plus - minus) / (2 * h)


def directional(f: Callable[..., Any], args: Sequence[Any], directions: Sequence[Any],
                eps: float) -> Any:
    """The derivative of ``f(*args)`` along ``directions`` (one per argument, same shapes)
    by a central difference of step ``eps``; ``args`` are taken as float64 arrays. The
    result has the shape of ``f``'s output."""
    xs = [np.asarray(a, dtype=np.float64) for a in args]
    vs = [np.asarray(v, dtype=np.float64) for v in directions]
    big = max((float(np.max(np.abs(x), initial=0.0)) for x in xs), default=0.0)
    h = step(eps, big)
    return central_difference(lambda t: f(*[x + t * v for x, v in zip(xs, vs)]), h)


def step(eps: float, size: float) -> float:
    """The difference step for numbers of magnitude ``size``: ``eps`` up to 1000, then
    ``eps * (size / 1000) ** (2/3)``. A fixed 1e-6 at 1e8 is a few hundred float64
    spacings, so the difference would be mostly rounding; a step growing like ``size``
    itself would be too coarse for a curved function. At 1e8 this is about 2e-3, good to
    about 5 digits either way."""
    finite = size if np.isfinite(size) else 0.0
    return eps if finite <= 1e3 else eps * (finite / 1e3) ** (2 / 3)


def partials(f: Callable[..., Any], args: Sequence[Any], i: int, eps: float) -> np.ndarray:
    """d f(*args) / d args[i] element by element, for a one-number ``f``: an array of the
    shape of ``args[i]`` (float64), one central difference per element."""
    xs = [np.array(a, dtype=np.float64) for a in args]
    x = xs[i]
    out = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        e = np.zeros(x.shape)
        e[idx] = 1.0

        def phi(t: float, e: np.ndarray = e) -> Any:
            bumped = list(xs)
            bumped[i] = x + t * e
            return f(*bumped)

        out[idx] = float(central_difference(phi, step(eps, abs(float(x[idx])))))
    return out
