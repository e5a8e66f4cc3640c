"""Argument checks at the API boundary, in one place: each raises a TypeError or ValueError
that names the function, the argument and what was expected, instead of letting a raw
numpy or Python error (or a silent wrong answer) come out of the inside.

This module imports nothing of chainrule's, so every layer can use it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import numpy as np

_NUMERIC_KINDS = "biufc"

_F = TypeVar("_F", bound=Callable[..., Any])


def describe(value: Any) -> str:
    """``value`` for a message: its type, and a short repr."""
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{type(value).__name__} {text}"


def operand(op: str, value: Any) -> Any:
    """``value`` unchanged if it can be an input of ``op``: a number, or an array of
    numbers (bool, int, float, complex); else TypeError. (Tensors are checked by their
    engine, lists and tuples are converted by the caller.)"""
    kind = type(value)
    if kind is float or kind is int:
        return value
    if isinstance(value, np.ndarray):
        dtype = value.dtype
    elif isinstance(value, (bool, int, float, complex, np.number, np.bool_)):
        return value
    else:
        try:
            dtype = np.asarray(value).dtype
        except (TypeError, ValueError):
            dtype = np.dtype(object)
    if dtype.kind not in _NUMERIC_KINDS:
        raise TypeError(f"{op}: expected a number, an array of numbers or a Tensor, got "
                        f"{describe(value)}")
    return value


def whole_number(fn: str, name: str, value: Any, low: int | None = None) -> int:
    """``value`` as an int if it is a whole number (int or numpy integer, not bool) of at
    least ``low``; else TypeError (wrong type) or ValueError (too small)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{fn}: {name} must be a whole number, got {describe(value)}")
    if low is not None and value < low:
        raise ValueError(f"{fn}: {name} must be at least {low}, got {value}")
    return int(value)


def argnums(fn: str, value: Any) -> tuple[tuple[int, ...], bool]:
    """``(positions, single)`` from an ``argnums`` argument: one whole number, or a tuple or
    list of them."""
    if isinstance(value, (tuple, list)):
        return tuple(whole_number(fn, "argnums", v) for v in value), False
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{fn}: argnums must be a whole number or a tuple of them, got "
                        f"{describe(value)}")
    return (int(value),), True


def takes_argnum(transform: _F) -> _F:
    """``transform`` also taking HIPS autograd's spellings ``argnum=`` of ``argnums=``
    (and ``f_argnum=`` of ``f_argnums=``)."""
    @functools.wraps(transform)
    def spelled(*args: Any, **kwargs: Any) -> Any:
        for old in [k for k in kwargs if k.endswith("argnum")]:
            if old + "s" in kwargs:
                raise TypeError(f"{transform.__name__}: give {old}s or {old} (HIPS "
                                "autograd's spelling), not both")
            kwargs[old + "s"] = kwargs.pop(old)
        return transform(*args, **kwargs)
    return spelled  # type: ignore[return-value]


def positive(fn: str, name: str, value: Any, zero: bool = False) -> float:
    """``value`` as a float if it is a finite real number above 0 (0 too with ``zero``);
    else TypeError (not a number) or ValueError (nan, infinite, out of range)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                      np.floating)):
        raise TypeError(f"{fn}: {name} must be a number, got {describe(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{fn}: {name} must be a finite number, got {value}")
    if number < 0 or (number == 0 and not zero):
        raise ValueError(f"{fn}: {name} must be {'0 or more' if zero else 'positive'}, "
                         f"got {value}")
    return number


def distinct(fn: str, params: Iterable[Any]) -> list[Any]:
    """``params`` as a list, refused (ValueError) when one appears twice: an optimizer
    would update it twice per step."""
    out = list(params)
    seen: dict[int, int] = {}
    for k, p in enumerate(out):
        if id(p) in seen:
            raise ValueError(f"{fn}: parameter {k} is the same Tensor as parameter "
                             f"{seen[id(p)]}; list each parameter once")
        seen[id(p)] = k
    return out
