"""Containers of arrays (pytrees): nested tuples, lists and dicts of numbers and arrays.

``tree_flatten(tree)`` lists the leaves (anything that is not a tuple, list or dict) in a
fixed order (dicts by sorted key, as JAX does) with a ``TreeDef`` that rebuilds the same
structure around new leaves. ``flatten(tree)`` goes one step further: one float64 vector of
every number, and the function that turns such a vector back into the tree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


class TreeDef:
    """The structure of a tree without its leaves; equal structures compare equal."""

    __slots__ = ("kind", "keys", "children")

    def __init__(self, kind: str, keys: tuple = (), children: tuple = ()) -> None:
        self.kind = kind                # "leaf", "none", "tuple", "list" or "dict"
        self.keys = keys                # a dict's keys; a namedtuple's class
        self.children = children

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, TreeDef) and self.kind == other.kind
                and self.keys == other.keys and self.children == other.children)

    def __hash__(self) -> int:
        return hash((self.kind, self.keys, self.children))

    @property
    def num_leaves(self) -> int:
        return 1 if self.kind == "leaf" else sum(c.num_leaves for c in self.children)

    def __repr__(self) -> str:
        if self.kind == "leaf":
            return "*"
        if self.kind == "none":
            return "None"
        if self.kind == "dict":
            return "{" + ", ".join(f"{k!r}: {c!r}" for k, c in zip(self.keys, self.children)) + "}"
        inner = ", ".join(repr(c) for c in self.children)
        if self.kind == "tuple":
            name = self.keys[0].__name__ if self.keys else ""
            return f"{name}({inner}{',' if len(self.children) == 1 and not name else ''})"
        return f"[{inner}]"


LEAF = TreeDef("leaf")
NONE = TreeDef("none")


def is_container(x: Any) -> bool:
    """Whether ``x`` is a tuple, list or dict (a tree node, not a leaf)."""
    return isinstance(x, (tuple, list, dict))


def tree_flatten(tree: Any, none_is_leaf: bool = True) -> tuple[list[Any], TreeDef]:
    """``(leaves, treedef)``: the leaves of ``tree`` in order and its structure. With
    ``none_is_leaf=False`` (the transforms' reading, as JAX's) a None is an empty subtree:
    no leaf, and None again where the tree is rebuilt."""
    leaves: list[Any] = []
    return leaves, _flatten(tree, leaves, none_is_leaf)


def _flatten(tree: Any, leaves: list[Any], none_is_leaf: bool) -> TreeDef:
    if isinstance(tree, dict):
        keys = tuple(sorted(tree, key=repr))
        return TreeDef("dict", keys, tuple(_flatten(tree[k], leaves, none_is_leaf)
                                           for k in keys))
    if isinstance(tree, (tuple, list)):
        kind = "list" if isinstance(tree, list) else "tuple"
        # a namedtuple keeps its class, so f gets ``p.w`` back (as JAX rebuilds it)
        named = (type(tree),) if hasattr(type(tree), "_fields") else ()
        return TreeDef(kind, named, tuple(_flatten(c, leaves, none_is_leaf) for c in tree))
    if tree is None and not none_is_leaf:
        return NONE
    leaves.append(tree)
    return LEAF


def tree_unflatten(treedef: TreeDef, leaves: Any) -> Any:
    """The tree of structure ``treedef`` holding ``leaves`` (in :func:`tree_flatten`'s
    order). Raises ValueError if their number differs from the structure's."""
    leaves = list(leaves)
    if len(leaves) != treedef.num_leaves:
        raise ValueError(f"tree_unflatten: {len(leaves)} leaves for a structure of "
                         f"{treedef.num_leaves}")
    it = iter(leaves)
    return _build(treedef, it)


def _build(d: TreeDef, it: Any) -> Any:
    if d.kind == "leaf":
        return next(it)
    if d.kind == "none":
        return None
    children = [_build(c, it) for c in d.children]
    if d.kind == "dict":
        return dict(zip(d.keys, children))
    if d.kind == "list":
        return children
    return d.keys[0](*children) if d.keys else tuple(children)


def tree_map(fn: Callable[..., Any], tree: Any, *rest: Any) -> Any:
    """``fn`` applied leaf by leaf to ``tree`` (and the same-structured trees ``rest``)."""
    leaves, d = tree_flatten(tree)
    others = []
    for r in rest:
        lr, dr = tree_flatten(r)
        if dr != d:
            raise ValueError(f"tree_map: structures differ: {d} and {dr}")
        others.append(lr)
    return tree_unflatten(d, [fn(*xs) for xs in zip(leaves, *others)])


def flatten(tree: Any) -> tuple[np.ndarray, Callable[[Any], Any]]:
    """``(vector, unflatten)``: every number of ``tree`` (numbers, arrays, Tensors, in
    :func:`tree_flatten`'s order) as one float64 vector (complex128 where a leaf is
    complex), and the function that rebuilds a tree of the same structure and shapes from
    such a vector (numbers come back as floats, or complex numbers, arrays as arrays).
    Raises TypeError for a leaf that is not a number or an array.

    Example::

        vec, unflatten = cr.flatten({"w": np.ones((2, 2)), "b": 0.5})
        vec                     # array([0.5, 1., 1., 1., 1.])  ("b" sorts first)
        unflatten(vec * 2)      # {'b': 1.0, 'w': array([[2., 2.], [2., 2.]])}
    """
    leaves, d = tree_flatten(tree, none_is_leaf=False)
    arrays = []
    for x in leaves:
        raw = getattr(x, "value", x)
        if isinstance(raw, (bool, str)) or raw is None:
            raise TypeError(f"flatten: a leaf must be a number or an array, got "
                            f"{type(x).__name__} {x!r}")
        arrays.append(np.asarray(raw))
    real = [a.dtype.kind != "c" for a in arrays]
    dtype = np.float64 if all(real) else np.complex128
    arrays = [a.astype(dtype, copy=False) for a in arrays]
    shapes = [a.shape for a in arrays]
    numbers = [complex if isinstance(x, complex) else float if isinstance(x, (int, float))
               else None for x in leaves]
    sizes = [a.size for a in arrays]
    vec = np.concatenate([a.ravel() for a in arrays]) if arrays else np.zeros(0)
    total = int(sum(sizes))

    def unflatten(v: Any) -> Any:
        v = np.asarray(getattr(v, "value", v))
        if v.dtype.kind == "c" and dtype is np.float64:
            raise TypeError("unflatten: a complex vector for a tree of real numbers would "
                            "lose its imaginary part")
        v = v.astype(dtype, copy=False)
        if v.shape != (total,):
            raise ValueError(f"unflatten: expected a vector of {total} numbers, "
                             f"got shape {v.shape}")
        out, start = [], 0
        for shape, size, number, was_real in zip(shapes, sizes, numbers, real):
            piece = v[start:start + size].reshape(shape)
            if was_real and piece.dtype.kind == "c":
                if np.any(piece.imag):
                    raise TypeError(f"unflatten: numbers {start}..{start + size - 1} "
                                    "are complex where the tree had real ones")
                piece = piece.real
            out.append(number(piece.item()) if number else piece)
            start += size
        return tree_unflatten(d, out)

    return vec, unflatten


def expand_args(args: tuple, nums: tuple[int, ...]
                ) -> tuple[tuple, tuple[int, ...], Callable[[tuple], tuple],
                           Callable[[Sequence[Any]], tuple]]:
    """Spread the containers among the differentiated arguments ``args[i]``, ``i`` in
    ``nums``, into their leaves, so that a transform can treat each leaf as an argument.

    Returns ``(flat_args, flat_nums, rebuild, regroup)``: the arguments with each such
    container replaced by its leaves, the positions of the differentiated leaves in them,
    ``rebuild(flat_args)`` -> the arguments in their original structure, and
    ``regroup(results)`` -> one result per entry of ``nums`` from one result per entry of
    ``flat_nums`` (a container's results in its structure).
    """
    flat: list[Any] = []
    flat_nums: list[int] = []
    spans: dict[int, tuple[int, int, TreeDef]] = {}
    wanted = set(nums)
    for i, a in enumerate(args):
        if i in wanted and is_argument_tree(a):
            leaves, d = tree_flatten(a, none_is_leaf=False)
            spans[i] = (len(flat), len(leaves), d)
            flat.extend(leaves)
        else:
            spans[i] = (len(flat), -1, LEAF)
            flat.append(a)
    for i in nums:
        start, n, _ = spans[i]
        flat_nums.extend(range(start, start + n) if n >= 0 else (start,))

    def rebuild(new: tuple) -> tuple:
        out = []
        for i in range(len(args)):
            start, n, d = spans[i]
            out.append(tree_unflatten(d, new[start:start + n]) if n >= 0 else new[start])
        return tuple(out)

    def regroup(results: Sequence[Any]) -> tuple:
        by_position = dict(zip(flat_nums, results))
        out = []
        for i in nums:
            start, n, d = spans[i]
            out.append(tree_unflatten(d, [by_position[k] for k in range(start, start + n)])
                       if n >= 0 else by_position[start])
        return tuple(out)

    return tuple(flat), tuple(flat_nums), rebuild, regroup


def is_numbers(x: Any) -> bool:
    """Whether ``x`` is a list of numbers (or of such lists): an array written as lists,
    which a transform's argument takes as one array, as numpy would. A tuple is always a
    container of separate arguments, as in JAX and HIPS autograd: ``grad(f)((w, b))``
    gives back a tuple. A ragged list (``[[1.0], 2.0]``) is a container too."""
    return _grid_shape(x) is not None


def _grid_shape(x: Any) -> tuple[int, ...] | None:
    """The array shape of ``x`` if it is a non-empty list of numbers, or of such lists all
    of one shape; else None."""
    if not isinstance(x, list) or not x:
        return None
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in x):
        return (len(x),)
    inner = [_grid_shape(v) for v in x]
    if inner[0] is None or any(s != inner[0] for s in inner):
        return None
    return (len(x), *inner[0])


def is_argument_tree(x: Any) -> bool:
    """Whether a transform's argument ``x`` is a container of several arguments (a dict, or
    a tuple or list that is not just numbers)."""
    return is_container(x) and not is_numbers(x)


def has_container(args: tuple, nums: Sequence[int]) -> bool:
    """Whether any of ``args[i]``, ``i`` in ``nums``, is a container (:func:`is_argument_tree`)."""
    return any(is_argument_tree(args[i]) for i in nums)
