"""The state a compiled function reads besides its arguments, and a check that it is
unchanged.

A trace records only the ops that need a gradient; anything computed from values the
function reads from outside (a closed-over Tensor, a global, a module's running
statistics) that needs none is computed once, while tracing, and frozen into the replay.
So after each trace :func:`collect` looks at what the function can reach:

- its closure cells, the globals its code names (nested functions and lambdas included),
  its default arguments, a bound method's object, a ``functools.partial``'s arguments;
- one level into the dicts, lists and tuples found there;
- every ``nn.Module`` found, with all its sub-modules' attributes, parameters and buffers;
- the same, once, for the functions of f's own module that it names (helpers it calls)
  and the ``forward`` of Module classes defined there;

and generates a function ``changed()`` that answers True when any of it may have changed:
a name now bound to another object, a container of another length or with other items, a
Tensor whose array was replaced or written in place (its write stamp moved), a module
buffer, a NumPy array or a Tensor that needs no gradient (up to :data:`CONTENTS_LIMIT`
bytes) whose contents differ. The
compiled function then traces again. A function that reads none of this gets no guard
and pays nothing.

What is not looked into: attributes of arbitrary objects (other than Modules), functions
of other modules, containers below the first level, the contents of NumPy arrays larger
than the limit, and of parameters (Tensors that require grad: their ops are recorded and
read them at each call) written without the Tensor knowing (``p.data[i] = v``).
"""

from __future__ import annotations

import builtins
import functools
import types
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..tensor import Tensor

CONTENTS_LIMIT = 1 << 16
"""Module buffers, NumPy arrays and Tensors that need no gradient up to this many bytes are
compared by content at each call (a raw write into them is seen); larger ones by identity
(and write stamp) only."""

_CONTAINER_LIMIT = 1000     # items; a larger dict/list/tuple is checked by length only
SCALARS = (bool, int, float, complex, str, bytes, type(None), np.generic)
"""Immutable leaves: watched by the name or item that holds them."""
_MISSING = object()


def _names(code: types.CodeType) -> set[str]:
    """The global (and attribute) names ``code`` and the code nested in it mention."""
    names = set(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            names |= _names(c)
    return names


def _module_name(fn: Any) -> str:
    return str(getattr(fn, "__globals__", {}).get("__name__", ""))


def _own(fn: Any) -> bool:
    """Whether ``fn`` is chainrule's own code (it reads no user state but its arguments,
    and its module's globals are its business)."""
    name = _module_name(fn)
    return name == "chainrule" or name.startswith("chainrule.")


class _Builder:
    """Collects the checks, as lines of the generated ``changed()``."""

    def __init__(self, home: dict[str, Any] | None) -> None:
        # nn is imported only when a guard is built
        from ..nn.module import Module
        self.module_class = Module
        self.home = home                    # the globals of f's own module
        self.namespace: dict[str, Any] = {}
        self.lines: list[str] = []
        self.names: dict[int, str] = {}
        self.seen: dict[int, bool] = {}     # id -> whether its contents are compared
        self.followed: set[int] = set()

    def const(self, obj: Any) -> str:
        name = self.names.get(id(obj))
        if name is None:
            name = self.names[id(obj)] = f"K{len(self.names)}"
            self.namespace[name] = obj
        return name

    def check(self, condition: str) -> None:
        self.lines.append(condition)

    # -- what is worth watching ---------------------------------------------------------
    def wanted(self, obj: Any) -> bool:
        """State (Tensors, arrays, Modules, containers, numbers, strings), a function of
        f's own module, or a method of either."""
        if isinstance(obj, (Tensor, np.ndarray, self.module_class, dict, list, tuple,
                            *SCALARS)):
            return True
        if isinstance(obj, types.MethodType):
            return self.wanted(obj.__self__) or self.wanted(obj.__func__)
        return isinstance(obj, types.FunctionType) and obj.__globals__ is self.home

    def source(self, expr: str, obj: Any, depth: int = 0, always: bool = False) -> None:
        """``expr``, read again at each call, must still be ``obj``; then watch ``obj``.
        Only for state unless ``always`` (an item or a module's attribute: another
        function put there, ``model.act = cr.tanh``, is seen too)."""
        if always or self.wanted(obj):
            self.check(f"{expr} is not {self.const(obj)}")
            self.watch(obj, depth)

    # -- watching an object ---------------------------------------------------------------
    def watch(self, obj: Any, depth: int = 0) -> None:
        if isinstance(obj, Tensor):
            # a Tensor that needs no gradient: every computation on it alone was frozen,
            # so a raw write into it (t.data[0] = 1) matters too; a parameter's ops are
            # recorded and read it at each call
            self.tensor(obj, not obj.needs)
        elif isinstance(obj, np.ndarray):
            self.array(obj)
        elif isinstance(obj, self.module_class):
            self.module(obj)
        elif isinstance(obj, (dict, list, tuple)):
            if depth == 0:
                self.container(obj)
        elif isinstance(obj, types.MethodType):
            self.watch(obj.__self__)
            self.follow(obj.__func__)
        elif isinstance(obj, types.FunctionType):
            self.follow(obj)

    def tensor(self, t: Tensor, contents: bool) -> None:
        known = self.seen.get(id(t))
        if known is None:
            k = self.const(t)
            self.check(f"{k}.value is not {self.const(t.value)} or {k}._stamp != {t._stamp}")
        if contents and not known:
            self.contents(t.value)
        self.seen[id(t)] = bool(known or contents)

    def array(self, a: np.ndarray) -> None:
        if id(a) not in self.seen:
            self.seen[id(a)] = True
            self.contents(a)

    def contents(self, a: np.ndarray) -> None:
        if a.dtype.kind in "biufcmM" and a.nbytes <= CONTENTS_LIMIT:
            k = self.const(a)
            self.check(f"{k}.shape != {a.shape!r} or {k}.tobytes() != "
                       f"{self.const(a.tobytes())}")

    def container(self, c: dict | list | tuple) -> None:
        if id(c) in self.seen:
            return
        self.seen[id(c)] = False
        k = self.const(c)
        if not isinstance(c, tuple):
            self.check(f"len({k}) != {len(c)}")
        if len(c) > _CONTAINER_LIMIT:
            return
        if isinstance(c, dict):
            for key, value in list(c.items()):
                self.source(f"{k}[{self.const(key)}]", value, 1, True)
        elif isinstance(c, list):
            for i, value in enumerate(c):
                self.source(f"{k}[{i}]", value, 1, True)
        else:
            for value in c:
                self.watch(value, 1)

    def module(self, m: Any) -> None:
        """Every attribute of ``m`` (rebinding one, eval()/train(), a new sub-module), its
        parameters' arrays and write stamps, its buffers' contents; and so for each
        sub-module."""
        if id(m) in self.seen:
            return
        self.seen[id(m)] = False
        attrs = m.__dict__
        k = self.const(attrs)
        self.check(f"len({k}) != {len(attrs)}")
        for name, value in list(attrs.items()):
            if name == "_buffers":
                b = self.const(value)
                self.check(f"{k}['_buffers'] is not {b} or len({b}) != {len(value)}")
                for key, buffer in list(value.items()):
                    self.check(f"{b}[{key!r}] is not {self.const(buffer)}")
                    if isinstance(buffer, Tensor):
                        self.tensor(buffer, True)
            else:
                self.source(f"{k}[{name!r}]", value, always=True)
        self.follow(getattr(type(m), "forward", None))

    # -- following a function -------------------------------------------------------------
    def follow(self, fn: Any) -> None:
        """What ``fn``'s code reads: the globals it names, its closure, its defaults; a
        function of another module only at the root (see :func:`collect`)."""
        if not isinstance(fn, types.FunctionType) or id(fn) in self.followed:
            return
        if fn.__globals__ is not self.home:
            return
        self.followed.add(id(fn))
        code = fn.__code__
        g = self.const(fn.__globals__)
        for name in sorted(_names(code)):
            value = fn.__globals__.get(name, _MISSING)
            if value is not _MISSING:
                self.source(f"{g}[{name!r}]", value)
        for cell in fn.__closure__ or ():
            try:
                value = cell.cell_contents
            except ValueError:      # a name not yet bound in the enclosing function
                continue
            self.source(f"{self.const(cell)}.cell_contents", value)
        for value in (*(fn.__defaults__ or ()), *(fn.__kwdefaults__ or {}).values()):
            self.watch(value)

    def build(self) -> Callable[[], bool] | None:
        if not self.lines:
            return None
        # a name or key that is gone raises (KeyError, an empty cell's ValueError): changed
        source = "\n".join(["def changed():", "    try:", f"        return ({self.lines[0]}",
                            *(f"                or {line}" for line in self.lines[1:]),
                            "                )", "    except Exception:", "        return True"])
        exec(builtins.compile(source, "<chainrule.compile guard>", "exec"),  # noqa: S102
             self.namespace)
        changed: Callable[[], bool] = self.namespace["changed"]
        changed.source = source     # type: ignore[attr-defined]
        return changed


def collect(f: Any, extra: Sequence[Any] = ()) -> Callable[[], bool] | None:
    """A generated function answering whether the state ``f`` can reach (see the module's
    docstring), or the objects ``extra`` (static arguments) reach, differs from now; None
    when there is none (nothing to check)."""
    roots: list[Any] = list(extra)
    while isinstance(f, functools.partial):
        roots.extend(f.args)
        roots.extend(f.keywords.values())
        f = f.func
    if isinstance(f, types.MethodType):
        roots.append(f.__self__)
        f = f.__func__
    if not isinstance(f, types.FunctionType):
        roots.append(f)                     # a callable object: a Module, say
        f = getattr(type(f), "forward", None)
    home = f.__globals__ if isinstance(f, types.FunctionType) and not _own(f) else None
    builder = _Builder(home)
    for obj in roots:
        if builder.wanted(obj):
            builder.watch(obj)
    builder.follow(f)
    return builder.build()
