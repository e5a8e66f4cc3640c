"""``Module``: a piece of a network that owns parameters.

Parameters are found by walking the module's attributes, in the order they were set: a
leaf ``Tensor`` with ``requires_grad=True`` is a parameter, a ``Module`` (or a list, tuple
or dict of them) is a child whose parameters are named ``child.name``. Nothing needs to be
registered by hand.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from ..tensor import Tensor
from .npz import load_npz, save_npz


class Module:
    """Base class of layers and networks: subclass it, set parameters and sub-modules as
    attributes in ``__init__`` and define ``forward``. ``module(x)`` calls ``forward(x)``.

    ``training`` is True after construction and after ``train()``; ``eval()`` sets it to
    False in this module and every child (Dropout reads it).
    """

    training: bool = True

    def forward(self, *args: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # -- the attribute walk -------------------------------------------------------------
    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Direct sub-modules with their attribute names (``layers.0`` for list items)."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{name}.{i}", item
            elif isinstance(value, dict):
                for key, item in value.items():
                    if isinstance(item, Module):
                        yield f"{name}.{key}", item

    def modules(self) -> Iterator[Module]:
        """This module and every module below it, parents before children (iterative)."""
        stack: list[Module] = [self]
        seen: set[int] = set()
        while stack:
            m = stack.pop()
            if id(m) in seen:
                continue
            seen.add(id(m))
            yield m
            stack.extend(reversed([c for _, c in m.named_children()]))

    def named_parameters(self) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, Tensor) for every parameter: a module's own parameters first, then
        its children's, each in attribute order. A Tensor shared by two modules is listed
        once, under the first name that reaches it."""
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [("", self)]
        while stack:
            prefix, m = stack.pop()
            children = []
            for name, value in vars(m).items():
                if _is_parameter(value):
                    if id(value) not in seen:
                        seen.add(id(value))
                        yield prefix + name, value
            for name, child in m.named_children():
                children.append((f"{prefix}{name}.", child))
            stack.extend(reversed(children))

    def parameters(self) -> list[Tensor]:
        """Every parameter (leaf Tensors with requires_grad), in ``named_parameters``
        order."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Forget the gradients of every parameter (``p.grad = None``)."""
        for p in self.parameters():
            p.grad = None

    def train(self, mode: bool = True) -> Module:
        """Set training mode (``mode=True``) or evaluation mode here and in every child;
        returns self."""
        for m in self.modules():
            m.training = bool(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode (Dropout off); same as ``train(False)``. Returns self."""
        return self.train(False)

    def children(self) -> Iterator[Module]:
        """The direct sub-modules."""
        return (m for _, m in self.named_children())

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module ('') and every module below it."""
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, m = stack.pop()
            yield name, m
            stack.extend(reversed([(f"{name}.{n}" if name else n, c)
                                   for n, c in m.named_children()]))

    def apply(self, fn: Any) -> Module:
        """Call ``fn(module)`` on every child (deepest first) and on this module; returns
        self (PyTorch's way to initialise weights)."""
        for m in reversed(list(self.modules())):
            fn(m)
        return self

    # -- buffers: state that is saved but not trained (running statistics) --------------
    def register_buffer(self, name: str, value: Any) -> None:
        """Keep ``value`` (an array or Tensor, or None) as a buffer named ``name``: an
        attribute saved in ``state_dict`` and converted by ``to``, but not a parameter."""
        buffers = self.__dict__.setdefault("_buffers", {})
        buffers[name] = None if value is None else (
            value if isinstance(value, Tensor) else Tensor(value))

    def __getattr__(self, name: str) -> Any:
        buffers = self.__dict__.get("_buffers", {})
        if name in buffers:
            return buffers[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        buffers = self.__dict__.get("_buffers")
        if buffers is not None and name in buffers:
            buffers[name] = value if value is None or isinstance(value, Tensor) \
                else Tensor(value)
        else:
            object.__setattr__(self, name, value)

    def named_buffers(self) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, Tensor) for every buffer of this module and its children."""
        for prefix, m in self.named_modules():
            for name, b in m.__dict__.get("_buffers", {}).items():
                if b is not None:
                    yield (f"{prefix}.{name}" if prefix else name), b

    def buffers(self) -> list[Tensor]:
        """Every buffer, in ``named_buffers`` order."""
        return [b for _, b in self.named_buffers()]

    def to(self, dtype: Any = None, *args: Any) -> Module:
        """Convert every floating parameter and buffer to ``dtype`` in place (they stay
        the same Tensors, so an optimizer built before still holds them); 'cpu' is
        accepted and ignored. Returns self."""
        for a in (dtype, *args):
            if a is None or a == "cpu":
                continue
            dt = np.dtype(a)
            for t in [*self.parameters(), *self.buffers()]:
                if t.value.dtype.kind == "f":
                    t.value = t.value.astype(dt)
                    if t.grad is not None:
                        t.grad = t.grad.astype(dt)
        return self

    def float(self) -> Module:
        """``to(float32)``."""
        return self.to(np.float32)

    def double(self) -> Module:
        """``to(float64)``."""
        return self.to(np.float64)

    # -- saving -------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter's and buffer's data, by dotted name (PyTorch's
        names: ``0.weight`` in a Sequential, ``bn.running_mean``)."""
        state = {name: p.value.copy() for name, p in self.named_parameters()}
        state.update((name, b.value.copy()) for name, b in self.named_buffers())
        return state

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> None:
        """Copy ``state`` (name -> array) into the parameters, in place; each keeps its
        dtype. Everything is checked before anything is assigned, so either every
        parameter is loaded or none is changed.

        Raises TypeError when ``state`` is not a mapping or an entry is not a real numeric
        array (complex, bool, integer, datetime, strings or objects: converting them would
        lose or invent information); KeyError naming missing and unexpected names (only
        missing ones with ``strict=False``: unexpected names are then ignored); ShapeError
        on a shape mismatch; ValueError when a value does not fit the parameter's dtype
        (1e300 into float32)."""
        from ..errors import ShapeError
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict: expected a mapping of name -> array, got "
                            f"{type(state).__name__}")
        params = dict(self.named_parameters())
        missing = [n for n in params if n not in state]
        unexpected = [n for n in state if n not in params]
        if missing or (strict and unexpected):
            raise KeyError(f"load_state_dict into {type(self).__name__}: missing "
                           f"{missing or 'none'}, unexpected {unexpected or 'none'}")
        arrays = {}
        for name, p in params.items():
            arr = _state_array(name, state[name])
            if arr.shape != p.shape:
                raise ShapeError(f"load_state_dict: {name!r} has shape {arr.shape} in the "
                                 f"state but {p.shape} in the module")
            with np.errstate(all="ignore"):
                cast = arr.astype(p.dtype)
            if not np.array_equal(np.isfinite(cast), np.isfinite(arr)):
                raise ValueError(f"load_state_dict: {name!r} has values outside the range "
                                 f"of the parameter's dtype {p.dtype} (largest "
                                 f"{np.finfo(p.dtype).max:.3g})")
            arrays[name] = cast
        for name, p in params.items():
            p.value[...] = arrays[name]

    def save(self, path: str | os.PathLike) -> None:
        """Write ``state_dict()`` to a numpy ``.npz`` file at ``path``."""
        save_npz(self.state_dict(), path)

    def load(self, path: str | os.PathLike, strict: bool = True) -> None:
        """Read a ``.npz`` file written by ``save`` into the parameters (see
        ``load_state_dict``)."""
        from ..errors import ShapeError
        params = dict(self.named_parameters())

        def check(headers: dict[str, tuple[tuple[int, ...], np.dtype]]) -> None:
            # refuse a file that does not fit the model before any array is read
            for name, (shape, _) in headers.items():
                if name in params and shape != params[name].shape:
                    raise ShapeError(f"load {os.fspath(path)}: {name!r} has shape {shape} "
                                     f"in the file but {params[name].shape} in the module")
                if name not in params and strict:
                    raise KeyError(f"load {os.fspath(path)}: the file has {name!r}, which "
                                   f"{type(self).__name__} does not (strict=False ignores it)")

        self.load_state_dict(load_npz(path, check), strict=strict)

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        body = "\n".join(f"  ({n}): " + repr(c).replace("\n", "\n  ") for n, c in children)
        return f"{type(self).__name__}(\n{body}\n)"

    def extra_repr(self) -> str:
        """The layer's settings, shown inside its repr."""
        return ""


def _is_parameter(value: Any) -> bool:
    return isinstance(value, Tensor) and value.needs and value.prim is None


def _state_array(name: str, value: Any) -> np.ndarray:
    """``value`` as a real floating-point array, or TypeError naming what it is."""
    if isinstance(value, Tensor):
        value = value.value
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"load_state_dict: {name!r} is not an array ({exc})") from None
    if arr.dtype.kind != "f":
        what = {"c": "complex", "b": "bool", "i": "integer", "u": "integer",
                "M": "datetime", "m": "timedelta", "U": "text", "S": "bytes",
                "O": "Python objects"}.get(arr.dtype.kind, str(arr.dtype))
        raise TypeError(f"load_state_dict: {name!r} holds {what} values ({arr.dtype}); "
                        "parameters take real floating-point arrays")
    return arr
