"""The op test matrix (OpInfo style): every primitive in ``cr.REGISTRY`` is declared once here
with how to call it, a numpy reference and the shapes to try; generic tests then check each
case's value (against numpy), gradient (central differences in float64 of the numpy
reference) and second-order gradient (cr.jacobian of cr.grad against finite differences of
cr.grad). Inputs are drawn from each primitive's ``sample`` ranges, away from its ``avoid``
points. A primitive added to REGISTRY without an entry in ``SPECS`` fails
``test_every_primitive_has_sample_inputs``.
"""

from __future__ import annotations

import itertools
import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from conftest import numeric_grad, numeric_jacobian, sample_away

import chainrule as cr
from chainrule.ops.functions import COMPOSITES
from chainrule.primitive import REGISTRY

SHAPES = [(), (3,), (2, 3), (1, 3)]


@dataclass
class Case:
    op: str                       # the REGISTRY name
    label: str
    fn: Callable                  # the op through chainrule (Tensors in, Tensor out)
    ref: Callable                 # the same op in plain numpy
    shapes: tuple                 # one shape per differentiable input
    second: bool = True           # check second-order gradients too
    ranges: tuple | None = None   # per-input sampling ranges (default: prim.sample)
    avoid: tuple | None = None

    @property
    def id(self) -> str:
        return f"{self.op}-{self.label}"

    def inputs(self) -> list[np.ndarray]:
        prim = REGISTRY.get(self.op)    # None for a composite: made of other ops
        rng = np.random.default_rng(zlib.crc32(self.id.encode()))
        ranges = self.ranges or (prim.sample if prim else ((-2.0, 2.0),))
        avoid = (prim.avoid if prim else ()) if self.avoid is None else self.avoid
        return [sample_away(rng, *ranges[min(k, len(ranges) - 1)], s, avoid)
                for k, s in enumerate(self.shapes)]

    def upstream(self, out_shape: tuple[int, ...]) -> np.ndarray:
        rng = np.random.default_rng(zlib.crc32(self.id.encode()) + 1)
        return rng.standard_normal(out_shape)


def _unary(op, fn, ref):
    return [Case(op, str(s), fn, ref, (s,)) for s in SHAPES]


def _binary(op, fn, ref):
    return [Case(op, f"{a}x{b}", fn, ref, (a, b)) for a, b in itertools.product(SHAPES, SHAPES)]


def _axes(ndim):
    yield None
    yield from range(-ndim, ndim)
    if ndim == 2:
        yield (0, 1)


def _reduction(op, fn, ref):
    cases = []
    for s in SHAPES:
        for axis in _axes(len(s)):
            for keep in (False, True):
                cases.append(Case(
                    op, f"{s}-axis{axis}-keep{keep}",
                    lambda x, a=axis, k=keep: fn(x, axis=a, keepdims=k),
                    lambda x, a=axis, k=keep: ref(x, axis=a, keepdims=k), (s,)))
    return cases


def _np_lse(x, axis=None, keepdims=False):
    return np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))


def _np_softmax(x, axis):
    e = np.exp(x)
    return e / np.sum(e, axis=axis, keepdims=True)


def _along(op, fn, ref):
    return [Case(op, f"{s}-axis{a}", lambda x, a=a: fn(x, axis=a), lambda x, a=a: ref(x, a), (s,))
            for s in SHAPES[1:] for a in range(-len(s), len(s))]


def _norm_cases():
    cases = [Case("norm", f"default-{s}", cr.norm, np.linalg.norm, (s,)) for s in SHAPES]
    for s in [(3,), (2, 3), (1, 3)]:
        for ord_ in (1, 2, np.inf, 3):
            for keep in (False, True):
                cases.append(Case(
                    "norm", f"ord{ord_}-{s}-keep{keep}",
                    lambda x, o=ord_, k=keep: cr.norm(x, ord=o, axis=-1, keepdims=k),
                    lambda x, o=ord_, k=keep: np.linalg.norm(x, ord=o, axis=-1, keepdims=k),
                    (s,)))
    for s in [(2, 3), (1, 3)]:
        cases.append(Case("norm", f"fro-{s}", lambda x: cr.norm(x, ord="fro"),
                          lambda x: np.linalg.norm(x, ord="fro"), (s,)))
    cases.append(Case("norm", "spectral-(2, 3)", lambda x: cr.norm(x, ord=2),
                      lambda x: np.linalg.norm(x, ord=2), ((2, 3),)))
    cases.append(Case("norm", "spectral-axes-(3, 2, 2)",
                      lambda x: cr.norm(x, ord=2, axis=(2, 0), keepdims=True),
                      lambda x: np.linalg.norm(x, ord=2, axis=(2, 0), keepdims=True),
                      ((3, 2, 2),)))
    cases.append(Case("norm", "axis-tuple-(2, 3)", lambda x: cr.norm(x, axis=(0, 1)),
                      lambda x: np.linalg.norm(x, axis=(0, 1)), ((2, 3),)))
    for o in (-np.inf, 0, 0.5, -1, -2):
        cases.append(Case("norm", f"vector-ord{o}", lambda x, o=o: np.linalg.norm(x, o),
                          lambda x, o=o: np.linalg.norm(x, o), ((3,),), avoid=(0.0,)))
    for o in (1, -1, np.inf, -np.inf, "nuc", -2):
        for keep in (False, True):
            cases.append(Case(
                "norm", f"matrix-ord{o}-keep{keep}",
                lambda x, o=o, k=keep: np.linalg.norm(x, o, axis=(2, 1), keepdims=k),
                lambda x, o=o, k=keep: np.linalg.norm(x, o, axis=(2, 1), keepdims=k),
                ((2, 3, 4),)))
    return cases


def _matmul_cases():
    pairs = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 4)), ((1, 3), (3, 2)),
             ((2, 2, 3), (3, 2)), ((3,), (2, 3, 2)), ((2, 2, 3), (2, 3, 1)),
             ((1, 2, 3), (2, 3, 2))]
    return [Case("matmul", f"{a}@{b}", cr.matmul, np.matmul, (a, b)) for a, b in pairs]


def _where_cases():
    rng = np.random.default_rng(7)
    cases = []
    for cs, xs, ys in [((2, 3), (3,), ()), ((3,), (2, 3), (1, 3)), ((), (3,), (3,)),
                       ((1, 3), (2, 1), (2, 3))]:
        cond = rng.random(cs) < 0.5
        cases.append(Case("where", f"{cs}-{xs}-{ys}",
                          lambda x, y, c=cond: cr.where(c, x, y),
                          lambda x, y, c=cond: np.where(c, x, y), (xs, ys),
                          ranges=REGISTRY["where"].sample[1:]))
    return cases


def _getitem_cases():
    idx = [((3,), 1), ((3,), -1), ((2, 3), 1), ((2, 3), (1, -1)), ((3,), slice(None, None, -1)),
           ((2, 3), (slice(None), slice(2, 0, -1))), ((2, 3), (slice(None, None, -1), 0)),
           ((3,), np.array([0, 2, 2, 2])), ((2, 3), (slice(None), np.array([1, 1, 0]))),
           ((2, 3), (np.array([0, 1, 1]), np.array([2, 2, 2]))),
           ((2, 3), np.array([[True, False, True], [False, False, True]])),
           ((3,), np.array([False, True, True])), ((1, 3), (0, None)), ((2, 3), Ellipsis)]
    return [Case("getitem", f"{s}[{i!r}]".replace("\n", ""), lambda x, i=i: x[i],
                 lambda x, i=i: x[i], (s,)) for s, i in idx]


def _index_add_ref(g, shape, index):
    out = np.zeros(shape)
    np.add.at(out, index, g)
    return out


def _index_add_cases():
    specs = [((3,), np.array([0, 2, 2])), ((2, 3), (slice(None), 1)), ((4,), slice(None, None, -2)),
             ((2, 3), np.array([[True, False, True], [False, True, True]]))]
    cases = []
    for shape, index in specs:
        gshape = np.zeros(shape)[index].shape
        cases.append(Case("index_add", f"{shape}-{index!r}".replace("\n", ""),
                          lambda g, s=shape, i=index: REGISTRY["index_add"](g, s, i),
                          lambda g, s=shape, i=index: _index_add_ref(g, s, i), (gshape,)))
    return cases


def _index_put_ref(x, v, index):
    out = np.array(x)
    out[index] = v
    return out


def _index_put_cases():
    # (x's shape, index, value's shape): broadcasting values, repeated positions (the
    # last write wins), boolean masks
    specs = [((3,), 1, ()), ((3,), slice(1, None), (2,)), ((2, 3), (slice(None), 1), (2,)),
             ((2, 3), 0, (1,)), ((4,), np.array([1, 3]), ()),
             ((3,), np.array([0, 2, 2]), (3,)), ((2, 3), (np.array([1, 1]), 0), (2,)),
             ((2, 3), np.array([[True, False, True], [False, True, True]]), (4,)),
             ((2, 3), (slice(None), np.array([2, 0])), (1, 1, 2))]
    return [Case("index_put", f"{shape}[{index!r}]={vs}".replace("\n", ""),
                 lambda x, v, i=index: REGISTRY["index_put"](x, v, i),
                 lambda x, v, i=index: _index_put_ref(x, v, i), (shape, vs))
            for shape, index, vs in specs]


def _concat_cases():
    specs = [([(3,), (2,)], 0), ([(2, 3), (1, 3)], 0), ([(2, 3), (2, 1), (2, 2)], -1),
             ([(1, 3), (1, 3)], 1)]
    return [Case("concatenate", f"{ss}-axis{a}", lambda *xs, a=a: cr.concatenate(xs, axis=a),
                 lambda *xs, a=a: np.concatenate(xs, axis=a), tuple(ss)) for ss, a in specs]


def _stack_cases():
    specs = [([(), ()], 0), ([(3,), (3,)], 0), ([(3,), (3,), (3,)], -1), ([(2, 3), (2, 3)], 1),
             ([(1, 3), (1, 3)], 2)]
    return [Case("stack", f"{ss}-axis{a}", lambda *xs, a=a: cr.stack(xs, axis=a),
                 lambda *xs, a=a: np.stack(xs, axis=a), tuple(ss)) for ss, a in specs]


def _reshape_cases():
    specs = [((), (1,)), ((3,), (3, 1)), ((2, 3), (3, 2)), ((2, 3), (-1,)), ((1, 3), (3,)),
             ((2, 3), (1, 2, 1, 3))]
    return [Case("reshape", f"{s}->{t}", lambda x, t=t: cr.reshape(x, t),
                 lambda x, t=t: np.reshape(x, t), (s,)) for s, t in specs]


def _transpose_cases():
    specs = [((3,), ()), ((2, 3), ()), ((1, 3), (1, 0)), ((2, 1, 3), (2, 0, 1)),
             ((2, 1, 3), (-1, 0, 1))]
    return [Case("transpose", f"{s}-{a}", lambda x, a=a: cr.transpose(x, *a),
                 lambda x, a=a: np.transpose(x, a or None), (s,)) for s, a in specs]


def _broadcast_to_cases():
    specs = [((), (2, 3)), ((3,), (2, 3)), ((1, 3), (2, 3)), ((2, 3), (2, 2, 3)),
             ((2, 1), (2, 3))]
    return [Case("broadcast_to", f"{s}->{t}", lambda x, t=t: cr.broadcast_to(x, t),
                 lambda x, t=t: np.broadcast_to(x, t), (s,)) for s, t in specs]


def _sum_to_ref(x, shape):
    extra = x.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(extra + i for i, s in enumerate(shape)
                                       if s == 1 and x.shape[extra + i] != 1)
    return np.sum(x, axis=axes, keepdims=True).reshape(shape)


def _sum_to_cases():
    specs = [((2, 3), (3,)), ((2, 3), (1, 3)), ((2, 3), ()), ((2, 3), (2, 1)), ((3,), (3,)),
             ((2, 2, 3), (2, 1))]
    return [Case("sum_to", f"{s}->{t}", lambda x, t=t: REGISTRY["sum_to"](x, tuple(t), 0),
                 lambda x, t=t: _sum_to_ref(x, t), (s,)) for s, t in specs]


def _clip_cases():
    cases = [Case("clip", f"{s}-{lo}-{hi}", lambda x, y, z: cr.clip(x, y, z), np.clip,
                  (s, lo, hi))
             for s, lo, hi in [((2, 3), (3,), ()), ((3,), (), (1, 3)), ((), (), ())]]
    cases += [Case("clip", f"{s}-const-{lo}-{hi}", lambda x, a=lo, b=hi: cr.clip(x, a, b),
                   lambda x, a=lo, b=hi: np.clip(x, a, b), (s,))
              for s in [(3,), (2, 3)] for lo, hi in [(None, 0.5), (-0.5, None), (-0.5, 0.5)]]
    return cases


def _nan_to_num_cases():
    return [Case("nan_to_num", str(s), cr.nan_to_num, np.nan_to_num, (s,)) for s in SHAPES]


def _running(op, fn, ref):
    return [Case(op, f"{s}-axis{a}", lambda x, a=a: fn(x, axis=a),
                 lambda x, a=a: ref(x, axis=a), (s,))
            for s in SHAPES[1:] + [(2, 2, 3)] for a in [None, *range(-len(s), len(s))]]


def _ddof_cases(op, fn, ref):
    cases = _reduction(op, fn, ref)
    cases = [c for c in cases if c.shapes[0] != ()]
    cases += [Case(op, f"{s}-axis{a}-ddof1", lambda x, a=a: fn(x, axis=a, ddof=1),
                   lambda x, a=a: ref(x, axis=a, ddof=1), (s,))
              for s, a in [((3,), None), ((2, 3), 0), ((2, 3), 1), ((2, 3), (0, 1))]]
    return cases


def _average_cases():
    w = np.array([0.5, 1.0, 2.0])
    cases = [Case("average", f"{s}-axis{a}", lambda x, a=a: cr.average(x, axis=a),
                  lambda x, a=a: np.average(x, axis=a), (s,))
             for s, a in [((3,), None), ((2, 3), 0), ((2, 3), (0, 1))]]
    cases += [Case("average", "(2, 3)-weights1d", lambda x: cr.average(x, axis=1, weights=w),
                   lambda x: np.average(x, axis=1, weights=w), ((2, 3),)),
              Case("average", "(2, 3)-weights-same", lambda x, v: cr.average(x, weights=v),
                   lambda x, v: np.average(x, weights=v), ((2, 3), (2, 3)),
                   ranges=((-2.0, 2.0), (0.5, 2.0))),
              Case("average", "(3, 2)-weights-tensor-axis0",
                   lambda x, v: cr.average(x, axis=0, weights=v, keepdims=True),
                   lambda x, v: np.average(x, axis=0, weights=v, keepdims=True),
                   ((3, 2), (3,)), ranges=((-2.0, 2.0), (0.5, 2.0)))]
    return cases


def _dot_cases():
    pairs = [((), (3,)), ((3,), ()), ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)),
             ((2, 3), (3, 4)), ((2, 2, 3), (3,)), ((2, 3), (2, 3, 2)), ((2, 2, 3), (1, 3, 2))]
    return [Case("dot", f"{a}.{b}", cr.dot, np.dot, (a, b)) for a, b in pairs]


def _same(op, specs):
    """Cases whose chainrule call is numpy's own call on Tensors: ``(label, f, shapes)``."""
    return [Case(op, label, f, f, shapes) for label, f, shapes in specs]


M23, M33, B233 = ((2, 3),), ((3, 3),), ((2, 3, 3),)
SHAPING = {
    "linspace": [("5", lambda a, b: np.linspace(a, b, 5), ((), ())),
                 ("open-axis", lambda a, b: np.linspace(a, b, 3, endpoint=False, axis=-1),
                  ((2,), (1, 2))),
                 ("one", lambda a, b: np.linspace(a, b, 1), ((), ()))],
    "diff": [("1", np.diff, M23), ("n2-axis0", lambda x: np.diff(x, n=2, axis=0), ((4, 2),)),
             ("ends", lambda x: np.diff(x, prepend=0.5, append=x[:, :1]), M23)],
    "gradient": [("1d", np.gradient, ((4,),)),
                 ("axis0-h", lambda x: np.gradient(x, 0.5, axis=0), ((3, 2),)),
                 ("edge2", lambda x: np.gradient(x, axis=-1, edge_order=2), ((2, 4),)),
                 ("all", lambda x: np.stack(np.gradient(x, 2.0, 3.0)), ((3, 4),))],
    "swapaxes": [("01", lambda x: np.swapaxes(x, 0, 1), M23),
                 ("-1-3", lambda x: np.swapaxes(x, -1, -3), ((2, 1, 3),))],
    "moveaxis": [("0to-1", lambda x: np.moveaxis(x, 0, -1), ((2, 1, 3),)),
                 ("pairs", lambda x: np.moveaxis(x, [0, 1], [-1, 0]), ((2, 1, 3),))],
    "squeeze": [("all", np.squeeze, ((1, 3, 1),)),
                ("axis", lambda x: np.squeeze(x, axis=-1), ((1, 3, 1),))],
    "expand_dims": [("0", lambda x: np.expand_dims(x, 0), M23),
                    ("tuple", lambda x: np.expand_dims(x, (0, -1)), ((3,),))],
    "ravel": [("C", np.ravel, M23), ("F", lambda x: np.ravel(x, order="F"), M23),
              ("reshape-F", lambda x: np.reshape(x, (3, 2), order="F"), M23)],
    "atleast_1d": [("0d", np.atleast_1d, ((),)), ("2d", np.atleast_1d, M23)],
    "atleast_2d": [("0d", np.atleast_2d, ((),)), ("1d", np.atleast_2d, ((3,),))],
    "atleast_3d": [("1d", np.atleast_3d, ((3,),)), ("2d", np.atleast_3d, M23),
                   ("3d", np.atleast_3d, ((2, 1, 3),)), ("0d", np.atleast_3d, ((),))],
    "flip": [("all", np.flip, M23), ("axis", lambda x: np.flip(x, 1), M23)],
    "fliplr": [("2d", np.fliplr, M23)],
    "flipud": [("2d", np.flipud, M23)],
    "rot90": [("k1", np.rot90, M23), ("k3", lambda x: np.rot90(x, 3, (1, 0)), M23)],
    "roll": [("flat", lambda x: np.roll(x, 2), M23),
             ("axes", lambda x: np.roll(x, (1, -1), axis=(0, 1)), M23)],
    "tile": [("2x1", lambda x: np.tile(x, (2, 1)), M23), ("3", lambda x: np.tile(x, 3), ((2,),))],
    "repeat": [("flat", lambda x: np.repeat(x, 2), M23),
               ("axis", lambda x: np.repeat(x, [1, 0, 2], axis=1), M23)],
    "take": [("flat", lambda x: np.take(x, [0, 4, 4]), M23),
             ("axis-wrap", lambda x: np.take(x, [[0, 4]], axis=1, mode="wrap"), M23)],
    "take_along_axis": [("argsort", lambda x: np.take_along_axis(
        x, np.array([[2, 0, 0], [1, 1, 2]]), axis=1), M23)],
    "diagonal": [("0", np.diagonal, M23), ("offset", lambda x: np.diagonal(x, 1, 1, 2), B233)],
    "trace": [("0", np.trace, M33), ("offset", lambda x: np.trace(x, -1), M33),
              ("batched", lambda x: np.trace(x, axis1=1, axis2=2), B233)],
    "sort": [("last", np.sort, M23), ("axis0", lambda x: np.sort(x, axis=0), M23),
             ("flat", lambda x: np.sort(x, axis=None), M23)],
    "partition": [("k1", lambda x: np.partition(x, 1), M23),
                  ("flat", lambda x: np.partition(x, 3, axis=None), M23)],
    "vstack": [("mixed", lambda x, y: np.vstack([x, y]), ((3,), (2, 3)))],
    "hstack": [("1d", lambda x, y: np.hstack([x, y]), ((3,), (2,))),
               ("2d", lambda x, y: np.hstack([x, y]), ((2, 3), (2, 1)))],
    "dstack": [("2d", lambda x, y: np.dstack([x, y]), ((2, 3), (2, 3)))],
    "column_stack": [("1d-2d", lambda x, y: np.column_stack([x, y]), ((2,), (2, 3)))],
    "split": [("3", lambda x: np.split(x, 3, axis=1)[1], M23),
              ("at", lambda x: np.split(x, [1, 5])[1], ((6,),))],
    "array_split": [("2of3", lambda x: np.array_split(x, 2, axis=1)[0], M23)],
    "hsplit": [("2d", lambda x: np.hsplit(x, 3)[2], M23), ("1d", lambda x: np.hsplit(x, 2)[1],
                                                            ((4,),))],
    "vsplit": [("2d", lambda x: np.vsplit(x, 2)[1], M23)],
    "dsplit": [("3d", lambda x: np.dsplit(x, [1])[1], B233)],
    "append": [("flat", lambda x, y: np.append(x, y), ((2, 3), (2,))),
               ("axis", lambda x, y: np.append(x, y, axis=0), ((2, 3), (1, 3)))],
    "pad": [("constant", lambda x: np.pad(x, 1, constant_values=2.0), M23),
            ("pairs", lambda x: np.pad(x, ((0, 1), (2, 0)), constant_values=((1, 2), (3, 4))),
             M23),
            ("reflect", lambda x: np.pad(x, ((1, 1), (2, 1)), "reflect"), M23),
            ("edge", lambda x: np.pad(x, 2, "edge"), ((3,),)),
            ("wrap", lambda x: np.pad(x, (1, 2), "wrap"), M23),
            ("symmetric", lambda x: np.pad(x, 1, "symmetric"), M23),
            ("maximum", lambda x: np.pad(x, (1, 2), "maximum"), M23),
            ("minimum-stat-length", lambda x: np.pad(x, 2, "minimum", stat_length=2), M23),
            ("mean-pairs", lambda x: np.pad(x, ((1, 0), (2, 1)), "mean",
                                            stat_length=((1, 2), (3, 1))), M23),
            ("median-odd", lambda x: np.pad(x, 1, "median"), ((3, 3),)),
            ("median-even", lambda x: np.pad(x, 1, "median", stat_length=2), M23),
            ("linear-ramp", lambda x: np.pad(x, (2, 3), "linear_ramp"), M23),
            ("linear-ramp-ends", lambda x: np.pad(x, ((1, 2), (0, 3)), "linear_ramp",
                                                  end_values=((1, -1), (2, 0.5))), M23)],
    "triu": [("0", np.triu, M33), ("k1-batched", lambda x: np.triu(x, 1), B233)],
    "tril": [("0", np.tril, M23), ("k-1", lambda x: np.tril(x, -1), M33)],
    "diag": [("build", np.diag, ((3,),)), ("build-k", lambda x: np.diag(x, -2), ((2,),)),
             ("take", np.diag, M33), ("take-k", lambda x: np.diag(x, 1), M23)],
    "select": [("two", lambda x, y: np.select([_MASK, ~_MASK], [x, y], 1.5),
                ((2, 3), (3,)))],
    "copy": [("copy", np.copy, M23)],
    "rollaxis": [("2to0", lambda x: np.rollaxis(x, 2), ((2, 1, 3),)),
                 ("0to3", lambda x: np.rollaxis(x, 0, 3), ((2, 1, 3),)),
                 ("neg", lambda x: np.rollaxis(x, -1, -2), ((2, 1, 3),))],
    "real": [("real", np.real, M23)],
    "conj": [("conj", np.conj, M23), ("conjugate", np.conjugate, ((3,),))],
    "imag": [("plus-imag", lambda x: x + np.imag(x), M23)],
    "angle": [("times-angle", lambda x: x * np.angle(x), M23),
              ("deg", lambda x: x * np.angle(x, deg=True), ((3,),))],
    "real_if_close": [("real-data", lambda x: np.real_if_close(x) ** 2, M23)],
}
PRODUCTS = {
    "einsum": [("matmul", lambda x, y: np.einsum("ij,jk->ik", x, y), ((2, 3), (3, 2))),
               ("ellipsis-implicit", lambda x, y: np.einsum("...k,kl", x, y), ((2, 2, 3), (3, 2))),
               ("batched", lambda x, y: np.einsum("bij,bjk->bik", x, y), ((2, 2, 3), (2, 3, 2))),
               ("trace", lambda x: np.einsum("ii", x), M33),
               ("diagonal", lambda x: np.einsum("ii->i", x), M33),
               ("sum-inside", lambda x: np.einsum("ijk->j", x), B233),
               ("broadcast", lambda x, y: np.einsum("...ij,...jk->...ik", x, y),
                ((2, 1, 3), (1, 3, 2))),
               ("three", lambda x, y, z: np.einsum("ij,jk,k->i", x, y, z),
                ((2, 3), (3, 3), (3,))),
               ("self-diag", lambda x, y: np.einsum("ii,ij->j", x, y), ((3, 3), (3, 2))),
               ("one-sided-sum", lambda x, y: np.einsum("ij,jk->k", x, y), ((2, 3), (3, 2))),
               ("outer-transposed", lambda x, y: np.einsum("i,j->ji", x, y), ((2,), (3,)))],
    "tensordot": [("int", lambda x, y: np.tensordot(x, y, 1), ((2, 3), (3, 2))),
                  ("pairs", lambda x, y: np.tensordot(x, y, ([0, 1], [1, 0])), ((2, 3), (3, 2))),
                  ("default", np.tensordot, ((2, 2, 3), (2, 3, 2))),
                  ("ints", lambda x, y: np.tensordot(x, y, (0, 1)), ((2, 3), (3, 2)))],
    "inner": [("vectors", np.inner, ((3,), (3,))), ("matrices", np.inner, ((2, 3), (1, 3))),
              ("scalar", np.inner, ((), (3,)))],
    "outer": [("vectors", np.outer, ((3,), (2,))), ("flattens", np.outer, ((2, 2), (3,)))],
    "vdot": [("matrices", np.vdot, ((2, 3), (2, 3)))],
    "kron": [("2d", np.kron, ((2, 2), (2, 3))), ("ranks", np.kron, ((3,), (2, 2)))],
    "cross": [("3", np.cross, ((3,), (3,))), ("batched", np.cross, ((2, 3), (1, 3))),
              ("axis", lambda x, y: np.cross(x, y, axis=0), ((3, 2), (3, 2))),
              ("axes", lambda x, y: np.cross(x, y, axisa=0, axisc=0), ((3, 2), (2, 3)))],
}
def _spd(x):
    return x @ np.swapaxes(x, -1, -2) + 3 * np.eye(x.shape[-1])


LINALG = {
    "inv": [("3x3", np.linalg.inv, M33), ("batched", np.linalg.inv, B233)],
    "solve": [("vector", np.linalg.solve, ((3, 3), (3,))),
              ("columns", np.linalg.solve, ((3, 3), (3, 2))),
              ("batched", np.linalg.solve, ((2, 3, 3), (2, 3, 1)))],
    "det": [("3x3", np.linalg.det, M33), ("batched", np.linalg.det, B233),
            ("1x1", np.linalg.det, ((1, 1),))],
    "logabsdet": [("3x3", lambda x: np.linalg.slogdet(x)[1], M33)],
    "slogdet": [("batched", lambda x: np.linalg.slogdet(x).logabsdet, B233)],
    "cholesky": [("3x3", lambda x: np.linalg.cholesky(_spd(x)), M33),
                 ("upper-batched", lambda x: np.linalg.cholesky(_spd(x), upper=True), B233),
                 ("lower-half", np.linalg.cholesky, ((2, 2),))],
    "eigh": [("values", lambda x: np.linalg.eigh(x)[0], M33),
             ("vectors", lambda x: np.linalg.eigh(x)[1], M33),
             ("upper", lambda x: np.linalg.eigh(x, UPLO="U").eigenvectors, M33)],
    "eigvalsh": [("batched", np.linalg.eigvalsh, B233)],
    # a real matrix may have complex eigenvalues: real losses of them (|w|, |v|, or the
    # eigenvalues of a symmetric matrix, real)
    "eig": [("abs-values", lambda x: np.abs(np.linalg.eig(x)[0]), M33),
            ("abs-vectors", lambda x: np.abs(np.linalg.eig(x).eigenvectors), M33),
            ("symmetric-values", lambda x: np.linalg.eig(_spd(x))[0], M33),
            ("batched", lambda x: np.abs(np.linalg.eig(x)[1]), B233)],
    "eigvals": [("abs", lambda x: np.abs(np.linalg.eigvals(x)), M33)],
    "svd": [("u-tall", lambda x: np.linalg.svd(x, full_matrices=False)[0], ((4, 3),)),
            ("s", lambda x: np.linalg.svd(x)[1], ((2, 3),)),
            ("vh-wide", lambda x: np.linalg.svd(x, full_matrices=False).Vh, ((2, 3),)),
            ("full-square", lambda x: np.linalg.svd(x).U, M33),
            ("batched", lambda x: np.linalg.svd(x, full_matrices=False)[2], B233)],
    "pinv": [("tall", np.linalg.pinv, ((4, 3),)), ("wide", np.linalg.pinv, ((2, 3),))],
    "qr": [("tall", lambda x: np.linalg.qr(x)[0], ((4, 3),)),
           ("r", lambda x: np.linalg.qr(x, mode="r"), ((4, 3),)),
           ("square-complete", lambda x: np.linalg.qr(x, mode="complete").Q, M33),
           ("batched", lambda x: np.linalg.qr(x).R, B233),
           ("wide-q", lambda x: np.linalg.qr(x)[0], ((2, 4),)),
           ("wide-r", lambda x: np.linalg.qr(x, mode="r"), ((2, 3),)),
           ("wide-complete-batched", lambda x: np.linalg.qr(x, mode="complete").R,
            ((2, 2, 3),))],
    "vector_norm": [("all", np.linalg.vector_norm, ((2, 3),)),
                    ("axes-keep", lambda x: np.linalg.vector_norm(x, axis=(0, 2), keepdims=True,
                                                                  ord=1), ((2, 1, 3),)),
                    ("axis-inf", lambda x: np.linalg.vector_norm(x, axis=-1, ord=np.inf),
                     ((2, 3),))],
    "matrix_norm": [("fro", np.linalg.matrix_norm, B233),
                    ("nuc-keep", lambda x: np.linalg.matrix_norm(x, ord="nuc", keepdims=True),
                     B233)],
    "singular_values": [("tall", lambda x: np.linalg.svd(x, compute_uv=False), ((4, 3),)),
                        ("batched", lambda x: np.linalg.svd(x, compute_uv=False), B233)],
    "matrix_power": [("3", lambda x: np.linalg.matrix_power(x, 3), M33),
                     ("-2", lambda x: np.linalg.matrix_power(x, -2), M33),
                     ("1", lambda x: np.linalg.matrix_power(x, 1), M33)],
}
_MASK = np.array([[True, False, True], [False, False, True]])


def _ri(y):
    """A complex result as real numbers: its real parts, then its imaginary parts."""
    return np.concatenate([np.real(y), np.imag(y)])


V5, PAIR23 = ((5,),), ((2, 3), (2, 3))
FFT = {
    "fftn": [("fft", lambda x: _ri(np.fft.fft(x)), V5),
             ("fft-crop-ortho", lambda x: _ri(np.fft.fft(x, 2, norm="ortho")), M23),
             ("fft-pad-axis0-forward", lambda x: _ri(np.fft.fft(x, 4, axis=0, norm="forward")),
              M23),
             ("fft2-s", lambda x: _ri(np.fft.fft2(x, (3, 2))), M23),
             ("fftn-complex-in", lambda x, y: _ri(np.fft.fftn(x + 1j * y, axes=(0,))), PAIR23)],
    "ifftn": [("ifft", lambda x: _ri(np.fft.ifft(x)), V5),
              ("ifft2-pad-ortho", lambda x, y: _ri(np.fft.ifft2(x + 1j * y, (3, 4),
                                                                norm="ortho")), PAIR23),
              ("ifftn-crop-forward", lambda x: _ri(np.fft.ifftn(x, (2,), (-1,), "forward")), M23)],
    "rfftn": [("rfft-odd", lambda x: _ri(np.fft.rfft(x)), V5),
              ("rfft-pad-ortho", lambda x: _ri(np.fft.rfft(x, 6, norm="ortho")), V5),
              ("rfft-crop-forward", lambda x: _ri(np.fft.rfft(x, 4, norm="forward")), V5),
              ("rfft2", lambda x: _ri(np.fft.rfft2(x)), ((3, 4),)),
              ("rfftn-s-axes", lambda x: _ri(np.fft.rfftn(x, (4, 2), axes=(1, 0))), M23)],
    "irfftn": [("irfft", lambda x, y: np.fft.irfft(x + 1j * y), ((4,), (4,))),
               ("irfft-odd-ortho", lambda x, y: np.fft.irfft(x + 1j * y, 5, norm="ortho"),
                ((4,), (4,))),
               ("irfft-crop-forward", lambda x, y: np.fft.irfft(x + 1j * y, 3, norm="forward"),
                ((4,), (4,))),
               ("irfft2", lambda x, y: np.fft.irfft2(x + 1j * y), ((3, 3), (3, 3))),
               ("irfftn-s-axes", lambda x, y: np.fft.irfftn(x + 1j * y, (4, 3), axes=(1, 0)),
                PAIR23)],
}


def _array_cases():
    def build(x, y):
        return cr.array([[x[0], 1.0, y], [2.0, x[1], -y]])

    def ref(x, y):
        return np.array([[x[0], 1.0, y], [2.0, x[1], -y]])

    return [Case("array", "mixed", build, ref, ((2,), ())),
            Case("asarray", "nested", lambda x: cr.asarray([x, [1.0, 2.0]]),
                 lambda x: np.asarray([x, [1.0, 2.0]]), ((2,),))]


def _np_relu(x):
    return np.maximum(x, 0.0)


def _np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


SPECS: dict[str, Callable[[], list[Case]]] = {
    "neg": lambda: _unary("neg", lambda x: -x, np.negative),
    "identity": lambda: _unary("identity", lambda x: REGISTRY["identity"](x), lambda x: x),
    "sin": lambda: _unary("sin", cr.sin, np.sin),
    "cos": lambda: _unary("cos", cr.cos, np.cos),
    "tan": lambda: _unary("tan", cr.tan, np.tan),
    "exp": lambda: _unary("exp", cr.exp, np.exp),
    "log": lambda: _unary("log", cr.log, np.log),
    "sqrt": lambda: _unary("sqrt", cr.sqrt, np.sqrt),
    "tanh": lambda: _unary("tanh", cr.tanh, np.tanh),
    "sigmoid": lambda: _unary("sigmoid", cr.sigmoid, _np_sigmoid),
    "relu": lambda: _unary("relu", cr.relu, _np_relu),
    "abs": lambda: _unary("abs", cr.abs, np.abs),
    "add": lambda: _binary("add", lambda x, y: x + y, np.add),
    "sub": lambda: _binary("sub", lambda x, y: x - y, np.subtract),
    "mul": lambda: _binary("mul", lambda x, y: x * y, np.multiply),
    "div": lambda: _binary("div", lambda x, y: x / y, np.divide),
    "pow": lambda: _binary("pow", lambda x, y: x ** y, np.power),
    "maximum": lambda: _binary("maximum", cr.maximum, np.maximum),
    "minimum": lambda: _binary("minimum", cr.minimum, np.minimum),
    "fmax": lambda: _binary("fmax", cr.fmax, np.fmax),
    "fmin": lambda: _binary("fmin", cr.fmin, np.fmin),
    "where": _where_cases,
    "matmul": _matmul_cases,
    "sum": lambda: _reduction("sum", cr.sum, np.sum),
    "mean": lambda: _reduction("mean", cr.mean, np.mean),
    "max": lambda: _reduction("max", cr.max, np.max),
    "min": lambda: _reduction("min", cr.min, np.min),
    "logsumexp": lambda: _reduction("logsumexp", cr.logsumexp, _np_lse),
    "softmax": lambda: _along("softmax", cr.softmax, _np_softmax),
    "log_softmax": lambda: _along("log_softmax", cr.log_softmax,
                                  lambda x, a: np.log(_np_softmax(x, a))),
    "norm": _norm_cases,
    "reshape": _reshape_cases,
    "transpose": _transpose_cases,
    "broadcast_to": _broadcast_to_cases,
    "sum_to": _sum_to_cases,
    "getitem": _getitem_cases,
    "index_add": _index_add_cases,
    "index_put": _index_put_cases,
    "concatenate": _concat_cases,
    "stack": _stack_cases,
    "arcsin": lambda: _unary("arcsin", cr.arcsin, np.arcsin),
    "arccos": lambda: _unary("arccos", cr.arccos, np.arccos),
    "arctan": lambda: _unary("arctan", cr.arctan, np.arctan),
    "sinh": lambda: _unary("sinh", cr.sinh, np.sinh),
    "cosh": lambda: _unary("cosh", cr.cosh, np.cosh),
    "arcsinh": lambda: _unary("arcsinh", cr.arcsinh, np.arcsinh),
    "arccosh": lambda: _unary("arccosh", cr.arccosh, np.arccosh),
    "arctanh": lambda: _unary("arctanh", cr.arctanh, np.arctanh),
    "log1p": lambda: _unary("log1p", cr.log1p, np.log1p),
    "expm1": lambda: _unary("expm1", cr.expm1, np.expm1),
    "log2": lambda: _unary("log2", cr.log2, np.log2),
    "log10": lambda: _unary("log10", cr.log10, np.log10),
    "exp2": lambda: _unary("exp2", cr.exp2, np.exp2),
    "cbrt": lambda: _unary("cbrt", cr.cbrt, np.cbrt),
    "fabs": lambda: _unary("fabs", cr.fabs, np.fabs),
    "deg2rad": lambda: _unary("deg2rad", cr.deg2rad, np.deg2rad),
    "rad2deg": lambda: _unary("rad2deg", cr.rad2deg, np.rad2deg),
    "sinc": lambda: _unary("sinc", cr.sinc, np.sinc),
    "floor": lambda: _unary("floor", cr.floor, np.floor),
    "ceil": lambda: _unary("ceil", cr.ceil, np.ceil),
    "trunc": lambda: _unary("trunc", cr.trunc, np.trunc),
    "rint": lambda: _unary("rint", cr.rint, np.rint),
    "arctan2": lambda: _binary("arctan2", cr.arctan2, np.arctan2),
    "hypot": lambda: _binary("hypot", cr.hypot, np.hypot),
    "logaddexp": lambda: _binary("logaddexp", cr.logaddexp, np.logaddexp),
    "logaddexp2": lambda: _binary("logaddexp2", cr.logaddexp2, np.logaddexp2),
    "remainder": lambda: _binary("remainder", cr.remainder, np.remainder),
    "fmod": lambda: _binary("fmod", cr.fmod, np.fmod),
    "floor_divide": lambda: _binary("floor_divide", cr.floor_divide, np.floor_divide),
    "clip": _clip_cases,
    "prod": lambda: _reduction("prod", cr.prod, np.prod),
    "cumsum": lambda: _running("cumsum", cr.cumsum, np.cumsum),
    "cumprod": lambda: _running("cumprod", cr.cumprod, np.cumprod),
    "var": lambda: _ddof_cases("var", cr.var, np.var),
    "std": lambda: _ddof_cases("std", cr.std, np.std),
    "average": _average_cases,
    "ptp": lambda: _reduction("ptp", cr.ptp, np.ptp),
    "nansum": lambda: _reduction("nansum", cr.nansum, np.nansum),
    "nanmean": lambda: _reduction("nanmean", cr.nanmean, np.nanmean),
    "nanmax": lambda: _reduction("nanmax", cr.nanmax, np.nanmax),
    "nanmin": lambda: _reduction("nanmin", cr.nanmin, np.nanmin),
    "dot": _dot_cases,
    **{op: (lambda op=op: _same(op, SHAPING[op])) for op in SHAPING},
    **{op: (lambda op=op: _same(op, PRODUCTS[op])) for op in PRODUCTS},
    **{op: (lambda op=op: _same(op, LINALG[op])) for op in LINALG},
    **{op: (lambda op=op: _same(op, FFT[op])) for op in FFT},
    "array": lambda: [c for c in _array_cases() if c.op == "array"],
    "asarray": lambda: [c for c in _array_cases() if c.op == "asarray"],
    "nan_to_num": _nan_to_num_cases,
}

CASES = [c for op in SPECS for c in SPECS[op]()]
SECOND = [c for c in CASES if c.second]


def test_every_primitive_has_sample_inputs():
    missing = sorted((set(REGISTRY) | set(COMPOSITES)) - set(SPECS))
    assert not missing, f"primitives and composites with no test-matrix entry in SPECS: {missing}"
    assert not set(SPECS) - set(REGISTRY) - set(COMPOSITES), "SPECS names an unknown op"


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_primitive_declares_sample_ranges_per_input(name):
    prim = REGISTRY[name]
    n = 1 if prim.variadic else prim.n_inputs
    assert len(prim.sample) == n, f"{name}: {len(prim.sample)} sample ranges, {n} inputs"
    for low, high in prim.sample:
        assert low < high
        for a in prim.avoid:
            assert not (low <= a <= high) or (high - low) > 0.5, \
                f"{name}: the sample range hugs the avoided point {a}"


def _tensors(arrays, requires_grad=True):
    return [cr.tensor(a, requires_grad=requires_grad) for a in arrays]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_value_matches_numpy(case):
    arrays = case.inputs()
    expected = case.ref(*arrays)
    out = case.fn(*_tensors(arrays))
    assert isinstance(out, cr.Tensor)
    assert out.shape == np.shape(expected)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
    plain = case.fn(*_tensors(arrays, requires_grad=False))
    np.testing.assert_allclose(plain.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_gradient_matches_finite_differences(case):
    arrays = case.inputs()
    u = case.upstream(np.shape(case.ref(*arrays)))
    ts = _tensors(arrays)
    out = case.fn(*ts)
    out.backward(grad=u)
    for i, t in enumerate(ts):
        expected = numeric_grad(lambda *a: np.sum(case.ref(*a) * u), arrays, i)
        assert t.grad is not None, f"input {i} got no gradient"
        assert t.grad.shape == arrays[i].shape
        np.testing.assert_allclose(t.grad, expected, rtol=1e-6, atol=1e-7,
                                   err_msg=f"gradient of input {i}")


@pytest.mark.parametrize("case", SECOND, ids=lambda c: c.id)
def test_second_order_matches_finite_differences_of_grad(case):
    arrays = case.inputs()
    u = case.upstream(np.shape(case.ref(*arrays)))

    def h(*xs):
        return cr.sum(case.fn(*xs) * u)

    for i, j in itertools.product(range(len(arrays)), repeat=2):
        g_i = cr.grad(h, argnums=i)
        analytic = cr.jacobian(g_i, argnums=j)(*arrays)
        numeric = numeric_jacobian(lambda *a, g=g_i: g(*a), arrays, j)
        assert np.shape(analytic) == arrays[i].shape + arrays[j].shape
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-6,
                                   err_msg=f"d2/d(input {i}) d(input {j})")


@pytest.mark.parametrize("x", [np.eye(3), np.outer([1.0, 2.0], [1.0, 0.0, 3.0]),
                               np.zeros((2, 2))], ids=["tied", "rank-1-wide", "zero"])
def test_spectral_norm_second_order_needs_distinct_singular_values(x):
    f = lambda x: cr.norm(x, ord=2)  # noqa: E731
    with pytest.raises(NotImplementedError, match="norm.*distinct singular values"):
        cr.hessian(f)(x)


# -- the Scalar engine against the Tensor engine -------------------------------------------

FLOAT_OPS = sorted(n for n, p in REGISTRY.items() if p.float_fn is not None)


@pytest.mark.parametrize("name", FLOAT_OPS)
def test_scalar_engine_agrees_with_tensor_engine_per_primitive(name):
    prim = REGISTRY[name]
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    values = [float(sample_away(rng, *prim.sample[k], (), prim.avoid))
              for k in range(prim.n_inputs)]
    scalars = [cr.Scalar(v) for v in values]
    s_out = prim(*scalars)
    assert isinstance(s_out, cr.Scalar)
    s_out.backward()
    tensors = [cr.tensor(v, requires_grad=True) for v in values]
    t_out = prim(*tensors)
    t_out.backward()
    assert s_out.value == pytest.approx(t_out.item(), rel=1e-12, abs=1e-14)
    for s, t in zip(scalars, tensors):
        assert s.grad == pytest.approx(t.grad.item(), rel=1e-12, abs=1e-14)


def _problem1(x1, w1, x2, w2):
    return 1 / (2 + cr.sin(x1 * w1) ** 2 + cr.cos(x2 * w2))


def _mixed(x, y):
    return cr.tanh(x * y + 1) - cr.sqrt(x * x + 1) / cr.exp(-y) + cr.sigmoid(x - y) * 3


def _kinky(x, y):
    return cr.relu(x - 0.1) * cr.abs(y) + cr.maximum(x, y) - cr.minimum(x, 2 * y) ** 2


def _powers(x, y):
    return (x ** 2 + 1) ** y + 2 ** x - 1 / (x + 3) + cr.log(y * y + 1) - cr.tan(x / 4)


FORMULAS = [(_problem1, (0.3, 1.7, -0.4, 2.2)), (_problem1, (math.pi / 2, 1.0, math.pi / 2, 1.0)),
            (_mixed, (0.7, -1.3)), (_kinky, (0.9, -0.6)), (_powers, (1.3, 0.4))]


@pytest.mark.parametrize("formula,point", FORMULAS, ids=lambda v: getattr(v, "__name__", ""))
def test_scalar_engine_agrees_with_tensor_engine_on_formulas(formula, point):
    scalars = [cr.Scalar(v) for v in point]
    s_out = formula(*scalars)
    s_out.backward()
    tensors = [cr.tensor(v, requires_grad=True) for v in point]
    t_out = formula(*tensors)
    t_out.backward()
    assert s_out.value == pytest.approx(t_out.item(), rel=1e-12)
    for k, (s, t) in enumerate(zip(scalars, tensors)):
        assert s.grad == pytest.approx(t.grad.item(), rel=1e-10, abs=1e-14), f"input {k}"
        # and both against central differences of the formula on plain floats
        bumped = list(point)
        bumped[k] = point[k] + 1e-6
        plus = formula(*bumped)
        bumped[k] = point[k] - 1e-6
        minus = formula(*bumped)
        assert s.grad == pytest.approx((plus - minus) / 2e-6, rel=1e-6, abs=1e-8)


def test_matrix_covers_required_shapes_for_broadcasting_ops():
    for op in ("add", "sub", "mul", "div", "pow", "maximum", "minimum"):
        pairs = {c.shapes for c in CASES if c.op == op}
        assert pairs == set(itertools.product(SHAPES, SHAPES)), op
    for op in ("sum", "mean", "max", "min", "logsumexp"):
        labels = {c.label for c in CASES if c.op == op}
        assert "(2, 3)-axis(0, 1)-keepTrue" in labels and "(1, 3)-axis-2-keepFalse" in labels
