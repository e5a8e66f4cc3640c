"""``Module``: a piece of a network that owns parameters.

Parameters are found by walking the module's attributes, in the order they were set: a
leaf ``Tensor`` with ``requires_grad=True`` is a parameter, a ``Module`` (or a list, tuple
or dict of them) is a child whose parameters are named ``child.name``. Nothing needs to be
registered by hand. An attribute that was set to a parameter (or to an ``nn.Parameter``)
stays one for ``state_dict``, ``save``, ``load`` and ``to`` when it is later frozen with
``requires_grad_(False)``, as in PyTorch; a Tensor set without ``requires_grad`` is a
constant of the module, not saved.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from ..tensor import Tensor
from .npz import load_npz, save_npz
from .parameter import Parameter


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
            return
        registered = self.__dict__.setdefault("_parameter_names", set())
        if _is_parameter(value) or isinstance(value, Parameter):
            registered.add(name)
        elif not _is_leaf(value):
            registered.discard(name)
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
            for t in {id(t): t for _, t in self._named_state()}.values():
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
    def _own_parameters(self, frozen: bool = False) -> Iterator[tuple[str, Tensor]]:
        """(attribute name, Tensor) for this module's own parameters, in attribute order;
        with ``frozen``, also those set as parameters and frozen since."""
        registered = self.__dict__.get("_parameter_names", ())
        for name, value in vars(self).items():
            if _is_parameter(value) or (frozen and name in registered and _is_leaf(value)):
                yield name, value

    def _named_state(self) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, Tensor) for every entry of ``state_dict``, in PyTorch's order: each
        module's own parameters, then its own buffers, then its children's. A Tensor shared
        by two modules (tied weights) appears under each name, as in PyTorch."""
        for prefix, m in self.named_modules():
            dotted = f"{prefix}." if prefix else ""
            yield from ((dotted + name, value) for name, value in m._own_parameters(True))
            for name, b in m.__dict__.get("_buffers", {}).items():
                if b is not None:
                    yield dotted + name, b

    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter's and buffer's data, by dotted name, in PyTorch's
        order and with its names (``0.weight`` in a Sequential, ``1.running_mean``)."""
        return {name: t.value.copy() for name, t in self._named_state()}

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy ``state`` (name -> array) into the parameters and buffers, in place; each
        keeps its dtype. Everything is checked before anything is assigned, so either every
        entry is loaded or none is changed. Returns ``(missing_keys, unexpected_keys)``, as
        PyTorch: with ``strict=False`` the entries ``state`` lacks are left as they are and
        the names the module lacks are ignored; shapes are checked either way.

        Raises TypeError when ``state`` is not a mapping or an entry is not a real numeric
        array of the entry's kind (floating point for parameters and floating buffers,
        integers for integer buffers such as ``num_batches_tracked``; complex, bool,
        datetime, strings or objects: converting them would lose or invent information);
        KeyError naming missing and unexpected names (``strict=True`` only); ShapeError on
        a shape mismatch; ValueError when a value does not fit the entry's dtype (1e300
        into float32)."""
        from ..errors import ShapeError
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict: expected a mapping of name -> array, got "
                            f"{type(state).__name__}")
        targets = dict(self._named_state())
        missing = [n for n in targets if n not in state]
        unexpected = [n for n in state if n not in targets]
        if strict and (missing or unexpected):
            raise KeyError(f"load_state_dict into {type(self).__name__}: missing "
                           f"{missing or 'none'}, unexpected {unexpected or 'none'} "
                           "(strict=False loads the rest)")
        buffer_ids = {id(b) for _, b in self.named_buffers()}
        arrays = {}
        for name, t in targets.items():
            if name not in state:
                continue
            what = "buffer" if id(t) in buffer_ids else "parameter"
            integer = t.dtype.kind in "iu"
            arr = _state_array(name, state[name], integer=integer, what=what)
            if arr.shape != t.shape:
                raise ShapeError(f"load_state_dict: {name!r} has shape {arr.shape} in the "
                                 f"state but {t.shape} in the module")
            arrays[name] = _cast(name, arr, t.dtype, what)
        for name, arr in arrays.items():
            t = targets[name]
            t.value[...] = arr
            t._mark_written()      # a graph recorded before refuses backward, as in PyTorch
        return IncompatibleKeys(missing, unexpected)

    def save(self, path: str | os.PathLike) -> None:
        """Write ``state_dict()`` to a numpy ``.npz`` file at ``path``."""
        save_npz(self.state_dict(), path)

    def load(self, path: str | os.PathLike, strict: bool = True) -> IncompatibleKeys:
        """Read a ``.npz`` file written by ``save`` into the parameters and buffers (see
        ``load_state_dict``); shapes and, with ``strict``, names are checked from the
        file's headers before any array is read."""
        from ..errors import ShapeError
        targets = dict(self._named_state())

        def check(headers: dict[str, tuple[tuple[int, ...], np.dtype]]) -> None:
            # refuse a file that does not fit the model before any array is read
            for name, (shape, _) in headers.items():
                if name in targets and shape != targets[name].shape:
                    raise ShapeError(f"load {os.fspath(path)}: {name!r} has shape {shape} "
                                     f"in the file but {targets[name].shape} in the module")
                if name not in targets and strict:
                    raise KeyError(f"load {os.fspath(path)}: the file has {name!r}, which "
                                   f"{type(self).__name__} does not (strict=False ignores it)")

        return self.load_state_dict(load_npz(path, check), strict=strict)

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


def _is_leaf(value: Any) -> bool:
    return isinstance(value, Tensor) and value.prim is None


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict`` did not match: the module's names absent from the state,
    and the state's names the module does not have (PyTorch's ``missing_keys`` and
    ``unexpected_keys``)."""

    missing_keys: list[str]
    unexpected_keys: list[str]


_KINDS = {"c": "complex", "b": "bool", "i": "integer", "u": "integer", "f": "floating-point",
          "M": "datetime", "m": "timedelta", "U": "text", "S": "bytes", "O": "Python objects"}


def _state_array(name: str, value: Any, integer: bool = False,
                 what: str = "parameter") -> np.ndarray:
    """``value`` as a real floating-point array (an integer array when ``integer``), or
    TypeError naming what it is."""
    if isinstance(value, Tensor):
        value = value.value
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"load_state_dict: {name!r} is not an array ({exc})") from None
    if arr.dtype.kind not in ("iu" if integer else "f"):
        kind = _KINDS.get(arr.dtype.kind, str(arr.dtype))
        wanted = "integer" if integer else "real floating-point"
        raise TypeError(f"load_state_dict: {name!r} holds {kind} values ({arr.dtype}); "
                        f"this {what} takes {wanted} arrays")
    return arr


def _cast(name: str, arr: np.ndarray, dtype: np.dtype, what: str) -> np.ndarray:
    """``arr`` in ``dtype``, or ValueError when a value does not fit it."""
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        if arr.size and (arr.min() < info.min or arr.max() > info.max):
            raise ValueError(f"load_state_dict: {name!r} has values outside the range of "
                             f"the {what}'s dtype {dtype} ({info.min} to {info.max})")
        return arr.astype(dtype)
    with np.errstate(all="ignore"):
        cast = arr.astype(dtype)
    if not np.array_equal(np.isfinite(cast), np.isfinite(arr)):
        raise ValueError(f"load_state_dict: {name!r} has values outside the range of the "
                         f"{what}'s dtype {dtype} (largest {np.finfo(dtype).max:.3g})")
    return cast
