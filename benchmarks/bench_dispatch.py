"""The fixed cost per Tensor op: recording one op, and its edge in the backward pass, in µs.

Four ops on tiny float64 arrays, so that the arithmetic is negligible and what is left is
the per-op machinery (recording, dispatch, shape handling, rule calls, gradient routing):

- ``sin (3,)``: ``sin(x)``, x of shape (3,);
- ``add (3,1)+(3,)``: broadcasting on both sides (both gradients are summed back);
- ``matmul 3x3 @ 3x1``;
- ``sum axis 0 of 3x3``.

How one op is isolated: ``n`` copies of the op are applied to the same leaves (a fan-out,
because two of the four ops change shape and cannot be chained), their outputs added up
(``acc = acc + y``), summed and backpropagated. The per-op figure is the marginal cost
``(t(2K) - t(K)) / K``, which removes everything paid once per graph (the root, the
backward call, resetting ``.grad``). What is left still holds one join (an add of the op's
output shape); that add is measured on its own (``join`` rows: a leaf of that shape added
up K times) and subtracted from the op's medians, per engine. (A ``stack`` join is
not used: its cost per input is small in chainrule and torch but about 50 µs in autograd,
which would drown the op.) Columns:

- ``record``: forward with recording, per op (for hand numpy: the bare numpy call);
- ``edge``: what the backward pass adds per op (forward + backward minus forward);
- ``fwd+bwd``: both, per op, and its ratio to hand-written numpy (the floor).

Spread is the interquartile range of the per-round samples of the op's raw marginal cost
(before the join is subtracted): the machine is shared, so read the medians with it.
Engines: chainrule Tensors, torch on the CPU
(``torch.autograd`` with leaves that require grad), HIPS autograd (``make_vjp``: its forward
records boxes, its ``vjp`` call is the backward), hand-written numpy forward and backward.
Peers that are not installed are skipped. With ``CHAINRULE_BENCH_BASELINE`` set to another
checkout's ``src`` folder, that checkout's chainrule runs too (row ``baseline``), interleaved
in the same rounds. Gradients of all engines are checked to agree
before anything is timed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmarks import baseline, harness

_RNG = np.random.default_rng(16)
X3 = _RNG.uniform(-1, 1, 3)
COL = _RNG.uniform(-1, 1, (3, 1))
M33 = _RNG.uniform(-1, 1, (3, 3))


@dataclass(frozen=True)
class Op:
    """One op: its inputs, how an engine applies it (``apply(ns, *leaves)``, ``ns`` the
    engine's namespace: chainrule, torch, autograd.numpy or numpy) and its hand-written
    VJP (``vjp(g, *inputs)`` -> one gradient per input)."""

    inputs: tuple[np.ndarray, ...]
    apply: Callable[..., Any]
    vjp: Callable[..., tuple[np.ndarray, ...]]


OPS = {
    "sin (3,)": Op((X3,), lambda ns, x: ns.sin(x), lambda g, x: (g * np.cos(x),)),
    "add (3,1)+(3,)": Op((COL, X3), lambda ns, a, b: a + b,
                         lambda g, a, b: (g.sum(axis=1, keepdims=True), g.sum(axis=0))),
    "matmul 3x3 @ 3x1": Op((M33, COL), lambda ns, w, v: w @ v,
                           lambda g, w, v: (g @ v.T, w.T @ g)),
    "sum axis 0 of 3x3": Op((M33,), lambda ns, m: ns.sum(m, axis=0),
                            lambda g, m: (np.broadcast_to(g, m.shape),)),
}


def _join(shape: tuple[int, ...]) -> Op:
    """The join alone: a leaf of ``shape`` added to the running total."""
    return Op((_RNG.uniform(-1, 1, shape),), lambda ns, x: x, lambda g, x: (g,))


# Each op's join, by the op's output shape.
JOINS = {"join add (3,)": _join((3,)), "join add (3,3)": _join((3, 3)),
         "join add (3,1)": _join((3, 1))}
JOIN_OF = {"sin (3,)": "join add (3,)", "add (3,1)+(3,)": "join add (3,3)",
           "matmul 3x3 @ 3x1": "join add (3,1)", "sum axis 0 of 3x3": "join add (3,)"}
ALL_OPS = {**OPS, **JOINS}

def fan(ns: Any, op: Op, leaves: Any, n: int) -> Any:
    """``n`` copies of ``op`` on the same leaves, added up and summed to a scalar."""
    acc = op.apply(ns, *leaves)
    for _ in range(n - 1):
        acc = acc + op.apply(ns, *leaves)
    return ns.sum(acc)


# An engine, for one op: forward(n) builds and records the graph of n copies (returns
# nothing useful); grads(n) runs forward and backward and returns the input gradients.
Engine = tuple[Callable[[int], Any], Callable[[int], list]]


def hand_numpy(op: Op) -> Engine:
    xs = [x.copy() for x in op.inputs]

    def forward(n: int) -> Any:
        return fan(np, op, xs, n)

    def grads(n: int) -> list:
        """The adds pass the seed's ones through unchanged to every copy."""
        g = np.ones(np.shape(op.apply(np, *xs)))
        fan(np, op, xs, n)
        total = [np.zeros_like(x) for x in xs]
        for _ in range(n):
            for acc, d in zip(total, op.vjp(g, *xs)):
                acc += d
        return total

    return forward, grads


def leaf_engine(ns: Any, make_leaf: Callable[[np.ndarray], Any], op: Op) -> Engine:
    """An engine whose leaves carry ``.grad`` (chainrule, torch): ``ns`` applies the op,
    ``make_leaf`` turns an input array into a leaf that requires grad."""
    leaves = [make_leaf(x) for x in op.inputs]

    def forward(n: int) -> Any:
        return fan(ns, op, leaves, n)

    def grads(n: int) -> list:
        for leaf in leaves:
            leaf.grad = None
        forward(n).backward()
        return [leaf.grad for leaf in leaves]

    return forward, grads


def autograd_engine(autograd: Any, op: Op) -> Engine:
    anp = autograd.numpy
    xs = tuple(x.copy() for x in op.inputs)

    def fun(leaves: Any, n: int) -> Any:
        return fan(anp, op, tuple(leaves), n)

    make_vjp = autograd.make_vjp(fun)

    def forward(n: int) -> Any:
        return make_vjp(xs, n)

    def grads(n: int) -> list:
        vjp, _ = make_vjp(xs, n)
        return list(vjp(1.0))

    return forward, grads


def marginal(engine: Engine, k: int, inner: int, samples: list) -> Callable[[], dict]:
    """A timing callable for :func:`harness.interleaved`: per op, the marginal CPU time of
    going from ``k`` to ``2k`` copies, forward only and forward + backward (each timed over
    ``inner`` builds). Each call's figures are also appended to ``samples``."""
    forward, grads = engine
    now = harness.clock

    def timed(fn: Callable[[int], Any], n: int) -> float:
        t0 = now()
        for _ in range(inner):
            fn(n)
        return (now() - t0) / inner

    def run() -> dict:
        fwd = (timed(forward, 2 * k) - timed(forward, k)) / k
        both = (timed(grads, 2 * k) - timed(grads, k)) / k
        phases = {"record": fwd, "fwd+bwd": both}
        samples.append(phases)
        return phases

    return run


def engines_for(op: Op) -> dict[str, Engine]:
    import chainrule as cr

    found: dict[str, Engine] = {
        "chainrule": leaf_engine(cr, lambda x: cr.tensor(x, requires_grad=True), op)}
    base = baseline.load()
    if base is not None:
        found["baseline"] = leaf_engine(base, lambda x: base.tensor(x, requires_grad=True), op)
    torch = harness.optional("torch")
    if torch is not None:
        found["torch"] = leaf_engine(torch, lambda x: torch.tensor(x, requires_grad=True), op)
    autograd = harness.optional("autograd")
    if autograd is not None:
        found["autograd"] = autograd_engine(autograd, op)
    found["hand numpy"] = hand_numpy(op)
    return found


def check_gradients(k: int) -> None:
    """Every engine's gradients, for ``k`` copies of each op, agree with hand numpy's."""
    for name, op in ALL_OPS.items():
        engines = engines_for(op)
        harness.check_agree({e: grads(k) for e, (_, grads) in engines.items()},
                            "hand numpy", rtol=1e-12, atol=1e-12, what=f"{name} gradient")


def _iqr(values: list[float]) -> str:
    lo, hi = np.percentile(values, [25, 75]) * 1e6
    return f"{lo:.2f}-{hi:.2f}"


def report(medians: dict, samples: dict, engine_names: list[str]) -> str:
    """One table: per op and engine, record / edge / fwd+bwd in µs per op (join
    subtracted), the IQR of the raw per-round samples, and fwd+bwd / hand numpy's."""
    head = (f"  {'op':<17} {'engine':<10} {'record us':>9} {'(IQR raw)':>13} {'edge us':>8}"
            f" {'fwd+bwd us':>10} {'(IQR raw)':>13} {'x numpy':>8}")
    lines = ["  us per op (join subtracted from the four ops); medians over interleaved rounds",
             head]
    for op in ALL_OPS:
        net: dict[str, dict[str, float]] = {}
        for e in engine_names:
            med = medians[(e, op)]
            sub = medians[(e, JOIN_OF[op])] if op in JOIN_OF else {"record": 0.0,
                                                                   "fwd+bwd": 0.0}
            net[e] = {p: med[p] - sub[p] for p in ("record", "fwd+bwd")}
        floor = net["hand numpy"]["fwd+bwd"]
        for e in engine_names:
            rec, both = net[e]["record"], net[e]["fwd+bwd"]
            raw = samples[(e, op)]
            ratio = f"{both / floor:8.1f}" if floor > 0 else f"{'-':>8}"
            lines.append(
                f"  {op:<17} {e:<10} {rec * 1e6:9.2f} {_iqr([s['record'] for s in raw]):>13}"
                f" {(both - rec) * 1e6:8.2f} {both * 1e6:10.2f}"
                f" {_iqr([s['fwd+bwd'] for s in raw]):>13} {ratio}")
    text = "\n".join(lines)
    print(text)
    return text


def main(quick: bool = False) -> dict:
    k, rounds, inner = (16, 5, 2) if quick else (64, 21, 4)
    torch = harness.optional("torch")
    if torch is not None:
        harness.pin_threads()
    else:
        harness.skip_note("torch")
    if harness.optional("autograd") is None:
        harness.skip_note("autograd")
    check_gradients(3)
    print(f"  gradients of every engine agree with the hand-written VJPs ({len(ALL_OPS)} graphs)")

    timers: dict[Any, Callable[[], dict]] = {}
    samples: dict[Any, list] = {}
    engine_names: list[str] = []
    for name, op in ALL_OPS.items():
        for e, engine in engines_for(op).items():
            if e not in engine_names:
                engine_names.append(e)
            samples[(e, name)] = []
            timers[(e, name)] = marginal(engine, k, inner, samples[(e, name)])
    print(f"  marginal cost of {k} -> {2 * k} copies, {inner} builds per timing, "
          f"{rounds} interleaved rounds, {harness.clock_name()} time")
    medians = harness.interleaved(timers, rounds=rounds, warmup=1, collect=False)
    for key in samples:  # the warmup call's figures are not samples
        del samples[key][0]
    report(medians, samples, engine_names)
    return medians


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
